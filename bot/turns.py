"""Committing a Telegram turn: record, events, outgoing messages and ticket in one transaction.

Handlers never send replies themselves. They hand channel-neutral messages
to :class:`Turns`, which renders them for Telegram, queues them on the outbox
(the sender is the only caller of Telegram's send methods, so limits hold
across replicas), records one sealed event per message in and out, and
writes the person's record — all in one Lua call (bot/commit.py), so a crash
leaves either the whole turn or none of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from redis.asyncio import Redis

from bot.commit import Remembered, TurnCommit
from bot.conversation import CONVERSATION_TTL, Conversation
from bot.dialogue import Message, Turn, coalesce, engine_turn
from bot.engines import EngineHolder
from bot.middlewares.identity import Person
from bot.outgoing import ready
from bot.queueing import QueueDesk
from bot.store import ConversationStore
from bot.tickets import FIELD as TICKET_FIELD
from bot.tickets import HandoffTicket
from flows.outcome import Input
from flows.schema import Lang
from handoff.events import ConversationEvent, EventType, TextSealer, message_event
from handoff.outbox import Outbox
from hotline.crypto import Sealer

log = logging.getLogger(__name__)


class Turns:
    """The Telegram side of a turn; built once at start-up and injected into handlers."""

    def __init__(
        self, *, redis: Redis, store: ConversationStore, engines: EngineHolder,
        text_sealer: TextSealer, chat_sealer: Sealer, outbox: Outbox,
        desk: QueueDesk | None = None,
    ) -> None:
        self.redis = redis
        self.outbox = outbox
        self.store = store
        self.engines = engines
        self._text_sealer = text_sealer
        self._chat_sealer = chat_sealer
        self._commit = TurnCommit(redis)
        self.desk = desk

    async def run(
        self, person: Person, conversation: Conversation, inp: Input, *, said: str | None,
        update_id: int, message_id: int | None = None, before: Sequence[Message] = (),
    ) -> Turn:
        """Run the engine on ``inp`` and commit everything the turn produced.

        ``before`` are the bot's own messages to show ahead of the engine's.
        """
        current = self.engines.current
        closed = self.desk.closed_note if self.desk is not None else None
        turn = engine_turn(current, conversation, inp, pseudonym=person.pseudonym,
                           channel="telegram", sealed_chat=None, now=dt.datetime.now(dt.UTC),
                           closed_note=closed)
        turn.messages = coalesce([*before, *turn.messages])
        if turn.ticket is not None:
            sealed = self._chat_sealer.seal(str(person.chat_id), context=person.pseudonym)
            turn.ticket = turn.ticket.model_copy(update={"chat": sealed})
        await self.commit(person, turn.messages, context=turn.conversation, save=True,
                          said=said, intent=turn.intent, update_id=update_id, ticket=turn.ticket,
                          message_id=message_id)
        return turn

    async def commit(
        self,
        person: Person,
        messages: Sequence[Message],
        *,
        context: Conversation | None,
        save: bool,
        said: str | None,
        update_id: int,
        intent: str | None = None,
        ticket: HandoffTicket | None = None,
        record: bool = True,
        message_id: int | None = None,
    ) -> None:
        """Queue ``messages``, the events and (``save``) the record, atomically.

        ``context`` gives the language and the auto-delete choice. ``said`` is
        what the person sent (text, button label, command) for the transcript;
        ``record=False`` keeps no events (notices about input the bot did not
        read — media, floods — keep nothing of it). ``message_id`` is the
        person's own message: noted so /forget and auto-delete remove it too.
        """
        lang = context.lang if context is not None else Lang.ru
        delete_after = context.delete_after if context is not None else 0
        refs = self.engines.current.refs
        base = f"tg:{person.pseudonym[:12]}:{update_id}"
        outgoing = [ready(person.chat_id, m, refs, id=f"{base}:{i}", delete_after=delete_after)
                    for i, m in enumerate(messages)]
        remembered = None
        if message_id is not None:
            remembered = Remembered(person.chat_id, message_id, delete_after or None)
        stream_id = await self._commit(
            pseudonym=person.pseudonym, chat_id=person.chat_id, outgoing=outgoing,
            events=self._events(person, lang, intent, said, messages, update_id) if record else (),
            record=context.dump() if save and context is not None else None,
            record_ttl=CONVERSATION_TTL,
            ticket=(TICKET_FIELD, ticket.fields()[TICKET_FIELD]) if ticket is not None else None,
            remembered=remembered)
        if ticket is not None and context is not None and stream_id is not None:
            await self.store.save(person.pseudonym, context.with_ticket(stream_id))
            log.info("handoff queued (%s, %s)", ticket.priority, ticket.intent)

    def _events(
        self, person: Person, lang: Lang, intent: str | None, said: str | None,
        messages: Sequence[Message], update_id: int,
    ) -> list[ConversationEvent]:
        seal, who = self._text_sealer, person.pseudonym
        events = []
        if said is not None:
            events.append(message_event(seal, type=EventType.message_in, conversation=who,
                                        text=said, lang=lang, intent=intent,
                                        id=f"tg:{who[:12]}:{update_id}"))
        for i, message in enumerate(messages):
            events.append(message_event(seal, type=EventType.message_out, conversation=who,
                                        text=message.text, lang=lang, intent=intent,
                                        protected=message.protect,
                                        id=f"tg:{who[:12]}:{update_id}:{i}"))
        return events
