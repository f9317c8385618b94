"""The advisors' queue and the ownership of conversations, changed together in Lua.

One :class:`HandoffQueue` is built at start-up (api and bot alike) and
injected. Every method that changes something is one script call, so the
queue, the conversation's holder, the advisor's chats and the alert index
never disagree, and every change is published on
:data:`handoff.keys.QUEUE_CHANGED` for live consoles.

Order: urgent before high before normal, first come first served within a
priority. A ticket's created time is its place: it survives priority raises,
transfers to another language and a vanished advisor's chats returning.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from handoff import keys, lua, scripts
from handoff.config import QueueConfig
from handoff.errors import (
    AdvisorAbsent,
    AtCapacity,
    InvalidOutcome,
    LanguageMismatch,
    NoSuchTicket,
    NotHolder,
    TicketTaken,
)
from handoff.ownership import Holder, holder
from handoff.tickets import Language, Ticket, TicketRequest, to_ms

_TICKET_ID = re.compile(r"^[A-Za-z0-9:_.\-]{1,128}$")
_ADVISOR_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_OUTCOME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
HANDED_BACK = "handed_back"
_REFUSALS: dict[str, type[Exception]] = {
    "missing": NoSuchTicket, "taken": TicketTaken, "not_holder": NotHolder,
    "absent": AdvisorAbsent, "capacity": AtCapacity, "language": LanguageMismatch,
}


class EnqueueStatus(StrEnum):
    queued = "queued"
    #: The conversation was already waiting: reason/intent updated, priority raised if higher.
    updated = "updated"
    #: This request id was handled before: nothing changed.
    duplicate = "duplicate"
    #: An advisor holds the conversation: nothing queued (the message goes to them).
    held = "held"


class EnqueueResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: EnqueueStatus
    ticket_id: str
    advisor: str | None = None


class AdvisorView(BaseModel):
    """What one advisor is offered: waiting tickets in their languages, best first."""

    model_config = ConfigDict(frozen=True)

    tickets: list[Ticket]
    capacity: int
    open_chats: int

    @property
    def can_claim(self) -> bool:
        return self.open_chats < self.capacity


class QueueChange(BaseModel):
    """One JSON message on :data:`handoff.keys.QUEUE_CHANGED`: consoles re-read what changed.

    It names tickets and advisors, never the conversation's pseudonym.
    """

    model_config = ConfigDict(frozen=True)

    event: Literal["queued", "updated", "claimed", "transferred", "requeued", "closed",
                   "withdrawn", "forgotten", "advisor_gone"]
    ticket: str | None = None
    language: Language | None = None
    advisor: str | None = None


@dataclass(frozen=True)
class StreamAck:
    """The stream entry to acknowledge (and delete) in the same script as the queue write."""

    stream: str
    group: str
    entry_id: str


class HandoffQueue:
    def __init__(self, redis: Redis, config: QueueConfig | None = None) -> None:
        self.redis = redis
        self.config = config or QueueConfig()
        self._enqueue = lua.register(redis, self.config, scripts.ENQUEUE)
        self._claim = lua.register(redis, self.config, scripts.CLAIM)
        self._transfer = lua.register(redis, self.config, scripts.TRANSFER)
        self._requeue = lua.register(redis, self.config, scripts.REQUEUE)
        self._close = lua.register(redis, self.config, scripts.CLOSE)
        self._drop = lua.register(redis, self.config, scripts.DROP)
        self._reap = lua.register(redis, self.config, scripts.REAP)
        self._list = lua.register(redis, self.config, scripts.LIST)

    async def enqueue(self, request: TicketRequest, *, now: float | None = None,
                      ack: StreamAck | None = None) -> EnqueueResult:
        """Queue a conversation for a person; idempotent by ``request.id`` and per conversation.

        A conversation already waiting is updated (never lowered, never
        duplicated); one an advisor holds is left with them. ``ack``, from the
        intake, is acknowledged in the same script, so a crash leaves either
        both done or neither.
        """
        now_ms = to_ms(now if now is not None else time.time())
        created = min(to_ms(request.created), now_ms)
        stream = (ack.stream, ack.group, ack.entry_id) if ack else ("", "", "")
        result = await self._enqueue(args=[
            request.id, request.conversation, request.language.value, request.priority.value,
            request.intent or "", request.reason, created, now_ms, request.chat or "",
            request.channel, request.flow or "", request.source or "",
            int(self.config.seen_ttl * 1000), *stream,
        ])
        status = EnqueueStatus(_text(result[0]))
        advisor = _text(result[2]) if len(result) > 2 and result[2] else None
        return EnqueueResult(status=status, ticket_id=_text(result[1]), advisor=advisor)

    async def claim(self, ticket_id: str, advisor: str, *, now: float | None = None) -> Ticket:
        """Take this ticket; exactly one of many advisors pressing "take" at once gets it.

        Claiming a ticket one already holds returns it again (a retried click).
        """
        if not _TICKET_ID.match(ticket_id):
            raise NoSuchTicket(ticket_id[:64])
        result = await self._claim(args=[ticket_id, _advisor(advisor), _now_ms(now)])
        return Ticket.from_hash(_ok(result, "claimed")[1])

    async def claim_next(self, advisor: str, *, now: float | None = None) -> Ticket | None:
        """Take the best waiting ticket in the advisor's languages; None when there is none."""
        result = await self._claim(args=["", _advisor(advisor), _now_ms(now)])
        if _text(result[0]) == "empty":
            return None
        return Ticket.from_hash(_ok(result, "claimed")[1])

    async def list_for(self, advisor: str, *, limit: int = 50) -> AdvisorView:
        """The tickets this advisor may claim, best first, and whether they have room."""
        result = await self._list(args=[limit, _advisor(advisor)])
        _ok(result, "ok")
        return AdvisorView(tickets=_ranked(result[3], limit), capacity=int(result[1]),
                           open_chats=int(result[2]))

    async def waiting(self, languages: Iterable[Language] = tuple(Language), *,
                      limit: int = 100) -> list[Ticket]:
        """Waiting tickets in these languages, best first (a supervisor's overview)."""
        result = await self._list(args=[limit, "", *(Language(lang).value for lang in languages)])
        return _ranked(result[3], limit)

    async def transfer(self, ticket_id: str, advisor: str, to_advisor: str) -> Ticket:
        """Hand a held chat to another advisor (present, serving its language, with room)."""
        result = await self._transfer(args=[_ticket(ticket_id), _advisor(advisor),
                                            _advisor(to_advisor)])
        return Ticket.from_hash(_ok(result, "ok")[1])

    async def requeue(self, ticket_id: str, advisor: str, *, language: Language | None = None,
                      now: float | None = None) -> Ticket:
        """Put a held chat back in the queue, optionally for advisors of another language."""
        lang = Language(language).value if language is not None else ""
        result = await self._requeue(args=[_ticket(ticket_id), _advisor(advisor), lang,
                                           _now_ms(now)])
        return Ticket.from_hash(_ok(result, "ok")[1])

    async def close(self, ticket_id: str, advisor: str, outcome: str, *,
                    now: float | None = None) -> None:
        """End the chat with an outcome label; the conversation goes back to the bot.

        The closed ticket is written to :data:`handoff.keys.HANDOFF_CLOSED_STREAM`
        (for the api to record) and removed here. A repeated close finds no
        ticket and raises :class:`NoSuchTicket`.
        """
        if not _OUTCOME.match(outcome):
            raise InvalidOutcome("an outcome is a short snake_case label")
        _ok(await self._close(args=[_ticket(ticket_id), _advisor(advisor), outcome,
                                    _now_ms(now)]), "ok")

    async def hand_back(self, ticket_id: str, advisor: str, *, now: float | None = None) -> None:
        """Give the conversation back to the bot (a close labelled ``handed_back``)."""
        await self.close(ticket_id, advisor, HANDED_BACK, now=now)

    async def withdraw(self, conversation: str, *, now: float | None = None) -> bool:
        """The person no longer wants to wait; False unless the conversation was queued."""
        result = await self._drop(args=[conversation, "withdraw", _now_ms(now)])
        return _text(result[0]) == "ok"

    async def leave(self, conversation: str, *, now: float | None = None) -> bool:
        """The person goes back to the bot, whether waiting or with an advisor (recorded as
        ``withdrawn`` or ``left_by_person``); False when nothing was open."""
        result = await self._drop(args=[conversation, "leave", _now_ms(now)])
        return _text(result[0]) == "ok"

    async def forget(self, conversation: str) -> bool:
        """Erase the conversation's open ticket and holder now (/forget); True if any."""
        result = await self._drop(args=[conversation, "forget", 0])
        return _text(result[0]) == "ok"

    async def ticket(self, ticket_id: str) -> Ticket | None:
        """One open ticket, or None (unknown, closed or forged id)."""
        if not _TICKET_ID.match(ticket_id):
            return None
        raw = await self.redis.hgetall(keys.handoff_ticket(ticket_id))  # type: ignore[misc]
        return Ticket.from_hash(raw) if raw else None

    async def holder(self, conversation: str) -> Holder:
        """Who holds the conversation (one GET; see :mod:`handoff.ownership`)."""
        return await holder(self.redis, conversation)

    async def reap_absent_advisors(self, *, now: float | None = None,
                                   limit: int = 100) -> list[str]:
        """Return to the queue the chats of advisors whose presence expired more than the
        grace period ago, keeping each ticket's priority and place; the requeued ids."""
        result = await self._reap(args=[_now_ms(now), int(self.config.absent_grace * 1000),
                                        limit, ""])
        return [_text(r) for r in result]

    async def sign_off(self, advisor: str, *, now: float | None = None) -> list[str]:
        """The advisor leaves: presence gone, their chats back in the queue at once."""
        result = await self._reap(args=[_now_ms(now), 0, 1, _advisor(advisor)])
        return [_text(r) for r in result]


def _ok(result: list[Any], success: str) -> list[Any]:
    status = _text(result[0])
    if status == success:
        return result
    raise _REFUSALS.get(status, NoSuchTicket)(status)


def _ranked(items: list[Any], limit: int) -> list[Ticket]:
    scored = sorted(((float(_text(score)), fields) for score, fields in items if fields),
                    key=lambda item: item[0])
    return [Ticket.from_hash(fields) for _, fields in scored[:limit]]


def _ticket(ticket_id: str) -> str:
    if not _TICKET_ID.match(ticket_id):
        raise NoSuchTicket(ticket_id[:64])
    return ticket_id


def _advisor(advisor: str) -> str:
    if not _ADVISOR_ID.match(advisor):
        raise AdvisorAbsent(advisor[:64])
    return advisor


def _now_ms(now: float | None) -> int:
    return to_ms(now if now is not None else time.time())


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
