"""Domain errors of the handoff queue, translated to HTTP statuses or console text at the edge.

Forged or stale ids (a ticket that never existed, a close by someone who does
not hold the chat, a second "take" on a claimed ticket) are ordinary events in
a queue many people press buttons on, so each has its own small type rather
than a crash or a bare ``None``.
"""

from __future__ import annotations


class HandoffError(Exception):
    """Base of every queue refusal."""


class NoSuchTicket(HandoffError):
    """The ticket does not exist (forged id) or is no longer open (closed, forgotten)."""


class TicketTaken(HandoffError):
    """Another advisor claimed the ticket first."""


class NotHolder(HandoffError):
    """The advisor does not hold this ticket, so may not close, hand back or transfer it."""


class AdvisorAbsent(HandoffError):
    """The advisor has no live presence (never registered, or it expired): register first."""


class AtCapacity(HandoffError):
    """The advisor already holds as many chats as they declared they can."""


class LanguageMismatch(HandoffError):
    """The advisor does not serve the ticket's language."""


class InvalidOutcome(HandoffError, ValueError):
    """An outcome label that is not a short snake_case word."""
