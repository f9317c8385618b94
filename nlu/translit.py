"""Russian typed in Latin letters, mapped back to Cyrillic (and Cyrillic to Latin for training).

People write "kak uehat iz rossii", "4to delat s povestkoi", "xo4u uyti":
there is no one standard, so the mapping is greedy and forgiving. The result
need not be perfect Russian; it needs to share character n-grams, keywords
and safety patterns with real Russian.
"""

from __future__ import annotations

import re

_VOWELS = set("aeiouy")
# Longest first; (latin, cyrillic).
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"),
    ("tz", "ц"), ("ts", "ц"), ("yo", "ё"), ("jo", "ё"), ("yu", "ю"), ("ju", "ю"), ("iu", "ю"),
    ("ya", "я"), ("ja", "я"), ("ia", "я"), ("ye", "е"), ("je", "е"), ("iy", "ий"), ("yy", "ый"),
    ("ij", "ий"), ("yj", "ый"),
)
_SINGLE = {
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "j": "й",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т",
    "u": "у", "f": "ф", "h": "х", "c": "ц", "w": "ш", "x": "х", "q": "к", "'": "ь",
    "4": "ч", "6": "ш", "3": "з",
}
_WHOLE_WORDS = {
    "eto": "это", "etot": "этот", "eti": "эти", "etu": "эту", "etom": "этом", "etogo": "этого",
    "ehat": "ехать", "etoi": "этой", "etoy": "этой", "vy": "вы", "ty": "ты", "my": "мы",
}

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
#: A second, chat-style scheme ("xo4u", "pochemu"), so training sees both.
_CYR_TO_LAT_CHAT = {**_CYR_TO_LAT, "х": "h", "ц": "c", "ч": "ch", "щ": "sch", "й": "i", "ю": "ju",
                    "я": "ja", "ь": "'", "ж": "j"}


_SPECIAL = re.compile(
    "|".join(lat for lat, _ in _DIGRAPHS)
    + r"|(?<=[aeouy])i(?=[b-df-hj-np-tv-xz])"  # "uiti" -> уйти
    + r"|(?<=[a-z][a-z][aeouy])i\b"  # "povestkoi" -> повесткой, but "moi" stays мои
    + r"|(?<=[aeiou])y"  # "moy" -> мой
    + r"|(?<=[a-z])[346]|[346](?=[a-z])"  # "4to", "xo4u"; numbers stay numbers
)
_SPECIAL_MAP = {**dict(_DIGRAPHS), "i": "й", "y": "й", "4": "ч", "6": "ш", "3": "з"}
_SINGLES = str.maketrans({**{k: v for k, v in _SINGLE.items() if not k.isdigit()}, "y": "ы"})
_EXCEPTIONS = re.compile(r"\b(?:" + "|".join(_WHOLE_WORDS) + r")\b")


def to_cyrillic(text: str) -> str:
    """Latin-script Russian to Cyrillic; anything else passes through unchanged.

    Three passes, all in C but for the few digraphs: whole-word exceptions,
    digraphs and context-dependent letters, then a letter-for-letter table.
    """
    text = _EXCEPTIONS.sub(lambda m: _WHOLE_WORDS[m.group(0)], text.lower())
    text = _SPECIAL.sub(lambda m: _SPECIAL_MAP[m.group(0)], text)
    return text.translate(_SINGLES)


def to_latin(text: str, chat_style: bool = False) -> str:
    """Cyrillic Russian to Latin letters, as a person without a Cyrillic keyboard might type it."""
    table = _CYR_TO_LAT_CHAT if chat_style else _CYR_TO_LAT
    return "".join(table.get(ch, ch) for ch in text.lower())
