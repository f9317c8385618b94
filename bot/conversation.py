"""A person's conversation record: what the bot keeps between their updates, and nothing more.

One small JSON value per person in Redis, keyed by pseudonym, expiring 30 days
after the last update. It holds the engine's state, whether the language was
chosen explicitly, the auto-delete choice, and the handoff bookkeeping that
/forget needs to find (the ids of the person's tickets). No Telegram id, no
message text: the chat id arrives with every update and is never stored here.
"""

from __future__ import annotations

import datetime as dt
import logging

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.memo import Memo
from flows.outcome import ConversationState
from flows.schema import Lang, Priority
from handoff.outbox import DELETE_WINDOW

log = logging.getLogger(__name__)

#: The record expires this long after the person's last update.
CONVERSATION_TTL = 30 * 24 * 3600
#: Ticket ids kept for /forget (older ones have long been handled and recorded by the api).
MAX_TICKETS = 20
#: A handoff request older than this no longer counts as pending (see ``waiting_now``).
WAITING_FOR = dt.timedelta(hours=24)
#: How long a new ticket may take to be taken in from the stream into the queue.
INTAKE_GRACE = dt.timedelta(minutes=2)


#: Records read before, by their bytes: most people stand at the same few places (the menu,
#: a flow's first question, in their language), so most records are byte-for-byte alike.
#: A record is immutable (every change is a copy), so one object serves them all. It holds
#: no text and no Telegram id; one with ticket ids is unique to its person and never kept,
#: so nothing here outlives /forget that could point back at somebody.
_LOADED: Memo[bytes | str, Conversation] = Memo(4096)


class Waiting(BaseModel):
    """The conversation is queued for a person: a second request only raises the priority."""

    model_config = ConfigDict(frozen=True)

    priority: Priority
    since: dt.datetime


class Conversation(BaseModel):
    """What one person's next update needs to know."""

    #: Unknown fields (from a newer bot during a rolling update) are dropped, not fatal.
    model_config = ConfigDict(extra="ignore", frozen=True)

    state: ConversationState = Field(default_factory=ConversationState)
    #: The person picked the language (/language or its buttons): detection no longer overrides.
    lang_chosen: bool = False
    #: The bot deletes its messages in this chat this many hours after sending them; 0 = never.
    autodelete_hours: int = 0
    waiting: Waiting | None = None
    #: Stream ids of this person's handoff tickets, so /forget can delete them.
    tickets: list[str] = Field(default_factory=list)
    #: When the bot last answered a message written while queued (one note per few minutes).
    queue_note_at: dt.datetime | None = None
    #: The bot saw this request queued or held (so "with the bot" afterwards means it ended).
    queue_seen: bool = False

    @property
    def lang(self) -> Lang:
        return self.state.lang

    @property
    def delete_after(self) -> int:
        """Seconds after which the bot deletes what it sends here (0 = never), within the
        48 h Telegram allows."""
        return min(self.autodelete_hours * 3600, DELETE_WINDOW)

    def dump(self) -> bytes:
        return self.model_dump_json(exclude_defaults=True).encode()

    @classmethod
    def load(cls, raw: bytes | str | None) -> Conversation | None:
        """The stored record; None when there is none or it is unreadable (logged, not fatal)."""
        if raw is None:
            return None
        known = _LOADED.get(raw)
        if known is not None:
            return known
        try:
            loaded = cls.model_validate_json(raw)
        except ValidationError:
            log.warning("unreadable conversation record replaced by a fresh one")
            return None
        # One with tickets is its person's alone: not kept.
        return loaded if loaded.tickets else _LOADED.put(raw, loaded)

    def with_state(self, state: ConversationState) -> Conversation:
        return self.model_copy(update={"state": state})

    def with_language(self, lang: Lang, *, chosen: bool) -> Conversation:
        if lang is self.state.lang and (self.lang_chosen or not chosen):
            return self  # most turns: the language stays (and the record is immutable)
        state = self.state.model_copy(update={"lang": lang})
        return self.model_copy(update={"state": state, "lang_chosen": chosen or self.lang_chosen})

    def waiting_now(self, now: dt.datetime) -> Waiting | None:
        """The handoff still pending; one older than :data:`WAITING_FOR` counts as handled.

        Until the advisor queue tells the bot when a conversation is closed,
        an old request must not make a new one look like a duplicate.
        """
        if self.waiting is None or now - self.waiting.since > WAITING_FOR:
            return None
        return self.waiting

    def queued(self, priority: Priority, now: dt.datetime) -> Conversation:
        """Mark the conversation as waiting for a person at ``priority``."""
        pending = self.waiting_now(now)
        waiting = Waiting(priority=priority, since=pending.since if pending else now)
        return self.model_copy(update={"waiting": waiting})

    def back_with_bot(self) -> Conversation:
        """The person left the queue or the advisor: forget the pending handoff, so a new
        request makes a new ticket."""
        if self.waiting is None and self.queue_note_at is None and not self.queue_seen:
            return self
        return self.model_copy(update={"waiting": None, "queue_note_at": None,
                                       "queue_seen": False})

    def reconcile(self, handed_off: bool, now: dt.datetime) -> Conversation:
        """Align the record with the holder the gate read (the one source of truth).

        Handed off: note that the request reached the queue. With the bot: the
        request ended (closed, handed back, withdrawn) once the queue had it, or
        when it is older than :data:`INTAKE_GRACE` — before that the ticket may
        simply not have been taken in from the stream yet.
        """
        if handed_off:
            if self.waiting is not None and not self.queue_seen:
                return self.model_copy(update={"queue_seen": True})
            return self
        if self.waiting is None and self.queue_note_at is None and not self.queue_seen:
            return self
        if self.waiting is not None and not self.queue_seen and \
                now - self.waiting.since < INTAKE_GRACE:
            return self
        return self.back_with_bot()

    def with_ticket(self, stream_id: str) -> Conversation:
        return self.model_copy(update={"tickets": [*self.tickets, stream_id][-MAX_TICKETS:]})
