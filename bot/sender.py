"""The one sender every message to Telegram goes through: a consumer of the outbox stream.

Each bot replica runs one :class:`Sender`, a consumer (named per process) in
the outbox's consumer group. It keeps what ARCHITECTURE.md promises:

- **Nothing is lost.** An entry is acknowledged only after Telegram accepted
  it or a permanent failure was recorded (dead-letter stream). Entries of a
  consumer that died are reclaimed (bot/outbox_reader.py).
- **Nothing is sent twice.** The outcome is recorded by message id in the
  same Lua call that acknowledges, and every attempt first checks it; on
  shutdown, sends already in flight finish and are recorded. (Only a hard kill
  between Telegram's answer and that call — a millisecond — can resend.)
- **Telegram's limits hold for the whole deployment** (bot/ratelimit.py), with
  up to ``in_flight`` sends at once (bot/sender_config.py); 429 pauses the chat for
  ``retry_after`` and the whole bot briefly.
- **Per-chat order.** One worker per chat in this process, taking the chat's
  entries by sequence number; across replicas the sequence numbers and a
  per-chat lease serialise the chat. A chat that waits holds up only itself.
- 5xx and network errors retry with exponential backoff and jitter, then go
  to the dead-letter stream; 403 marks the chat blocked and drops its queue.

Logs name stream ids, methods and reasons — never chat ids or text.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass

from aiogram import Bot
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.delivery import Delivery, deliver
from bot.outbox_reader import OutboxReader, stop_if_cancelled
from bot.outbox_store import Entry, SenderStore, parse_entry
from bot.ratelimit import RateLimits
from bot.sender_config import SenderConfig, SenderStats
from bot.telegram_http import TelegramHttp
from handoff.outbox import Outbox, OutgoingMessage

log = logging.getLogger(__name__)

__all__ = ["RateLimits", "Sender", "SenderConfig", "SenderStats"]


@dataclass(frozen=True, slots=True)
class _Done:
    """The entry left this sender (sent, dropped or dead-lettered)."""


DONE = _Done()


class Sender:
    """Sends the outbox to Telegram under Telegram's limits; run one per bot process."""

    def __init__(self, bot: Bot, redis: Redis, config: SenderConfig | None = None, *,
                 consumer: str | None = None) -> None:
        #: Sends go out as plain JSON (bot/telegram_http.py), to the Bot's server with its token.
        self.http = TelegramHttp.for_bot(bot)
        self.redis = redis
        self.config = config or SenderConfig()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.outbox = Outbox(redis)
        self.store = SenderStore(redis, self.config.limits, lock_ms=self.config.lock_ms)
        self.stats = SenderStats()
        self._queues: dict[int | None, list[Entry]] = {}
        self._workers: dict[int | None, asyncio.Task[None]] = {}
        self._held: set[str] = set()
        self._inflight: set[asyncio.Task[float | _Done]] = set()
        self._slots = asyncio.Semaphore(self.config.in_flight)
        self.reader = OutboxReader(redis, self.config, self.consumer, accept=self._accept,
                                   held=self._held, stats=self.stats)

    async def delete_recent(self, chat_id: int) -> None:
        """Delete the bot's messages of the last 48 h in this chat (for /forget), after the
        messages already queued to it."""
        await self.outbox.delete_recent(chat_id)

    @property
    def held(self) -> int:
        """Entries this sender has read and not yet finished."""
        return len(self._held)

    async def run(self) -> None:
        """Consume until cancelled; on cancellation, sends in flight finish and are recorded."""
        await self.outbox.ensure_group()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.reader.read_loop())
                group.create_task(self.reader.claim_loop())
                group.create_task(self.reader.heartbeat_loop())
                group.create_task(self._deletion_loop())
        finally:
            await self._shutdown()

    async def _deletion_loop(self) -> None:
        """Queue the deletions the delete-after option asked for, when they fall due."""
        while True:
            stop_if_cancelled()
            try:
                await self.outbox.enqueue_due_deletions()
            except RedisError as error:
                stop_if_cancelled()
                log.warning("due deletions failed (%s)", type(error).__name__)
            await asyncio.sleep(self.config.deletions_every)

    def _accept(self, stream_id: str, fields: dict[str, str]) -> bool:
        """Queue an entry behind its chat's earlier ones; start the chat's worker if idle."""
        entry = parse_entry(stream_id, fields)
        entry.token = f"{self.consumer}/{stream_id}"
        self._held.add(stream_id)
        queue = self._queues.setdefault(entry.chat_id, [])
        bisect.insort(queue, entry, key=Entry.sort_key)
        if entry.chat_id not in self._workers:
            self._workers[entry.chat_id] = asyncio.create_task(self._work(entry.chat_id))
        return True

    # Sending -----------------------------------------------------------------------
    async def _work(self, chat_id: int | None) -> None:
        """Send one chat's entries in sequence order; only this chat waits when it must."""
        queue = self._queues[chat_id]
        while queue:
            entry = queue[0]
            try:
                outcome = await self._step(entry)
            except RedisError as error:
                stop_if_cancelled()
                log.warning("outbox step failed (%s); retrying", type(error).__name__)
                outcome = 1.0
            except Exception:  # a bug must not stall the chat for good: log, retry later
                stop_if_cancelled()
                log.exception("outbox entry %s failed unexpectedly", entry.stream_id)
                outcome = self.config.backoff_cap
            if isinstance(outcome, _Done):
                queue.remove(entry)
                self._held.discard(entry.stream_id)
                self.reader.room.set()
            elif outcome > 0:
                await asyncio.sleep(outcome)
        del self._queues[chat_id]
        del self._workers[chat_id]

    async def _step(self, entry: Entry) -> float | _Done:
        """One try at an entry: DONE, or seconds to wait before the next try."""
        if entry.message is None:
            await self.store.finish(entry, "", dead_reason="malformed", error=entry.problem or "")
            self.stats.malformed += 1
            log.warning("outbox entry %s is malformed (%s)", entry.stream_id, entry.problem)
            return DONE
        if entry.unrecorded is not None:
            outcome, telegram_id = entry.unrecorded
            await self.store.finish(entry, outcome, telegram_id=telegram_id)
            return DONE
        async with self._slots:
            turn = await self.store.turn(entry)
            if turn.status == "done":
                await self.store.finish(entry, "")
                self.stats.duplicates += 1
                return DONE
            if turn.status == "blocked":
                await self.store.finish(entry, "blocked")
                self.stats.dropped += 1
                return DONE
            if turn.status == "order":
                return self._wait_for_order(entry)
            if turn.status != "go":  # "wait" for a limit or pause, "busy" elsewhere
                return max(turn.seconds, 0.001)
            attempt = asyncio.create_task(self._attempt(entry, turn.seconds, turn.gate))
            self._inflight.add(attempt)
            attempt.add_done_callback(self._inflight.discard)
            return await asyncio.shield(attempt)

    def _wait_for_order(self, entry: Entry) -> float:
        now = time.monotonic()
        if entry.waiting_since is None:
            entry.waiting_since = now
        waited = now - entry.waiting_since
        if waited > self.config.order_timeout:
            log.warning("outbox entry %s waited %.0f s for its predecessor; sending out of order",
                        entry.stream_id, waited)
            entry.ignore_order = True
            return 0.0
        return min(self.config.order_poll * (1 + waited), 1.0)

    async def _attempt(self, entry: Entry, delay: float, gate: float | None) -> float | _Done:
        """Wait for the reserved slot, call Telegram, record the result (shielded from
        cancellation, so a send that happened is always recorded).

        ``gate`` is the window check the turn already made when the slot was now
        (0.0 = recorded); None when it must be made here, after the wait.
        """
        message = entry.message
        assert message is not None
        if delay > 0:
            await asyncio.sleep(delay)
        wait = gate if gate is not None else await self.store.gate(entry)
        while wait > 0:  # after a stall: no burst
            self.stats.held_back += 1
            await asyncio.sleep(wait)
            wait = await self.store.gate(entry)
        result = await deliver(self.http, message, self.store)
        return await self._settle(entry, message, result)

    async def _settle(self, entry: Entry, message: OutgoingMessage,
                      result: Delivery) -> float | _Done:
        stats, config = self.stats, self.config
        if result.kind in {"sent", "skipped"}:
            entry.unrecorded = (result.kind, result.telegram_id)
            await self.store.finish(entry, result.kind, telegram_id=result.telegram_id)
            if result.kind == "sent":
                stats.sent += 1
            return DONE
        if result.kind == "blocked":
            await self.store.finish(entry, "blocked")
            stats.blocked += 1
            return DONE
        if result.kind == "retry_after":
            stats.too_many_requests += 1
            log.warning("Telegram asked to wait %.0f s (%s)", result.retry_after, message.method)
            await self.store.release(entry, chat_pause=result.retry_after,
                                     global_pause=min(result.retry_after, config.global_pause))
            return 0.0
        if result.kind == "unauthorized":
            log.error("Telegram refused the bot token; the outbox waits")
            await self.store.release(entry, global_pause=config.unauthorized_pause)
            return config.unauthorized_pause
        if result.kind == "transient":
            entry.attempts += 1
            if entry.attempts < config.max_attempts:
                stats.retried += 1
                await self.store.release(entry)
                return config.backoff(entry.attempts, random.random())
        await self.store.finish(entry, "failed", dead_reason=result.reason, error=result.error)
        stats.failed += 1
        log.warning("outbox entry %s dead-lettered: %s %s", entry.stream_id, message.method,
                    result.reason)
        return DONE

    async def _shutdown(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.wait(workers, timeout=self.config.shutdown_timeout)
        if self._inflight:
            done, _ = await asyncio.wait(list(self._inflight),
                                         timeout=self.config.shutdown_timeout)
            for task in done:  # nobody else will look at these any more
                if not task.cancelled() and task.exception() is not None:
                    log.warning("a send in flight at shutdown failed to be recorded (%s)",
                                type(task.exception()).__name__)
        await self.http.close()
