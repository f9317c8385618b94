"""The relay: what the advisor side says reaches the person, in their language and channel.

A consumer (group :data:`handoff.keys.TO_PERSON_GROUP`) of
:data:`handoff.keys.TO_PERSON_STREAM`, where the api writes
:class:`handoff.relay.PersonMessage` entries. For each entry it

1. reads the person's record (language chosen since the ticket, auto-delete);
2. renders the kind — an advisor's words, "a person took your chat", the
   hand-back, the close, the closing question, the return to the queue —
   under the service's name (``HOTLINE_SERVICE_NAME``), never the advisor's;
3. Telegram: opens the ticket's sealed chat (purpose ``"chat"``, context = the
   conversation, as bot/turns.py sealed it) and queues the messages on the
   outbox, with the person's auto-delete choice; web chat: publishes them on
   :func:`handoff.keys.webchat_inbox`, where the open tab's WebSocket listens;
4. acknowledges and deletes the entry in the same transaction.

Idempotent by the message id: the outbox ignores an id it has queued before,
and the web chat's publish happens under a SET NX marker in one script, so a
redelivered entry (a crash after queueing, a reclaim) never sends twice.

Nothing is delivered to a conversation whose record is gone — erased by
/forget (which also drops entries still waiting here) or expired: a late
message from a console that had not caught up must not reach them.

An entry that cannot be read, whose chat cannot be opened or whose
conversation is gone goes to
:data:`handoff.keys.TO_PERSON_DEAD_STREAM` with the entry id and the reason
only — never the text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

from bot.conversation import Conversation
from bot.dialogue import Message
from bot.outgoing import render
from bot.queueing import QueueDesk
from bot.texts import T, text
from bot.tickets import open_chat
from bot.webframes import advisor_frame
from flows.schema import Lang
from handoff import keys
from handoff.outbox import Outbox
from handoff.relay import MAX_TEXT, PersonMessage, RelayKind
from handoff.streams import Entry, GroupReader
from hotline.crypto import Sealer

log = logging.getLogger(__name__)

#: How long a web chat delivery is remembered (a redelivery within it publishes nothing).
DELIVERED_TTL = 7 * 24 * 3600

_KIND_TEXT = {
    RelayKind.handed_back: T.relay_handed_back,
    RelayKind.closed: T.relay_closed,
    RelayKind.requeued: T.relay_requeued,
}

# KEYS: delivered marker, web chat channel, stream. ARGV: ttl s, group, entry id, frames...
_PUBLISH_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  for i = 4, #ARGV do redis.call('PUBLISH', KEYS[2], ARGV[i]) end
end
redis.call('XACK', KEYS[3], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[3], ARGV[3])
return 1
"""


class Undeliverable(ValueError):
    """An entry the relay cannot deliver (its reason is logged and dead-lettered, no text)."""


class PersonRelay(GroupReader):
    name = "person relay"

    def __init__(self, redis: Redis, *, chat_sealer: Sealer, desk: QueueDesk,
                 consumer: str | None = None, batch: int = 50, block_ms: int = 1000,
                 min_idle_ms: int = 30_000, reclaim_count: int = 10,
                 reclaim_every: float = 5.0) -> None:
        super().__init__(redis, stream=keys.TO_PERSON_STREAM, group=keys.TO_PERSON_GROUP,
                         consumer=consumer, batch=batch, block_ms=block_ms,
                         min_idle_ms=min_idle_ms, reclaim_count=reclaim_count,
                         reclaim_every=reclaim_every)
        self.chat_sealer = chat_sealer
        self.desk = desk
        self.outbox = Outbox(redis)
        self._publish_once = redis.register_script(_PUBLISH_ONCE)

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        for entry_id, fields in entries:
            await self.handle(entry_id, fields)
        if ghosts:
            await self.ack_ghosts()

    async def handle(self, entry_id: str, fields: dict[Any, Any]) -> str:
        """Deliver one entry (or dead-letter it); returns "queued", "published", "skipped" or
        "dead"."""
        try:
            message = PersonMessage.from_fields(fields)
        except (ValueError, UnicodeError) as exc:  # ValidationError is a ValueError
            return await self._dead(entry_id, f"malformed ({type(exc).__name__})")
        try:
            return await self.deliver(entry_id, message)
        except Undeliverable as exc:
            return await self._dead(entry_id, str(exc))

    async def deliver(self, entry_id: str, message: PersonMessage) -> str:
        record = Conversation.load(await self.redis.get(keys.bot_conversation(
            message.conversation)))
        if record is None:
            # Erased (/forget) or long expired: a late message from a console that had not
            # caught up must not reach a phone whose owner asked to leave no trace.
            raise Undeliverable("the conversation was erased or has expired")
        lang = record.lang
        rendered = self.render(message, lang)
        if not rendered:
            await self._ack(entry_id)
            return "skipped"
        if message.channel == "web":
            frames = [json.dumps(advisor_frame(m, message.kind.value), ensure_ascii=False)
                      for m in rendered]
            await self._publish_once(
                keys=[keys.relay_delivered(message.id), keys.webchat_inbox(message.conversation),
                      self.stream],
                args=[DELIVERED_TTL, self.group, entry_id, *frames])
            return "published"
        chat_id = open_chat(self.chat_sealer, message.chat, message.conversation)
        if chat_id is None:
            raise Undeliverable("no chat, or the chat cannot be opened")
        outgoing = [render(chat_id, m, None, delete_after=record.delete_after,
                           id=message.id if len(rendered) == 1 else f"{message.id}:{i}"[:128])
                    for i, m in enumerate(rendered)]
        async with self.redis.pipeline(transaction=True) as pipe:
            for out in outgoing:
                await self.outbox.queue(pipe, out)
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()
        return "queued"

    def render(self, message: PersonMessage, lang: Lang) -> list[Message]:
        """The person-facing messages for one entry (empty: nothing to send)."""
        service = self.desk.service_name
        if message.kind is RelayKind.advisor_text:
            words = (message.text or "").strip()
            if not words:
                raise Undeliverable("advisor_text without text")
            header = text(T.relay_advisor, lang, service=service)
            combined = f"{header}\n{words}"
            # The advisor's words may be sensitive: Telegram is asked not to allow forwarding.
            if len(combined) <= MAX_TEXT:
                return [Message(text=combined, protect=True)]
            return [Message(text=header), Message(text=words, protect=True)]
        if message.kind is RelayKind.claimed:
            return [Message(text=text(T.relay_claimed, lang, service=service))]
        if message.kind is RelayKind.survey:
            survey = self.desk.survey(message.ticket, message.conversation, lang)
            return [survey] if survey is not None else []
        return [Message(text=text(_KIND_TEXT[message.kind], lang))]

    async def _ack(self, entry_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()

    async def _dead(self, entry_id: str, reason: str) -> str:
        log.warning("person relay: entry %s dead-lettered (%s)", entry_id, reason)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(keys.TO_PERSON_DEAD_STREAM, {"entry": entry_id, "error": reason[:200]},
                      maxlen=10_000, approximate=True)
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()
        return "dead"
