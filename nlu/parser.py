"""The one entry point the bot uses: ``NluParser.parse(text, language_hint) -> ParseResult``.

Language first (it decides whether Latin letters are Russian to transliterate),
then the intent model, the safety net for the two intents that must never be
missed, and the entities. Nothing here imports scikit-learn: a loaded parser
is NumPy arrays, a few dicts and compiled regular expressions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from nlu.classifier import FEATURE_MAX_CHARS, MessageVectorizer, feature_words
from nlu.entities import Entity, EntityExtractor
from nlu.intents import FALLBACK_INTENT, PRIORITY_INTENTS
from nlu.langid import LanguageGuess, LanguageIdentifier
from nlu.linear import LinearModel
from nlu.normalize import fold, prepare, tokens
from nlu.safety import SafetyHit, SafetyNet
from nlu.translit import to_cyrillic

#: Below this confidence the bot should ask which of the two best intents was meant.
CLARIFY_BELOW = 0.5
TOP_K = 3
#: A priority intent ranked below the best but at least this probable is chosen instead:
#: cross-validation shows it catches a quarter of the model's misses at ~3 false alarms each.
PRIORITY_FLOOR = 0.3
#: A Latin-script text identified as English or German at least this surely is not transliterated.
TRANSLIT_UNLESS = 0.95


class ParseResult(BaseModel):
    """What a message means and which language to answer in.

    ``alternatives`` ranks the best intents (the chosen one first). When
    ``needs_clarification`` is set, the bot should offer the first two; it is
    never set for a priority intent. ``safety_rule`` names the safety-net rule
    (or ``priority_floor``) behind a priority intent, if one fired.
    """

    model_config = ConfigDict(frozen=True)

    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    language: str
    script: str
    language_confidence: float
    entities: tuple[Entity, ...] = ()
    needs_clarification: bool = False
    safety_rule: str | None = None

    @property
    def clarify_between(self) -> tuple[str, str] | None:
        """The two intents to offer as buttons, when the parser is unsure."""
        if not self.needs_clarification or len(self.alternatives) < 2:
            return None
        return self.alternatives[0][0], self.alternatives[1][0]


class _Prepared:
    """A message after cleaning, tokenisation and vectorisation, before the decisions."""

    __slots__ = ("text", "letters", "words", "head", "base", "command")

    def __init__(self, raw: str, vectorizer: MessageVectorizer) -> None:
        if not isinstance(raw, str):
            raise TypeError(f"text must be a string, not {type(raw).__name__}")
        text, self.letters = prepare(raw)
        self.text = text
        self.words = [fold(w) for w in tokens(text)]  # all of it, for the safety net
        self.head = self.words if len(text) <= FEATURE_MAX_CHARS else feature_words(text)
        self.base = vectorizer.vectorize(self.head)
        self.command = text.startswith("/")


class NluParser:
    """A trained intent model, language identifier, entity extractor and safety net."""

    def __init__(
        self,
        intent_model: LinearModel,
        lang_model: LinearModel | None = None,
        entities: EntityExtractor | None = None,
        *,
        safety: SafetyNet | None = None,
        clarify_below: float = CLARIFY_BELOW,
    ) -> None:
        self.intent_model = intent_model
        self.languages = LanguageIdentifier(lang_model)
        self.entities = entities or EntityExtractor({})
        self.safety = safety or SafetyNet()
        self.clarify_below = clarify_below
        self._intents = intent_model.classes
        if lang_model is not None and lang_model.space is not intent_model.space:
            raise ValueError("the language model must share the intent model's feature space")
        self._vectorizer = MessageVectorizer(intent_model.space)

    # -- public API -------------------------------------------------------------------------
    def parse(self, text: str, language_hint: str | None = None) -> ParseResult:
        """Classify one message; ``language_hint`` is Telegram's ``language_code`` if known."""
        _check_hint(language_hint)
        p = _Prepared(text, self._vectorizer)
        guess, cyrillic, vector = self._decide_language(p, self._lang_scores([p])[0],
                                                        language_hint)
        scores = self.intent_model.scores_vector(*vector)
        return self._result(p, guess, cyrillic, scores, bool(len(vector[0])))

    def parse_batch(
        self, texts: Sequence[str], language_hints: Sequence[str | None] | None = None
    ) -> list[ParseResult]:
        """Classify many messages with one matrix product per model (evaluation, backfills)."""
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError("texts must be a sequence of strings")
        hints = list(language_hints) if language_hints is not None else [None] * len(texts)
        if len(hints) != len(texts):
            raise ValueError("language_hints must be as long as texts")
        for hint in hints:
            _check_hint(hint)
        prepared = [_Prepared(t, self._vectorizer) for t in texts]
        decided = [self._decide_language(p, s, h) for p, s, h in
                   zip(prepared, self._lang_scores(prepared), hints, strict=True)]
        vectors = [vector for _, _, vector in decided]
        all_scores = list(self.intent_model.scores_vectors(vectors)) if vectors else []
        return [self._result(p, guess, cyrillic, scores, bool(len(vector[0])))
                for p, (guess, cyrillic, vector), scores in zip(prepared, decided, all_scores,
                                                                 strict=True)]

    # -- steps ----------------------------------------------------------------------------
    def _lang_scores(self, prepared: Sequence[_Prepared]) -> Sequence[np.ndarray | None]:
        model = self.languages.model
        if model is None:
            return [None] * len(prepared)
        if len(prepared) == 1:
            return [model.scores_vector(*prepared[0].base)]
        return list(model.scores_vectors([p.base for p in prepared]))

    def _decide_language(
        self, p: _Prepared, lang_scores: np.ndarray | None, hint: str | None
    ) -> tuple[LanguageGuess, list[str], tuple[np.ndarray, np.ndarray]]:
        """The language, the Cyrillic transliteration if any, and the intent model's input."""
        guess = self.languages.decide(p.text, lang_scores, hint, letters=p.letters, words=p.head)
        cyrillic: list[str] = []
        cyr, lat = p.letters
        # Latin letters may be Russian: transliterate for the intent model and the safety net,
        # unless the text is surely English or German.
        if lat > cyr and (guess.translit or guess.confidence < TRANSLIT_UNLESS):
            cyrillic = to_cyrillic(" ".join(p.words)).split()
        if not guess.translit:
            return guess, cyrillic, p.base
        return guess, cyrillic, self._vectorizer.vectorize(p.head, cyrillic[: len(p.head)])

    def _result(self, p: _Prepared, guess: LanguageGuess, cyrillic: list[str],
                scores: np.ndarray, known: bool) -> ParseResult:
        hit = None
        if p.words and not p.command:  # a bot command ("/help") is a button, not a cry for help
            hit = self.safety.check(" ".join(p.words), " ".join(cyrillic))
        if not known and hit is None:
            return ParseResult(intent=FALLBACK_INTENT, confidence=0.0, language=guess.language,
                               script=guess.script, language_confidence=guess.confidence)
        proba = self.intent_model.proba(scores)
        order = np.argsort(-proba)[:TOP_K]
        ranked = [(self._intents[i], round(float(proba[i]), 4)) for i in order]
        intent, confidence = ranked[0]
        if hit is None and intent not in PRIORITY_INTENTS:
            # The model's own doubt counts too: a priority intent close behind wins.
            floor = next((r for r in ranked[1:]
                          if r[0] in PRIORITY_INTENTS and r[1] >= PRIORITY_FLOOR), None)
            if floor is not None:
                hit = SafetyHit(floor[0], "priority_floor")
        # The net overrides the model, except that immediate danger is never downgraded.
        if hit is not None and hit.intent != intent and intent != "urgent_danger":
            forced = self._intents.index(hit.intent) if hit.intent in self._intents else None
            confidence = round(float(proba[forced]), 4) if forced is not None else 0.0
            intent = hit.intent
            ranked = [(intent, confidence)] + [r for r in ranked if r[0] != intent][: TOP_K - 1]
        rule = hit.rule if hit is not None and hit.intent == intent else None
        entities = self.entities.extract(p.head)
        if guess.translit:
            seen = {(e.entity, e.value) for e in entities}
            entities += [e for e in self.entities.extract(cyrillic)
                         if (e.entity, e.value) not in seen]
        return ParseResult(
            intent=intent,
            confidence=confidence,
            alternatives=tuple(ranked),
            entities=tuple(entities),
            # Nobody in danger is asked "did you mean...?": priority intents are acted on.
            needs_clarification=intent not in PRIORITY_INTENTS and confidence < self.clarify_below,
            safety_rule=rule,
            language=guess.language,
            script=guess.script,
            language_confidence=guess.confidence,
        )

    # -- persistence ------------------------------------------------------------------------
    @classmethod
    def load_or_train(cls, data_dir: Path, cache_dir: Path, *, isolate: bool = True) -> NluParser:
        """The parser for this data and code: from the cache, or trained now and cached.

        With ``isolate`` training runs in a child process, so this process
        never imports scikit-learn and stays small (see bench/nlu.py).
        """
        from nlu.store import load_or_train

        return load_or_train(Path(data_dir), Path(cache_dir), isolate=isolate)


def _check_hint(hint: object) -> None:
    if hint is not None and not isinstance(hint, str):
        raise TypeError(f"language_hint must be a string or None, not {type(hint).__name__}")


