"""Text clean-up shared by language identification, intent features, entities and the safety net.

Telegram text arrives with control characters, zero-width joiners, look-alike
Latin letters inside Cyrillic words (Ukrainians often type a Latin ``i`` for
``і``), stretched letters ("приииивет") and emoji. Every consumer sees the same
cleaned form, so training and prediction agree.
"""

from __future__ import annotations

import re
import unicodedata

#: Telegram's own limit; anything longer is cut before any work is done.
MAX_CHARS = 4096

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufe00-\ufe0f\ufeff\ufff0-\ufffb\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032\uff07"})
_STRETCHED = re.compile(r"(\D)\1{2,}")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]")

#: Latin letters that look like Cyrillic ones, replaced inside Cyrillic words.
_LATIN_TO_CYRILLIC = str.maketrans(
    {
        "a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у",
        "k": "к", "m": "м", "t": "т", "b": "в", "h": "н",
        "A": "А", "C": "С", "E": "Е", "I": "І", "O": "О", "P": "Р", "X": "Х", "Y": "У",
        "K": "К", "M": "М", "T": "Т", "B": "В", "H": "Н", "ï": "ї", "Ï": "Ї",
    }
)
_CYRILLIC_LETTER = re.compile("[\u0400-\u0481\u048a-\u04ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_MIXED_WORD = re.compile(r"\w*[а-яёіїєґўА-ЯЁІЇЄҐЎ]\w*")
_LONE_LATIN = re.compile(r"(?<![\w'])[iIaAoOyYcC](?![\w'])")


def clean(text: str, max_chars: int = MAX_CHARS) -> str:
    """Normalise Unicode, drop invisible characters, unify apostrophes and collapse whitespace."""
    text = text[: max_chars * 2]
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub(" ", text).translate(_APOSTROPHES)
    return _SPACES.sub(" ", text).strip()[:max_chars]


def letter_counts(text: str) -> tuple[int, int]:
    """Cyrillic and Latin letters in the text: the first, cheapest clue to the language."""
    return len(_CYRILLIC_LETTER.findall(text)), len(_LATIN_LETTER.findall(text))


def fix_homoglyphs(text: str) -> str:
    """Make Latin look-alikes inside Cyrillic words (and lone ``i`` in Cyrillic text) Cyrillic."""
    cyrillic, latin = letter_counts(text)
    if not cyrillic or not latin:
        return text
    text = _MIXED_WORD.sub(
        lambda m: m.group(0) if m.group(0).isascii() else m.group(0).translate(_LATIN_TO_CYRILLIC),
        text,
    )
    if cyrillic > latin:
        text = _LONE_LATIN.sub(lambda m: m.group(0).translate(_LATIN_TO_CYRILLIC), text)
    return text


def prepare(text: str) -> tuple[str, tuple[int, int]]:
    """:func:`clean` and :func:`fix_homoglyphs` in one go, with the letter counts of the result."""
    text = clean(text)
    letters = letter_counts(text)
    if letters[0] and letters[1]:
        text = fix_homoglyphs(text)
        letters = letter_counts(text)
    return text, letters


def tokens(text: str) -> list[str]:
    """Lower-case words (apostrophes inside words kept) and emoji; punctuation dropped.

    ``ё`` is kept: it tells Russian and Belarusian from Ukrainian. Use
    :func:`fold` for the spelling-insensitive form the intent model sees.
    """
    out: list[str] = []
    for tok in _TOKEN.findall(_STRETCHED.sub(r"\1\1", text.lower())):
        if tok[0].isalnum() or unicodedata.category(tok[0])[0] == "S":
            out.append(tok)
    return out


def fold(word: str) -> str:
    """The spelling-insensitive form of a token: ``ё`` written as ``е``, as most people type it."""
    return word.replace("ё", "е")
