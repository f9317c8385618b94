"""What goes into the engine and what comes out: the contract between engine and channels.

The engine (``flows/engine.py``) is a pure function of (bundle, state, input)
-> outcome. Channels — the Telegram bot, the web chat, the Rasa actions — turn
inputs into these types and render outcomes; they never look inside flows.
Everything here is serialisable, so state can live in Redis between updates
and a button's action can travel in Telegram's 64-byte callback data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from flows.schema import Lang, Priority


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Inputs ----------------------------------------------------------------------


class Understanding(_Model):
    """The classifier's reading of a text, in the engine's own terms (flows imports no nlu)."""

    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    #: Ranked (intent, confidence) candidates, best first, the top one included.
    alternatives: list[tuple[str, float]] = Field(default_factory=list)
    #: True when the classifier is unsure: the engine offers the two best candidates.
    uncertain: bool = False
    entities: dict[str, str] = Field(default_factory=dict)


class TextInput(_Model):
    kind: Literal["text"] = "text"
    text: str
    understanding: Understanding | None = None


class ActionKind(StrEnum):
    """What a button does. Compact names: they travel in callback data."""

    option = "o"  # pick option ``index`` of choice step ``step`` in flow ``flow``
    flow = "f"  # start flow ``flow`` (menu buttons, "did you mean" candidates)
    next = "n"  # continue after a message step shown with a "next" button
    back = "b"  # one step back
    menu = "m"  # main menu
    human = "h"  # talk to a person


class Action(_Model):
    """A button's meaning. ``flow``/``step`` pin where it was shown, so stale taps are caught."""

    kind: ActionKind
    flow: str | None = None
    step: str | None = None
    index: int | None = None


class ButtonInput(_Model):
    kind: Literal["button"] = "button"
    action: Action


class Command(StrEnum):
    start = "start"
    menu = "menu"
    back = "back"
    human = "human"


class CommandInput(_Model):
    kind: Literal["command"] = "command"
    command: Command


Input = Annotated[TextInput | ButtonInput | CommandInput, Field(discriminator="kind")]


# State -----------------------------------------------------------------------


class Position(_Model):
    flow: str
    step: str


class ConversationState(_Model):
    """Where a person is. Small on purpose: it is read and written on every update."""

    lang: Lang = Lang.ru
    position: Position | None = None
    slots: dict[str, str] = Field(default_factory=dict)
    #: Positions to return to with "back", most recent last (bounded).
    history: list[Position] = Field(default_factory=list)


# Outcomes --------------------------------------------------------------------


class Button(_Model):
    label: str
    action: Action


class Reply(_Model):
    """One message to show. Channels lay ``buttons`` out one per row."""

    text: str
    buttons: list[Button] = Field(default_factory=list)
    protect_content: bool = False


class HandoffRequest(_Model):
    """Ask the channel to queue the conversation for a human advisor."""

    priority: Priority
    reason: str
    flow: str | None = None
    intent: str | None = None


class Outcome(_Model):
    replies: list[Reply]
    state: ConversationState
    handoff: HandoffRequest | None = None
    #: The intent that started a flow in this turn, for the conversation record.
    intent: str | None = None
    #: True when the input did not fit (stale button, unknown text): useful for metrics.
    misunderstood: bool = False
