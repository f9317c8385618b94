"""Ticket intake: from :data:`handoff.keys.HANDOFF_STREAM` into the queue, losing nothing.

Producers (the bot, the api's ``POST /api/v1/handoffs``) only XADD. Any
number of intake consumers read the stream in one consumer group; each entry
is written to the queue and acknowledged in the same Lua call (see
:meth:`HandoffQueue.enqueue`), then deleted from the stream, since the queue
now holds it. A consumer that dies between reading and writing leaves the
entry pending; another consumer reclaims it after ``min_idle_ms`` with
XAUTOCLAIM (small COUNT, a rolling cursor: a long pending list costs little).
Redelivery is harmless: the queue is idempotent by the request id.

Entries that cannot be read go to :data:`handoff.keys.HANDOFF_DEAD_STREAM`
with the reason — a malformed producer must not stop the queue.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.asyncio import Redis

from handoff import keys
from handoff.queue import HandoffQueue, StreamAck
from handoff.streams import Entry, GroupReader
from handoff.tickets import TicketRequest

log = logging.getLogger(__name__)

#: Longest field value copied into a dead letter.
DEAD_VALUE_CHARS = 512


class TicketIntake(GroupReader):
    name = "ticket intake"

    def __init__(self, redis: Redis, queue: HandoffQueue, *, consumer: str | None = None,
                 group: str = keys.HANDOFF_GROUP, stream: str = keys.HANDOFF_STREAM,
                 batch: int = 50, block_ms: int = 1000, min_idle_ms: int = 30_000,
                 reclaim_count: int = 10, reclaim_every: float = 5.0) -> None:
        super().__init__(redis, stream=stream, group=group, consumer=consumer, batch=batch,
                         block_ms=block_ms, min_idle_ms=min_idle_ms,
                         reclaim_count=reclaim_count, reclaim_every=reclaim_every)
        self.queue = queue

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        for entry_id, fields in entries:
            await self.handle(entry_id, fields)
        if ghosts:
            await self.ack_ghosts()

    async def handle(self, entry_id: str, fields: dict[Any, Any]) -> str:
        """Queue one entry (acknowledged by the same script), or dead-letter it."""
        try:
            request = TicketRequest.from_stream(fields)
        except ValueError as exc:  # ValidationError, bad JSON, undecodable bytes, bad time
            await self._dead_letter(entry_id, fields, exc)
            return "dead"
        ack = StreamAck(self.stream, self.group, entry_id)
        result = await self.queue.enqueue(request, ack=ack)
        return result.status.value

    async def _dead_letter(self, entry_id: str, fields: dict[Any, Any], exc: Exception) -> None:
        log.warning("ticket intake: malformed entry %s dead-lettered (%s)", entry_id,
                    type(exc).__name__)
        copy = {_text_lossy(k)[:64]: _text_lossy(v)[:DEAD_VALUE_CHARS]
                for k, v in list(fields.items())[:32]}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(keys.HANDOFF_DEAD_STREAM, {
                "entry": entry_id, "error": str(exc)[:DEAD_VALUE_CHARS],
                "fields": json.dumps(copy, ensure_ascii=False),
            }, maxlen=self.queue.config.stream_maxlen, approximate=True)
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()


def _text_lossy(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
