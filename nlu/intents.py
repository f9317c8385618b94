"""The intent and language vocabulary the classifier speaks: a contract with flows and the bot.

The names mirror shared/intents.md (the contract); ``nlu`` imports nothing of
the project, so they are repeated here, and tests/nlu/test_data.py checks that
the training data uses exactly these.
"""

from __future__ import annotations

from typing import Literal, get_args

Intent = Literal[
    "greet",
    "leave_country",
    "protection_status",
    "asylum_procedure",
    "summons",
    "legal_risks",
    "third_country",
    "humanitarian_visa",
    "serving_soldier",
    "talk_to_human",
    "urgent_danger",
    "privacy",
    "change_language",
    "goodbye_thanks",
    "out_of_scope",
]
INTENTS: tuple[str, ...] = get_args(Intent)

#: Intents that start a priority handoff; the safety net exists so these are never missed.
PRIORITY_INTENTS: frozenset[str] = frozenset({"urgent_danger", "serving_soldier"})

#: What an empty, emoji-only or unintelligible message is taken to mean.
FALLBACK_INTENT = "out_of_scope"

Language = Literal["ru", "uk", "be", "en", "de"]
LANGUAGES: tuple[str, ...] = get_args(Language)
Script = Literal["cyrl", "latn"]

#: Training-data directories (nlu/data/<dir>/) and the language and script each holds.
LANG_DIRS: dict[str, tuple[str, str]] = {
    "ru": ("ru", "cyrl"),
    "uk": ("uk", "cyrl"),
    "be": ("be", "cyrl"),
    "en": ("en", "latn"),
    "de": ("de", "latn"),
    "ru_latn": ("ru", "latn"),
}
#: Language-identification classes: one per data directory (Latin-script Russian is its own).
LANG_CLASSES: tuple[str, ...] = tuple(LANG_DIRS)
DEFAULT_LANGUAGE = "ru"
DEFAULT_LANG_CLASS = "ru"


def lang_class_of(language: str, script: str) -> str:
    """The identification class for a (language, script) pair, e.g. ("ru", "latn") -> "ru_latn"."""
    return "ru_latn" if (language, script) == ("ru", "latn") else language
