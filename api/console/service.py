"""The console's logic: the shared handoff queue, seen and driven by one advisor.

Built once in the lifespan and injected. Every method takes the caller (a
:class:`~api.auth.Principal`) and checks what the spec allows: only the
advisor holding a chat may answer, note, transfer, hand back or close it; an
admin may read any open chat (and that read is audited) but must claim a chat
to act on it. Text is opened (:mod:`api.console.views`) only after that check. Audit entries
name tickets and staff, never the conversation or any text.

What the person is told (an advisor is here, the chat went back, the closing
question) is relayed to the bot (:func:`handoff.relay.relay`) with ids derived
from the ticket and the moment, so a retried click relays nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.console import store
from api.console.auth import advisor_id
from api.console.errors import NotYours, TicketGone, translate
from api.console.schemas import (
    CloseIn,
    Me,
    Note,
    PresenceIn,
    PresenceOut,
    TicketDetail,
    TicketView,
    TransferIn,
)
from api.console.views import ConsoleViews
from api.crud.audit import record
from api.errors import NotFound
from api.models import Role
from api.schemas.audit import Action
from api.schemas.common import MAX_INT
from handoff.advisors import AdvisorPresence
from handoff.errors import HandoffError
from handoff.events import EventType, message_event
from handoff.relay import PersonMessage, RelayKind, relay
from handoff.tickets import Ticket, TicketState, to_ms


def relay_id(kind: RelayKind, ticket_id: str, moment: str = "") -> str:
    """A PersonMessage id fixed by what it announces: the outbox drops a repeat."""
    plain = f"{kind.value}:{ticket_id}:{moment}".rstrip(":")
    if len(plain) <= 100:
        return plain
    return f"{kind.value}:{hashlib.sha256(plain.encode()).hexdigest()[:64]}"


class ConsoleService(ConsoleViews):
    """The actions; the reading side is :class:`~api.console.views.ConsoleViews`."""

    # Presence ------------------------------------------------------------------------

    async def me(self, principal: Principal) -> Me:
        presence = await self.advisors.get(advisor_id(principal))
        return Me(id=advisor_id(principal), name=principal.name, role=principal.role.value,
                  presence=_presence(presence))

    async def go_online(self, session: AsyncSession, principal: Principal,
                        body: PresenceIn) -> PresenceOut:
        presence = AdvisorPresence(id=advisor_id(principal), languages=frozenset(body.languages),
                                   capacity=body.capacity)
        await self.advisors.register(presence)
        record(session, actor=principal, action=Action.console_online, detail={
            "languages": sorted(lang.value for lang in presence.languages),
            "capacity": presence.capacity})
        await session.commit()
        out = _presence(presence)
        assert out is not None
        return out

    async def go_offline(self, session: AsyncSession, principal: Principal, *,
                         action: Action = Action.console_offline) -> None:
        """Sign off: presence gone, held chats back in the queue now (the people are told)."""
        requeued = await self.queue.sign_off(advisor_id(principal))
        await self.announce_requeued(requeued)
        record(session, actor=principal, action=action, detail={"returned": len(requeued)})
        await session.commit()

    async def announce_requeued(self, ticket_ids: list[str]) -> None:
        """Tell the people whose chats went back to the queue (sign-off, reaper)."""
        for ticket in await self.tickets(ticket_ids):
            await self._relay(ticket, RelayKind.requeued, str(to_ms(ticket.queued_at)))

    # Claiming ------------------------------------------------------------------------

    async def claim(self, session: AsyncSession, principal: Principal,
                    ticket_id: str) -> TicketView:
        me = advisor_id(principal)
        before = await self.queue.ticket(ticket_id)
        if before is None:
            raise TicketGone("no such open ticket")
        try:
            ticket = await self.queue.claim(ticket_id, me)
        except HandoffError as exc:
            raise translate(exc) from exc
        if not (before.state is TicketState.held and before.advisor == me):
            await self._claimed(session, principal, ticket)
        return self.ticket_view(ticket, principal.name)

    async def claim_next(self, session: AsyncSession, principal: Principal) -> TicketView | None:
        try:
            ticket = await self.queue.claim_next(advisor_id(principal))
        except HandoffError as exc:
            raise translate(exc) from exc
        if ticket is None:
            return None
        await self._claimed(session, principal, ticket)
        return self.ticket_view(ticket, principal.name)

    async def _claimed(self, session: AsyncSession, principal: Principal,
                       ticket: Ticket) -> None:
        moment = str(to_ms(ticket.claimed_at)) if ticket.claimed_at else ""
        await self._relay(ticket, RelayKind.claimed, moment)
        record(session, actor=principal, action=Action.console_claim,
               detail={"ticket": ticket.id, "priority": ticket.priority.value})
        await session.commit()

    # One chat ------------------------------------------------------------------------

    async def detail(self, session: AsyncSession, principal: Principal,
                     ticket_id: str) -> TicketDetail:
        """The chat with its transcript and notes: for its holder, or an admin (audited)."""
        ticket = await self.queue.ticket(ticket_id)
        if ticket is None:
            raise TicketGone("no such open ticket")
        me = advisor_id(principal)
        holds = ticket.state is TicketState.held and ticket.advisor == me
        if not holds and principal.role is not Role.admin:
            raise NotYours("only the advisor holding this chat (or an admin) may read it")
        name = principal.name if holds else await self._advisor_name(session, ticket.advisor)
        rows = await store.messages(session, ticket.conversation)
        notes = await store.notes(session, ticket.conversation)
        if not holds:
            record(session, actor=principal, action=Action.console_read,
                   detail={"ticket": ticket.id})
            await session.commit()
        return TicketDetail(ticket=self.ticket_view(ticket, name),
                            messages=[self.message(r) for r in rows],
                            notes=[self.note(n) for n in notes])

    async def _advisor_name(self, session: AsyncSession, advisor: str | None) -> str | None:
        if not advisor or not advisor.isdigit() or int(advisor) > MAX_INT:
            return advisor
        names = await store.staff_names(session, {int(advisor)})
        return names.get(int(advisor), advisor)

    async def held(self, principal: Principal, ticket_id: str) -> Ticket:
        """The ticket if the caller holds it; 404 when it is not open, 403 when not theirs."""
        ticket = await self.queue.ticket(ticket_id)
        if ticket is None:
            raise TicketGone("no such open ticket")
        if ticket.state is not TicketState.held or ticket.advisor != advisor_id(principal):
            raise NotYours("only the advisor holding this chat may do that")
        return ticket

    async def reply(self, session: AsyncSession, principal: Principal, ticket_id: str,
                    text: str) -> str:
        """Queue the words for the person and their transcript event, in one MULTI."""
        ticket = await self.held(principal, ticket_id)
        message = PersonMessage.for_ticket(ticket, RelayKind.advisor_text, text)
        event = message_event(self.sealer, type=EventType.advisor_out,
                              conversation=ticket.conversation, text=text,
                              channel=ticket.channel, lang=ticket.language.value, id=message.id)
        await relay(self.redis, message, event)
        record(session, actor=principal, action=Action.console_reply,
               detail={"ticket": ticket.id})
        await session.commit()
        return message.id

    async def add_note(self, session: AsyncSession, principal: Principal, ticket_id: str,
                       text: str) -> Note:
        ticket = await self.held(principal, ticket_id)
        row = await store.add_note(
            session, pseudonym=ticket.conversation, ticket_id=ticket.id,
            author_id=principal.id,
            sealed=self.sealer.seal(text, context=ticket.conversation))
        record(session, actor=principal, action=Action.console_note,
               detail={"ticket": ticket.id})
        await session.commit()
        return Note(id=str(row.id), at=row.at, author=principal.name, text=text)

    async def transfer(self, session: AsyncSession, principal: Principal, ticket_id: str,
                       body: TransferIn) -> TicketView:
        """To a named advisor (present, serving the language, with room) or back to a queue."""
        me = advisor_id(principal)
        await self.held(principal, ticket_id)
        try:
            if body.to_advisor is not None:
                target = await store.console_staff(session, name=body.to_advisor)
                if target is None:
                    raise NotFound("no advisor of that name")
                moved = await self.queue.transfer(ticket_id, me, str(target.id))
                view = self.ticket_view(moved, target.name)
                detail = {"ticket": ticket_id, "to_advisor": target.name}
            else:
                assert body.language is not None
                moved = await self.queue.requeue(ticket_id, me, language=body.language)
                await self._relay(moved, RelayKind.requeued, str(to_ms(moved.queued_at)))
                view = self.ticket_view(moved, None)
                detail = {"ticket": ticket_id, "language": body.language.value}
        except HandoffError as exc:
            raise translate(exc) from exc
        record(session, actor=principal, action=Action.console_transfer, detail=detail)
        await session.commit()
        return view

    async def hand_back(self, session: AsyncSession, principal: Principal,
                        ticket_id: str) -> None:
        ticket = await self.held(principal, ticket_id)
        try:
            await self.queue.hand_back(ticket_id, advisor_id(principal))
        except HandoffError as exc:
            raise translate(exc) from exc
        await self._closed(session, principal, ticket, "handed_back", Action.console_hand_back)
        await self._relay(ticket, RelayKind.handed_back)

    async def close(self, session: AsyncSession, principal: Principal, ticket_id: str,
                    body: CloseIn) -> None:
        ticket = await self.held(principal, ticket_id)
        try:
            await self.queue.close(ticket_id, advisor_id(principal), body.outcome.value)
        except HandoffError as exc:
            raise translate(exc) from exc
        await self._closed(session, principal, ticket, body.outcome.value, Action.console_close,
                           survey=body.survey)
        await self._relay(ticket, RelayKind.closed)
        if body.survey:
            await self._relay(ticket, RelayKind.survey)

    async def _closed(self, session: AsyncSession, principal: Principal, ticket: Ticket,
                      outcome: str, action: Action, *, survey: bool = False) -> None:
        await store.record_closure(session, ticket=ticket, advisor_id=principal.id,
                                   outcome=outcome, closed_at=dt.datetime.now(dt.UTC))
        detail: dict[str, object] = {"ticket": ticket.id, "outcome": outcome}
        if action is Action.console_close:
            detail["survey"] = survey
        record(session, actor=principal, action=action, detail=detail)
        await session.commit()

    async def _relay(self, ticket: Ticket, kind: RelayKind, moment: str = "") -> None:
        await relay(self.redis, PersonMessage.for_ticket(
            ticket, kind, id=relay_id(kind, ticket.id, moment)))


def _presence(presence: AdvisorPresence | None) -> PresenceOut | None:
    if presence is None:
        return None
    return PresenceOut(languages=sorted(presence.languages), capacity=presence.capacity)
