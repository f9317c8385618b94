"""One consumer of a Redis stream in a consumer group: the loop every lossless reader needs.

Read new entries in batches (XREADGROUP), and every ``reclaim_every`` seconds
take over entries a dead consumer left pending longer than ``min_idle_ms``
(XAUTOCLAIM with a small COUNT and a rolling cursor, so a long pending list
costs little: PERFORMANCE.md). What to do with the entries — and when to
acknowledge them — is the subclass's :meth:`handle_entries`; acknowledging only
after the work is done is what makes a crash harmless.

Outages are waited out with backoff; a deleted group is recreated. redis-py
can swallow a cancellation that lands in a blocking read, so the loop checks
``cancelling()`` itself — otherwise a shutdown could hang.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Any, ClassVar

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)

Entry = tuple[str, dict[Any, Any]]


def consumer_name() -> str:
    """Unique per process, so a restarted process does not inherit a dead one's identity."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class GroupReader:
    """Base of the stream consumers; subclasses implement :meth:`handle_entries`."""

    #: Used in log lines (never with entry contents).
    name: ClassVar[str] = "stream reader"
    #: Errors besides Redis's that mean "try again later, entries stay pending".
    transient_errors: ClassVar[tuple[type[Exception], ...]] = ()
    #: How those errors are named in the logs.
    transient_label: ClassVar[str] = "error"

    def __init__(self, redis: Redis, *, stream: str, group: str, consumer: str | None = None,
                 batch: int = 50, block_ms: int = 1000, min_idle_ms: int = 30_000,
                 reclaim_count: int = 10, reclaim_every: float = 5.0) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer or consumer_name()
        self.batch = max(1, min(batch, 1000))
        self.block_ms = block_ms
        self.min_idle_ms = min_idle_ms
        self.reclaim_count = reclaim_count
        self.reclaim_every = reclaim_every
        self._cursor = "0-0"

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        """Do the work for ``entries`` and acknowledge them; ``ghosts``: pending ids were found
        whose entries are gone (Redis 6.2 keeps them in the pending list)."""
        raise NotImplementedError

    async def ack_ghosts(self) -> None:
        """Acknowledge pending ids whose entries are gone (Redis 6.2 keeps them pending after
        an XDEL, and XAUTOCLAIM hands them out again as ghosts, forever)."""
        pending = await self.redis.xpending_range(self.stream, self.group, min="-", max="+",
                                                  count=self.reclaim_count * 10,
                                                  idle=self.min_idle_ms)
        for item in pending:
            entry_id = text(item["message_id"])
            if not await self.redis.xrange(self.stream, entry_id, entry_id):
                await self.redis.xack(self.stream, self.group, entry_id)

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) if missing; reads from the beginning."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set or the task is cancelled; outages are waited out."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        next_reclaim = 0.0
        backoff = 0.5
        grouped = False
        me = asyncio.current_task()
        while not stop.is_set():
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            try:
                if not grouped:
                    await self.ensure_group()
                    grouped = True
                if loop.time() >= next_reclaim:
                    await self.reclaim()
                    next_reclaim = loop.time() + self.reclaim_every
                await self.read_new()
                backoff = 0.5
                continue
            except ResponseError as exc:
                grouped = "NOGROUP" not in str(exc)
                log.warning("%s: Redis refused (%s), retrying", self.name, type(exc).__name__)
            except (RedisError, *self.transient_errors) as exc:
                # Only the type: a database error's text would carry the row values.
                label = "Redis error" if isinstance(exc, RedisError) else self.transient_label
                log.warning("%s: %s (%s), retrying in %.1fs; entries stay pending", self.name,
                            label, type(exc).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def read_new(self, *, block_ms: int | None = None) -> int:
        """Read and handle new entries (waits up to ``block_ms``); returns how many."""
        block = self.block_ms if block_ms is None else block_ms
        response = await self.redis.xreadgroup(self.group, self.consumer, {self.stream: ">"},
                                               count=self.batch, block=block or None)
        entries = [(text(i), f) for _s, items in response or [] for i, f in items]
        if entries:
            await self.handle_entries(entries)
        return len(entries)

    async def reclaim(self, *, max_calls: int = 10) -> int:
        """Take over entries another consumer left pending too long; returns how many."""
        handled = 0
        for _ in range(max_calls):
            cursor, claimed, *_ = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.min_idle_ms,
                start_id=self._cursor, count=self.reclaim_count)
            self._cursor = text(cursor)
            entries = [(text(i), f) for i, f in claimed if i is not None and f is not None]
            ghosts = len(entries) < len(claimed)
            if entries or ghosts:
                await self.handle_entries(entries, ghosts=ghosts)
            handled += len(entries)
            if self._cursor == "0-0":
                break
        return handled
