"""What the console sends and receives: the contract of CONSOLE_SPEC.md as pydantic models.

A :class:`TicketView` never carries the conversation's pseudonym or the
sealed chat: the browser has no use for them, and a screenshot must not leak
them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, Strict, model_validator

from api.schemas.common import Input, Output, SafeText
from handoff.tickets import Language

#: An advisor's capacity as the console lets them declare it.
MAX_CONSOLE_CAPACITY = 20
MAX_REPLY = 4096
MAX_NOTE = 2000
MAX_CANNED_TITLE = 100


class Outcome(StrEnum):
    """How an advisor labels a closed chat (statistics; never free text)."""

    resolved = "resolved"
    information_given = "information_given"
    referred = "referred"
    no_reply = "no_reply"
    abusive = "abusive"
    other = "other"


class SessionCreate(Input):
    token: Annotated[str, Field(min_length=1, max_length=200)]


class PresenceIn(Input):
    languages: Annotated[list[Language], Field(min_length=1, max_length=len(Language))]
    capacity: Annotated[int, Strict(), Field(ge=1, le=MAX_CONSOLE_CAPACITY)] = 3


class PresenceOut(Output):
    languages: list[Language]
    capacity: int


class Me(Output):
    id: str
    name: str
    role: str
    presence: PresenceOut | None


class TicketView(Output):
    id: str
    language: Language
    priority: Literal["urgent", "high", "normal"]
    urgent: bool
    reason: str
    intent: str | None
    channel: str
    created: dt.datetime
    queued_at: dt.datetime
    waited_seconds: int
    state: Literal["queued", "held"]
    advisor: str | None
    overdue: bool


class QueueView(Output):
    waiting: list[TicketView]
    #: All tickets waiting in the languages shown (``waiting`` is the first of them).
    waiting_total: int
    mine: list[TicketView]
    capacity: int
    open_chats: int
    online: bool


class Msg(Output):
    id: str
    at: dt.datetime
    author: Literal["person", "bot", "advisor"]
    text: str | None
    intent: str | None


class Note(Output):
    id: str
    at: dt.datetime
    author: str
    text: str


class TicketDetail(Output):
    ticket: TicketView
    messages: list[Msg]
    notes: list[Note]


class ReplyIn(Input):
    text: Annotated[SafeText, Field(min_length=1, max_length=MAX_REPLY)]


class ReplyAccepted(Output):
    id: str


class NoteIn(Input):
    text: Annotated[SafeText, Field(min_length=1, max_length=MAX_NOTE)]


class TransferIn(Input):
    """Exactly one target: another advisor (by staff name) or the queue of a language."""

    to_advisor: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    language: Language | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.to_advisor is None) == (self.language is None):
            raise ValueError("give exactly one of to_advisor and language")
        return self


class CloseIn(Input):
    outcome: Outcome
    survey: Annotated[bool, Strict()] = False


class CannedIn(Input):
    language: Language
    title: Annotated[SafeText, Field(min_length=1, max_length=MAX_CANNED_TITLE)]
    text: Annotated[SafeText, Field(min_length=1, max_length=MAX_REPLY)]


class CannedOut(Output):
    id: int
    language: str
    title: str
    text: str
