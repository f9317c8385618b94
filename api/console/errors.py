"""The queue's refusals as HTTP answers, each with the stable ``code`` the pages switch on."""

from __future__ import annotations

from api.errors import Conflict, DomainError, Forbidden, NotFound
from handoff.errors import (
    AdvisorAbsent,
    AtCapacity,
    HandoffError,
    InvalidOutcome,
    LanguageMismatch,
    NoSuchTicket,
    NotHolder,
    TicketTaken,
)


class TicketGone(NotFound):
    code = "not_found"


class Taken(Conflict):
    code = "taken"


class Full(Conflict):
    code = "capacity"


class Absent(Conflict):
    code = "absent"


class WrongLanguage(Forbidden):
    code = "language"


class NotYours(Forbidden):
    code = "not_holder"


class BadOutcome(DomainError):
    status = 422
    code = "invalid_outcome"


_TRANSLATION: dict[type[HandoffError], tuple[type[DomainError], str]] = {
    NoSuchTicket: (TicketGone, "no such open ticket"),
    TicketTaken: (Taken, "another advisor has taken this chat"),
    AtCapacity: (Full, "you already hold as many chats as your capacity allows"),
    AdvisorAbsent: (Absent, "go online first (PUT /api/v1/console/presence)"),
    LanguageMismatch: (WrongLanguage, "this chat's language is not among the advisor's"),
    NotHolder: (NotYours, "only the advisor holding this chat may do that"),
    InvalidOutcome: (BadOutcome, "an outcome is a short snake_case label"),
}


def translate(exc: HandoffError) -> DomainError:
    """The api error for a queue refusal (the message is ours, never the script's text)."""
    for kind, (error, message) in _TRANSLATION.items():
        if isinstance(exc, kind):
            return error(message)
    return TicketGone("no such open ticket")
