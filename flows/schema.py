"""The flow document: what admins write and the bot walks through.

A *pack* is a manifest (languages, fallback chain, shared UI strings, review
status) plus flows. A *flow* answers one or more intents and is a graph of
steps keyed by id. Every text is localized; every factual step carries its
sources and an ``as_of`` date so the bot can say how old and where from.

This module is pure data (pydantic) and imports nothing of the project: the api
stores these documents, the bot and the web chat run them, validation checks
what the type system cannot (reachability, translations, lengths).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

SCHEMA_VERSION: Final = 1

#: Telegram rejects messages longer than this many characters.
TELEGRAM_TEXT_LIMIT = 4096
#: Inline button labels are cut by clients well before Telegram's own limit.
BUTTON_LABEL_LIMIT = 40


class Lang(StrEnum):
    """Languages the hotline speaks. The values are ISO 639-1 codes."""

    ru = "ru"
    uk = "uk"
    be = "be"
    en = "en"
    de = "de"


Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$", min_length=1, max_length=64)
]


class Strict(BaseModel):
    """Base for every document model: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(RootModel[dict[Lang, str]]):
    """A text in several languages; which ones must exist is a validation concern."""

    root: dict[Lang, str]

    def get(self, lang: Lang) -> str | None:
        return self.root.get(lang)

    def resolve(self, lang: Lang, fallback: list[Lang]) -> str:
        """The text in ``lang``, else the first language of ``fallback`` that has it."""
        for candidate in (lang, *fallback):
            text = self.root.get(candidate)
            if text:
                return text
        return next((t for t in self.root.values() if t), "")


class Source(Strict):
    """Where a fact comes from. ``date`` is the publication date when known."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    date: dt.date | None = None


class Priority(StrEnum):
    """Handoff priority: urgent danger and serving soldiers first, then summons deadlines."""

    urgent = "urgent"
    high = "high"
    normal = "normal"


class _StepBase(Strict):
    text: LocalizedText | None = None
    #: Marks a step that states facts: it must have sources and as_of.
    factual: bool = False
    sources: list[Source] = Field(default_factory=list)
    as_of: dt.date | None = None
    #: Ask Telegram to forbid forwarding and saving for this answer.
    protect_content: bool = False


class MessageStep(_StepBase):
    """Says something, then continues to ``next`` (or ends the flow when None)."""

    type: Literal["message"]
    text: LocalizedText
    next: Identifier | None = None


class Option(Strict):
    label: LocalizedText
    next: Identifier


class ChoiceStep(_StepBase):
    """Asks the person to pick one of several buttons, each leading to a step."""

    type: Literal["choice"]
    text: LocalizedText
    options: Annotated[list[Option], Field(min_length=1, max_length=12)]


class QuestionStep(_StepBase):
    """Asks for free text and stores the answer in ``slot``."""

    type: Literal["question"]
    text: LocalizedText
    slot: Identifier
    next: Identifier


class Branch(Strict):
    """Taken when the slot equals one of ``values`` (case-insensitive)."""

    values: Annotated[list[Annotated[str, StringConstraints(max_length=200)]], Field(min_length=1)]
    next: Identifier


class ConditionStep(Strict):
    """Branches on a slot's value; ``default`` when no branch matches."""

    type: Literal["condition"]
    slot: Identifier
    branches: Annotated[list[Branch], Field(min_length=1)]
    default: Identifier


class HandoffStep(_StepBase):
    """Hands the conversation to a human advisor."""

    type: Literal["handoff"]
    priority: Priority = Priority.normal
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class GotoStep(Strict):
    """Jumps to another flow (at its start or a given step)."""

    type: Literal["goto"]
    flow: Identifier
    step: Identifier | None = None


class EndStep(_StepBase):
    """Ends the flow, optionally with a closing text; the bot then offers the menu."""

    type: Literal["end"]


Step = Annotated[
    MessageStep | ChoiceStep | QuestionStep | ConditionStep | HandoffStep | GotoStep | EndStep,
    Field(discriminator="type"),
]


class Flow(Strict):
    """One guided conversation, started by any of its ``intents`` or from the menu."""

    id: Identifier
    intents: list[Identifier] = Field(default_factory=list)
    title: LocalizedText
    #: Shown in the main menu, in this order (lower first); None keeps it off the menu.
    menu_order: int | None = None
    start: Identifier
    steps: Annotated[dict[Identifier, Step], Field(min_length=1)]


class PackManifest(Strict):
    """What applies to every flow of a pack: languages, fallbacks, shared UI strings."""

    schema_version: Literal[1] = SCHEMA_VERSION
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    #: Languages every text must exist in (the others fall back).
    languages: Annotated[list[Lang], Field(min_length=1)]
    default_language: Lang = Lang.ru
    #: Per language, where to look when a text is missing, in order.
    fallback: dict[Lang, list[Lang]] = Field(default_factory=dict)
    #: Content is not fit for a real deployment until a counsellor has reviewed it.
    needs_review: bool = True
    review_note: str | None = None
    #: Shared strings: button labels (back, menu, talk to a person), the
    #: disclaimer, the "as of" line. Keys are identifiers, values localized.
    ui: dict[Identifier, LocalizedText] = Field(default_factory=dict)

    def chain(self, lang: Lang) -> list[Lang]:
        """Fallback languages for ``lang``, ending with the default language."""
        chain = [x for x in self.fallback.get(lang, []) if x != lang]
        if self.default_language not in chain and self.default_language != lang:
            chain.append(self.default_language)
        return chain


class Pack(Strict):
    """A manifest and its flows: the unit the bot receives as the bundle."""

    manifest: PackManifest
    flows: list[Flow]


def flow_json_schema() -> dict[str, Any]:
    """JSON Schema of a flow document, for editors and the API's OpenAPI document."""
    return Flow.model_json_schema()


#: UI strings every pack must define, used by the engine around flow texts.
#: ``as_of`` takes ``{date}``; ``sources`` takes ``{sources}``.
REQUIRED_UI_KEYS: tuple[str, ...] = (
    "menu_prompt",  # the text above the main menu buttons
    "back",  # button: one step back
    "main_menu",  # button: to the main menu
    "talk_to_human",  # button: ask for an advisor
    "as_of",  # "As of {date}"
    "sources",  # "Sources: {sources}"
    "disclaimer",  # information, not legal advice
    "not_understood",  # free text the bot could not place
    "which_one",  # "Did you mean:" above two candidate buttons
    "repeat_step",  # "Please choose one of the buttons" when a step is asked again
)
