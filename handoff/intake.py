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

import asyncio
import json
import logging
import os
import socket
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from handoff import keys
from handoff.queue import HandoffQueue, StreamAck
from handoff.tickets import TicketRequest

log = logging.getLogger(__name__)

#: Longest field value copied into a dead letter.
DEAD_VALUE_CHARS = 512


def consumer_name() -> str:
    """Unique per process, so a restarted process does not inherit a dead one's identity."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class TicketIntake:
    def __init__(self, redis: Redis, queue: HandoffQueue, *, consumer: str | None = None,
                 group: str = keys.HANDOFF_GROUP, stream: str = keys.HANDOFF_STREAM,
                 batch: int = 50, block_ms: int = 1000, min_idle_ms: int = 30_000,
                 reclaim_count: int = 10, reclaim_every: float = 5.0) -> None:
        self.redis = redis
        self.queue = queue
        self.consumer = consumer or consumer_name()
        self.group = group
        self.stream = stream
        self.batch = batch
        self.block_ms = block_ms
        self.min_idle_ms = min_idle_ms
        self.reclaim_count = reclaim_count
        self.reclaim_every = reclaim_every
        self._cursor = "0-0"

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if missing; reads from the beginning."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set or the task is cancelled; Redis outages are waited out."""
        stop = stop or asyncio.Event()
        await self.ensure_group()
        loop = asyncio.get_running_loop()
        next_reclaim = 0.0
        backoff = 0.5
        while not stop.is_set():
            try:
                if loop.time() >= next_reclaim:
                    await self.reclaim()
                    next_reclaim = loop.time() + self.reclaim_every
                await self.read_new()
                backoff = 0.5
            except RedisError:
                log.exception("ticket intake: Redis error, retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def read_new(self, *, block_ms: int | None = None) -> int:
        """Read and handle new entries (waits up to ``block_ms``); returns how many."""
        block = self.block_ms if block_ms is None else block_ms
        response = await self.redis.xreadgroup(self.group, self.consumer, {self.stream: ">"},
                                               count=self.batch, block=block or None)
        handled = 0
        for _stream, entries in response or []:
            for entry_id, fields in entries:
                await self.handle(_text(entry_id), fields)
                handled += 1
        return handled

    async def reclaim(self, *, max_calls: int = 10) -> int:
        """Take over entries another consumer left pending too long; returns how many handled."""
        handled = 0
        for _ in range(max_calls):
            cursor, entries, *_ = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.min_idle_ms,
                start_id=self._cursor, count=self.reclaim_count)
            self._cursor = _text(cursor)
            ghosts = False
            for entry_id, fields in entries:
                if entry_id is None or fields is None:
                    ghosts = True  # Redis 6.2: an entry deleted while pending
                    continue
                await self.handle(_text(entry_id), fields)
                handled += 1
            if ghosts:
                await self._ack_ghosts()
            if self._cursor == "0-0":
                break
        return handled

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

    async def _ack_ghosts(self) -> None:
        """Acknowledge pending ids whose entries are gone (6.2 keeps them in the PEL)."""
        pending = await self.redis.xpending_range(self.stream, self.group, min="-", max="+",
                                                  count=self.reclaim_count * 10,
                                                  idle=self.min_idle_ms)
        for item in pending:
            entry_id = _text(item["message_id"])
            if not await self.redis.xrange(self.stream, entry_id, entry_id):
                await self.redis.xack(self.stream, self.group, entry_id)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _text_lossy(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
