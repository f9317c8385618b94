"""From the classifier's reading of a text to the engine's, and the language to answer in.

``flows`` imports nothing of ``nlu``, so the bot translates
``nlu.parser.ParseResult`` into ``flows.outcome.Understanding`` here. The
classifier is typed by what the bot uses of it (:class:`Classifier`), so a
test or a future model can stand in without touching the handlers.
"""

from __future__ import annotations

from typing import Protocol

from flows.outcome import Understanding
from flows.schema import Lang

#: A detected language counts only above this confidence; short texts ("ok") fall below it.
LANG_CONFIDENT = 0.8
#: Telegram sends the person's interface language as IETF tags: "de", "en-US", "pt-br".
_LANG_BY_CODE = {lang.value: lang for lang in Lang}


class Entity(Protocol):
    @property
    def entity(self) -> str: ...
    @property
    def value(self) -> str: ...


class Parsed(Protocol):
    """What the bot reads of ``nlu.parser.ParseResult``."""

    @property
    def intent(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def alternatives(self) -> tuple[tuple[str, float], ...]: ...
    @property
    def language(self) -> str: ...
    @property
    def language_confidence(self) -> float: ...
    @property
    def entities(self) -> tuple[Entity, ...]: ...
    @property
    def needs_clarification(self) -> bool: ...


class Classifier(Protocol):
    """``nlu.parser.NluParser`` as the bot uses it."""

    def parse(self, text: str, language_hint: str | None = None) -> Parsed: ...


def _unit(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


def to_understanding(parsed: Parsed) -> Understanding:
    """The engine's view of a parse: intent, ranked candidates, doubt, entities."""
    return Understanding(
        intent=parsed.intent,
        confidence=_unit(parsed.confidence),
        alternatives=[(intent, _unit(conf)) for intent, conf in parsed.alternatives],
        uncertain=parsed.needs_clarification,
        entities={e.entity: e.value for e in parsed.entities},
    )


def from_telegram(language_code: str | None) -> Lang | None:
    """Telegram's ``language_code`` as one of our languages, if it is one."""
    if not language_code:
        return None
    return _LANG_BY_CODE.get(language_code.split("-")[0].split("_")[0].lower())


def detected(parsed: Parsed | None) -> Lang | None:
    """The language a text is confidently written in, if it is one of ours."""
    if parsed is None or parsed.language_confidence < LANG_CONFIDENT:
        return None
    return _LANG_BY_CODE.get(parsed.language)


def choose_language(
    *, chosen: Lang | None, parsed: Parsed | None, previous: Lang | None, interface: Lang | None,
) -> Lang:
    """The language of the answer, by precedence.

    An explicit choice (/language) wins; then the language the text is
    confidently written in; then the conversation's language so far; then the
    person's Telegram (or browser) interface language; then Russian.
    """
    return chosen or detected(parsed) or previous or interface or Lang.ru
