"""Reading the outbox stream as one consumer of the sender group, so no entry is left behind.

Three ways an entry reaches this sender: new entries (XREADGROUP ``>``), its
own pending entries after a restart under the same consumer name (``0``), and
entries of a consumer that died (XAUTOCLAIM past min-idle, small COUNT —
PERFORMANCE.md). Entries it holds are touched (XCLAIM JUSTID) well within
min-idle, so a live sender's waiting entries are never taken over. Consumers
of dead processes that hold nothing are removed now and then.

What to do with an entry is the sender's business: the reader hands each one
to ``accept`` and stops reading while ``max_held`` entries are held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.lane import ScriptLane
from bot.sender_config import SenderConfig, SenderStats
from handoff.outbox import OUTBOX_GROUP, OUTBOX_STREAM, Outbox

log = logging.getLogger(__name__)

#: Called with (stream id, fields); True if the entry was new to this sender.
Accept = Callable[[str, dict[str, str]], bool]


class OutboxReader:
    def __init__(self, redis: Redis, config: SenderConfig, consumer: str, *, accept: Accept,
                 held: set[str], stats: SenderStats) -> None:
        self.redis = redis
        self._lane = ScriptLane.of(redis)
        self.config = config
        self.consumer = consumer
        self._accept = accept
        self._held = held
        self._stats = stats
        #: Set while fewer than ``max_held`` entries are held; the sender sets it on release.
        self.room = asyncio.Event()
        self.room.set()

    async def read_loop(self) -> None:
        await self._recover()
        while True:
            # redis-py can swallow a cancellation that lands in the blocking read (its retry
            # reconnects and reads again): without this check the loop would outlive its
            # task group and a shutdown — or a test's teardown — would wait for ever.
            stop_if_cancelled()
            await self.room.wait()
            try:
                found = await self._read(">")
                if found and len(found) < self.config.batch and self.config.linger > 0:
                    await asyncio.sleep(self.config.linger)
            except RedisError as error:
                stop_if_cancelled()
                if isinstance(error, ResponseError) and "NOGROUP" in str(error):
                    await Outbox(self.redis).ensure_group()  # the stream or group was deleted
                    continue
                log.warning("outbox read failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(1.0)

    async def _read(self, start: str) -> list:
        room = self.config.max_held - len(self._held)
        if room <= 0:
            self.room.clear()
            return []
        command: list[str | int] = ["XREADGROUP", "GROUP", OUTBOX_GROUP, self.consumer,
                                    "COUNT", min(self.config.batch, room)]
        if start == ">":
            command += ["BLOCK", self.config.block_ms]
        # Through the lane: hiredis's plain lists, without redis-py's Python reshaping of
        # every entry (~9 % of the sender's CPU).
        response = await self._lane.execute(*command, "STREAMS", OUTBOX_STREAM, start)
        # A map under RESP3 (redis-py's default since 8), a list of pairs under RESP2.
        streams = response.items() if isinstance(response, dict) else (response or [])
        entries = [entry for _stream, found in streams for entry in found]
        for stream_id, fields in entries:
            if fields is None:  # deleted after it was read (our own pending list, at start)
                await self.redis.xack(OUTBOX_STREAM, OUTBOX_GROUP, stream_id)
                continue
            self._take(stream_id, dict(zip(fields[::2], fields[1::2], strict=True)))
        return entries

    async def _recover(self) -> None:
        """Our own pending entries, when the consumer name is reused after a restart."""
        cursor = "0"
        while entries := await self._read(cursor):
            cursor = text(entries[-1][0])

    async def claim_loop(self) -> None:
        """Take over entries of consumers that died (idle longer than min-idle)."""
        rounds = 0
        while True:
            stop_if_cancelled()
            await asyncio.sleep(self.config.claim_every)
            rounds += 1
            try:
                await self.claim_once()
                if rounds % 120 == 0:
                    await self.forget_dead_consumers()
            except RedisError as error:
                stop_if_cancelled()
                log.warning("outbox reclaim failed (%s)", type(error).__name__)

    async def claim_once(self) -> int:
        cursor: str | bytes = "0-0"
        claimed = 0
        for _ in range(self.config.claim_rounds):
            response = await self.redis.xautoclaim(
                OUTBOX_STREAM, OUTBOX_GROUP, self.consumer, self.config.min_idle_ms,
                start_id=cursor, count=self.config.claim_count,
            )
            cursor, entries = response[0], response[1]
            for stream_id, fields in entries:
                if stream_id is not None and fields is not None:
                    claimed += int(self._take(stream_id, fields))
            if text(cursor) == "0-0":
                break
        self._stats.claimed += claimed
        return claimed

    async def forget_dead_consumers(self) -> None:
        """Remove consumers (dead processes) that hold nothing and were idle for long."""
        for info in await self.redis.xinfo_consumers(OUTBOX_STREAM, OUTBOX_GROUP):
            name = text(info["name"])
            idle_ms, pending = int(info["idle"]), int(info["pending"])
            if name != self.consumer and pending == 0 and idle_ms > self.config.forget_after_ms:
                await self.redis.xgroup_delconsumer(OUTBOX_STREAM, OUTBOX_GROUP, name)

    async def heartbeat_loop(self) -> None:
        """Reset the idle time of entries we hold, so no live entry is reclaimed."""
        while True:
            stop_if_cancelled()
            await asyncio.sleep(self.config.min_idle_ms / 3000)
            held = list(self._held)
            try:
                for start in range(0, len(held), 500):
                    await self.redis.xclaim(OUTBOX_STREAM, OUTBOX_GROUP, self.consumer, 0,
                                            held[start:start + 500], justid=True)
            except RedisError as error:
                stop_if_cancelled()
                log.warning("outbox heartbeat failed (%s)", type(error).__name__)

    def _take(self, stream_id: bytes | str, raw: dict) -> bool:
        sid = text(stream_id)
        if sid in self._held:
            return False
        taken = self._accept(sid, {text(k): text(v) for k, v in raw.items()})
        if len(self._held) >= self.config.max_held:
            self.room.clear()
        return taken


def stop_if_cancelled() -> None:
    """Re-raise a cancellation that a client library turned into its own error: a loop
    that swallowed it would never stop (and shutdown would wait for it forever)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
