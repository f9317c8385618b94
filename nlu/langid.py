"""Which language a short message is in: ru, uk, be, en, de, or Russian typed in Latin letters.

Three layers, cheapest first. The script (Cyrillic or Latin letters) picks the
candidate set. Letters that exist in only some of Russian, Ukrainian and
Belarusian (ї є ґ ў ъ і и щ ы э ё) rule candidates out. A character n-gram
model trained on the NLU data, with lists of frequent function words and the
Telegram ``language_code`` as a soft prior, decides the rest — the hard case
being two Cyrillic words with none of the telling letters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.classifier import FEATURE_MAX_CHARS, feature_words, message_counts
from nlu.features import Counts
from nlu.intents import DEFAULT_LANG_CLASS, LANG_CLASSES, LANG_DIRS
from nlu.langwords import FREQUENT_WORDS, HINT_ALIASES
from nlu.linear import LinearModel
from nlu.normalize import fold, letter_counts, tokens

#: Share of Cyrillic letters from which a mixed text is Cyrillic ("как получить Aufenthaltstitel").
CYRILLIC_SHARE = 0.3
LANG_MAX_CHARS = FEATURE_MAX_CHARS  # the language shows in the first sentences
HINT_BONUS = 2.0  # log-odds for the Telegram app language: decides words both languages share
WORD_BONUS = 1.5  # log-odds per frequent word of that language (the model knows few words)
EXCLUDED = -8.0  # log-odds for a language whose alphabet lacks a letter of the text
UNMODELLED = math.log(1e-3)  # a language the model was not trained on
# The model learnt from one domain's sentences and is sure of itself on words
# it saw in one language only ("так" is mostly Russian there). Its say is
# capped, so that on a one- or two-word text without telling letters the app
# language can outweigh it.
PROBA_FLOOR = 0.01
SHORT_TEXT_WORDS = 2
SHORT_HINT_BONUS = 3.0

_CYRILLIC = ("ru", "uk", "be")
_LATIN = ("en", "de", "ru_latn")
# Letters that rule languages in: a text with "ї" is Ukrainian whatever else it holds.
_ONLY: dict[str, frozenset[str]] = {
    "ў": frozenset({"be"}), "ї": frozenset({"uk"}), "є": frozenset({"uk"}), "ґ": frozenset({"uk"}),
    "ъ": frozenset({"ru"}), "і": frozenset({"uk", "be"}), "и": frozenset({"ru", "uk"}),
    "щ": frozenset({"ru", "uk"}), "ы": frozenset({"ru", "be"}), "э": frozenset({"ru", "be"}),
    "ё": frozenset({"ru", "be"}),
    "ä": frozenset({"de"}), "ö": frozenset({"de"}), "ü": frozenset({"de"}), "ß": frozenset({"de"}),
}

_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _cls, _listed in FREQUENT_WORDS.items():
    for _word in _listed:
        _WORD_LANGS[_word] = (*_WORD_LANGS.get(_word, ()), _cls)


def lang_counts(text: str) -> Counts:
    """The language model's features: the shared message features, without transliteration."""
    return message_counts(feature_words(text))


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The language to answer in, the script the person typed, and how sure we are."""

    language: str
    script: str
    lang_class: str
    confidence: float

    @property
    def translit(self) -> bool:
        return self.lang_class == "ru_latn"


def hint_class(language_code: str | None, script: str) -> str | None:
    """The identification class a Telegram ``language_code`` ("uk", "en-US", "kk") points to."""
    if not language_code or not isinstance(language_code, str):
        return None
    primary = language_code.strip().lower().replace("_", "-").split("-")[0]
    primary = HINT_ALIASES.get(primary, primary)
    if primary == "ru" and script == "latn":
        return "ru_latn"
    return primary if primary in LANG_CLASSES else None


def allowed_by_letters(text: str, candidates: tuple[str, ...]) -> frozenset[str]:
    """The candidates whose alphabets hold the most of the text's telling letters.

    Counting rather than intersecting keeps one typo (a Russian "і") from
    emptying the set, and the answer does not depend on the order of letters.
    """
    lowered = text.lower()
    misses = dict.fromkeys(candidates, 0)
    for letter, only in _ONLY.items():
        if letter in lowered:
            for cls in candidates:
                misses[cls] += cls not in only
    fewest = min(misses.values())
    return frozenset(cls for cls, n in misses.items() if n == fewest)


class LanguageIdentifier:
    """Decides the language of a cleaned, homoglyph-fixed text.

    Without a model (data for fewer than two languages) only script, letters,
    word lists and the hint decide; a model trained on some languages leaves
    the others to those rules.
    """

    def __init__(self, model: LinearModel | None) -> None:
        self.model = model
        self._index = {c: i for i, c in enumerate(model.classes)} if model else {}

    def scores(self, text: str) -> np.ndarray | None:
        """The model's scores for the start of the text (the language shows in a few words)."""
        return self.model.scores(lang_counts(text)) if self.model else None

    def identify(self, text: str, language_hint: str | None = None) -> LanguageGuess:
        return self.decide(text, self.scores(text), language_hint)

    def decide(
        self, text: str, scores: np.ndarray | None, language_hint: str | None, *,
        letters: tuple[int, int] | None = None, words: Sequence[str] | None = None,
    ) -> LanguageGuess:
        """Combine the model's scores with script, letters, frequent words and the app language.

        ``letters`` (Cyrillic, Latin counts) and ``words`` may be passed when
        the caller has them already; words are compared spelling-folded.
        """
        cyrillic, latin = letters if letters is not None else letter_counts(text)
        if not cyrillic + latin:
            return _guess(hint_class(language_hint, "cyrl") or DEFAULT_LANG_CLASS, 0.0)
        script = "cyrl" if cyrillic >= CYRILLIC_SHARE * (cyrillic + latin) else "latn"
        candidates = _CYRILLIC if script == "cyrl" else _LATIN
        allowed = allowed_by_letters(text[:LANG_MAX_CHARS], candidates)
        hinted = hint_class(language_hint, script)
        proba = self.model.proba(scores) if self.model is not None and scores is not None else None
        if words is None:
            words = [fold(w) for w in tokens(text[:LANG_MAX_CHARS])]
        listed = dict.fromkeys(candidates, 0)
        for word in words:
            for cls in _WORD_LANGS.get(word, ()):
                if cls in listed:
                    listed[cls] += 1
        totals: list[float] = []
        for cls in candidates:
            j = self._index.get(cls)
            if proba is None:
                total = 0.0
            else:
                total = math.log(max(float(proba[j]), PROBA_FLOOR)) if j is not None else UNMODELLED
            if cls not in allowed:
                total += EXCLUDED
            if cls == hinted:
                total += HINT_BONUS + (SHORT_HINT_BONUS if len(words) <= SHORT_TEXT_WORDS else 0.0)
            total += WORD_BONUS * listed[cls]
            totals.append(total)
        top = max(totals)
        best = candidates[totals.index(top)]
        confidence = 1.0 / sum(math.exp(t - top) for t in totals)
        return _guess(best, confidence)


def _guess(lang_class: str, confidence: float) -> LanguageGuess:
    language, script = LANG_DIRS[lang_class]
    return LanguageGuess(language, script, lang_class, round(confidence, 4))
