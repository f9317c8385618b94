"""What consoles are shown: ticket views, the queue view, opened messages and notes.

Reading only. The waiting part of a queue view depends only on the languages,
so the live hub shares one :class:`Offers` between all consoles it refreshes
together and reads it once. A view never carries the conversation's
pseudonym or the sealed chat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from api.auth import Principal
from api.console.auth import advisor_id
from api.console.schemas import Msg, Note, QueueView, TicketView
from api.models import ConversationMessage, ConversationNote
from handoff import keys
from handoff.advisors import Advisors
from handoff.events import EventType
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Ticket, TicketState
from handoff.watch import QueueWatch
from hotline.crypto import DecryptionError, Sealer

log = logging.getLogger(__name__)

#: Waiting tickets sent with a queue view (the total count comes with them).
VIEW_LIMIT = 50
AUTHORS = {EventType.message_in.value: "person", EventType.message_out.value: "bot",
           EventType.advisor_out.value: "advisor"}


@dataclass(frozen=True)
class Snapshot:
    """A queue view with what the live hub needs besides: the held tickets, the languages,
    the waiting part already as JSON (shared by every console refreshed with it)."""

    view: QueueView
    mine: list[Ticket]
    languages: frozenset[Language]
    waiting_json: list[dict[str, object]]


@dataclass(frozen=True)
class Offer:
    views: list[TicketView]
    total: int
    now: dt.datetime
    json: list[dict[str, object]]


class Offers:
    """Waiting tickets per language set, read once for all consoles refreshed together."""

    def __init__(self, service: ConsoleViews) -> None:
        self._service = service
        self._reads: dict[frozenset[Language], asyncio.Future[Offer]] = {}

    async def get(self, languages: frozenset[Language]) -> Offer:
        read = self._reads.get(languages)
        if read is None:
            read = self._reads[languages] = asyncio.ensure_future(
                self._service.offer(languages))
        return await asyncio.shield(read)


class ConsoleViews:
    def __init__(self, redis: Redis, queue: HandoffQueue, advisors: Advisors,
                 watch: QueueWatch, sealer: Sealer) -> None:
        self.redis = redis
        self.queue = queue
        self.advisors = advisors
        self.watch = watch
        self.sealer = sealer

    def ticket_view(self, ticket: Ticket, advisor_name: str | None,
                    now: dt.datetime | None = None) -> TicketView:
        now = now or dt.datetime.now(dt.UTC)
        queued = ticket.state is TicketState.queued
        until = now if queued else (ticket.claimed_at or now)
        waited = max(0, int((until - ticket.queued_at).total_seconds()))
        limit = self.queue.config.alert_ms(ticket.priority) / 1000
        return TicketView(
            id=ticket.id, language=ticket.language, priority=ticket.priority.value,
            urgent=ticket.priority.value == "urgent", reason=ticket.reason, intent=ticket.intent,
            channel=ticket.channel, created=ticket.created, queued_at=ticket.queued_at,
            waited_seconds=waited, state=ticket.state.value,
            advisor=advisor_name if not queued else None, overdue=queued and waited >= limit)

    async def tickets(self, ids: Iterable[str]) -> list[Ticket]:
        """Open tickets by id in one round trip (gone ones skipped)."""
        ids = list(ids)
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.hgetall(keys.handoff_ticket(ticket_id))
            raw = await pipe.execute()
        return [Ticket.from_hash(r) for r in raw if r]

    async def mine(self, principal: Principal) -> list[Ticket]:
        me = advisor_id(principal)
        held = await self.tickets(await self.advisors.chats(me))
        return [t for t in held if t.state is TicketState.held and t.advisor == me]

    async def queue_view(self, principal: Principal) -> QueueView:
        return (await self.snapshot(principal)).view

    async def snapshot(self, principal: Principal, offers: Offers | None = None) -> Snapshot:
        """What one console shows: a few round trips whatever the queue's length.

        The waiting part depends only on the languages, so the live hub passes one
        :class:`Offers` to all consoles it refreshes together and it is read once.
        """
        me = advisor_id(principal)
        presence = await self.advisors.get(me)
        mine = await self.mine(principal)
        # Offline: the whole queue, to read (claiming needs presence).
        languages = frozenset(presence.languages) if presence is not None else frozenset(Language)
        offer = await (offers or Offers(self)).get(languages)
        now = offer.now
        view = QueueView(
            waiting=offer.views, waiting_total=offer.total,
            mine=[self.ticket_view(t, principal.name, now) for t in mine],
            capacity=presence.capacity if presence is not None else 0, open_chats=len(mine),
            online=presence is not None)
        return Snapshot(view=view, mine=mine, languages=languages, waiting_json=offer.json)

    async def offer(self, languages: frozenset[Language]) -> Offer:
        """The first waiting tickets in these languages, best first, and how many wait."""
        ordered = sorted(languages)
        waiting = await self.queue.waiting(ordered, limit=VIEW_LIMIT)
        async with self.redis.pipeline(transaction=False) as pipe:
            for lang in ordered:
                pipe.zcard(keys.handoff_waiting(lang.value))
            total = sum(int(n) for n in await pipe.execute())
        now = dt.datetime.now(dt.UTC)
        views = [self.ticket_view(t, None, now) for t in waiting]
        return Offer(views=views, total=total, now=now,
                     json=[v.model_dump(mode="json") for v in views])

    def message(self, row: ConversationMessage) -> Msg:
        """An advisor's message keeps the id its reply returned (the page matches them up);
        others show the row id, since the bot's event ids embed part of the pseudonym."""
        own = row.direction == EventType.advisor_out.value
        return Msg(id=row.event_id if own else str(row.id), at=row.at,
                   author=AUTHORS.get(row.direction, "bot"),  # type: ignore[arg-type]
                   text=self._open(row.text_sealed, row.pseudonym), intent=row.intent)

    def note(self, row: ConversationNote) -> Note:
        return Note(id=str(row.id), at=row.at, author=row.author.name,
                    text=self._open(row.text_sealed, row.pseudonym) or "")

    def _open(self, sealed: str | None, pseudonym: str) -> str | None:
        if sealed is None:
            return None
        try:
            return self.sealer.open(sealed, context=pseudonym)
        except DecryptionError:
            log.warning("console: a sealed text could not be opened (wrong key?)")
            return None
