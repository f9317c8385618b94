"""The queue notifier: a waiting person hears when their place really changed, not every tick.

It listens to :data:`handoff.keys.QUEUE_CHANGED` (every claim, withdrawal,
new ticket) and also sweeps every ``sweep_every`` seconds, since an estimate
can change with no queue event. It shares its process (and Redis) with the
latency-critical paths — a person's update, an escalation reaching the
console — so a sweep with no news must cost next to nothing: one pipeline
with a ZRANGE of ticket ids per language (a ticket's rank is its place) and
one HGETALL of what was told, then integer comparisons. Only the tickets that
do have news are read whole and told, yielding to the event loop as it goes.
(Reading all waiting tickets whole took ~100 ms with 1,000 waiting, on every
queue change: the escalation p99 paid for it.)

Whether to tell is :func:`bot.queueing.should_tell`: first news, a new
estimate bucket, or a real step forward (into the top three, or by a
quarter), at most once a minute per person. What was told is kept in
:data:`handoff.keys.HANDOFF_TOLD` (ticket id → "position:bucket:time": no
pseudonym), entries of tickets no longer waiting are dropped each sweep, and
/forget deletes the person's entry.

The notes share Telegram's ~30 messages/s with everything else the bot
sends — answers, advisors' replies — and one new estimate is news for every
waiting person at once. So the notifier spends at most ``per_second`` of
that budget (a token bucket, burst ``burst``): people nearest the front are
told first, the rest at the next sweep, which then comes as soon as the
budget allows rather than a whole ``sweep_every`` later.

Telegram: the ticket's sealed chat is opened and the note queued on the
outbox under an id made of ticket, place and bucket, so two replicas
sweeping at once queue it once. Web chat: published on the tab's channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversation import Conversation
from bot.dialogue import Message
from bot.outgoing import render
from bot.queueing import QueueDesk, Told, bucket, should_tell, withdraw_button
from bot.tickets import open_chat
from bot.webframes import advisor_frame
from flows.schema import Lang
from handoff import keys
from handoff.outbox import Outbox
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Ticket, TicketState
from handoff.watch import Estimate, Position
from hotline.crypto import Sealer

log = logging.getLogger(__name__)

#: Waiting tickets considered per language in one sweep.
MAX_PER_LANGUAGE = 1000
#: Tickets told between two yields to the event loop.
YIELD_EVERY = 20


class QueueNotifier:
    def __init__(self, redis: Redis, *, desk: QueueDesk, chat_sealer: Sealer,
                 queue: HandoffQueue | None = None, sweep_every: float = 60.0,
                 settle: float = 0.5, per_second: float = 5.0, burst: int = 20) -> None:
        self.redis = redis
        self.desk = desk
        self.chat_sealer = chat_sealer
        self.queue = queue or HandoffQueue(redis)
        self.outbox = Outbox(redis)
        self.sweep_every = sweep_every
        #: After a change, wait this long for more before sweeping (a burst is one sweep).
        self.settle = settle
        self.per_second = per_second
        self.burst = burst
        self._tokens = float(burst)
        self._refilled: float | None = None
        #: Seconds until the next sweep when news was left for lack of budget (else None).
        self._again: float | None = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Sweep on every queue change and periodically, until ``stop`` or cancellation."""
        stop = stop or asyncio.Event()
        me = asyncio.current_task()
        backoff = 0.5
        while not stop.is_set():
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(keys.QUEUE_CHANGED)
                while not stop.is_set():
                    if me is not None and me.cancelling():
                        raise asyncio.CancelledError
                    await self.sweep()
                    backoff = 0.5
                    got = await self._next_change(pubsub, stop)
                    if got is not None:
                        await asyncio.sleep(self.settle)
                        while await pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=0.0):
                            pass
            except RedisError as exc:
                log.warning("queue notifier: Redis error (%s), retrying in %.1fs",
                            type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                try:
                    await pubsub.aclose()  # type: ignore[attr-defined]
                except RedisError:
                    pass

    async def _next_change(self, pubsub: Any, stop: asyncio.Event) -> Any:
        """A queue change, or None when the sweep interval passed or ``stop`` was set (checked
        every second, so a shutdown never waits a whole interval)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.sweep_every if self._again is None
                                  else min(self._again, self.sweep_every))
        while not stop.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return None
            got = await pubsub.get_message(ignore_subscribe_messages=True,
                                           timeout=min(left, 1.0))
            if got is not None:
                return got
        return None

    async def sweep(self, *, now: float | None = None) -> int:
        """Tell whoever has news; returns how many were told."""
        moment = dt.datetime.now(dt.UTC) if now is None else dt.datetime.fromtimestamp(
            now, dt.UTC)
        stamp = moment.timestamp()
        languages = list(Language)
        async with self.redis.pipeline(transaction=False) as pipe:
            for lang in languages:
                pipe.zrange(keys.handoff_waiting(lang.value), 0, MAX_PER_LANGUAGE - 1)
            pipe.hgetall(keys.HANDOFF_TOLD)
            *ranked, told_raw = await pipe.execute()
        told_all = {_text(k): v for k, v in told_raw.items()}
        waiting: set[str] = set()
        due: list[tuple[str, int, int, Estimate]] = []
        for lang, ids in zip(languages, ranked, strict=True):
            if not ids:
                continue
            estimate = await self.desk.watch.estimate(lang, now=stamp)
            now_bucket = bucket(estimate)
            for rank, raw in enumerate(ids, start=1):
                ticket_id = _text(raw)
                waiting.add(ticket_id)
                if should_tell(Told.parse(told_all.get(ticket_id)), rank, now_bucket, stamp):
                    due.append((ticket_id, rank, len(ids), estimate))
        gone = [t for t in told_all if t not in waiting]
        if gone:
            await self.redis.hdel(keys.HANDOFF_TOLD, *gone)  # type: ignore[misc]
        due.sort(key=lambda item: item[1])  # nearest the front first
        allowed = self._budget(stamp, len(due))
        self._again = None if allowed == len(due) else 1.0 / self.per_second
        told_count = 0
        for i, (ticket_id, rank, total, estimate) in enumerate(due[:allowed]):
            if i and i % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # a burst of news must not stall the other tasks
            ticket = await self.queue.ticket(ticket_id)
            if ticket is None or ticket.state is not TicketState.queued:
                continue  # claimed or withdrawn since the ZRANGE
            position = Position(ticket_id=ticket.id, language=ticket.language,
                                priority=ticket.priority, position=rank, waiting=total,
                                estimate=estimate)
            if await self.tell(ticket, position, moment):
                told_count += 1
            await self.redis.hset(keys.HANDOFF_TOLD, ticket_id,  # type: ignore[misc]
                                  Told(rank, bucket(estimate), stamp).dump())
        return told_count

    def _budget(self, now: float, wanted: int) -> int:
        """How many notes this sweep may send; takes them from the bucket."""
        if self._refilled is not None:
            self._tokens = min(float(self.burst),
                               self._tokens + max(now - self._refilled, 0.0) * self.per_second)
        self._refilled = now
        allowed = min(wanted, int(self._tokens))
        self._tokens -= allowed
        return allowed

    async def tell(self, ticket: Ticket, position: Position, now: dt.datetime) -> bool:
        record = Conversation.load(await self.redis.get(keys.bot_conversation(
            ticket.conversation)))
        lang = record.lang if record is not None else Lang(ticket.language.value)
        message = Message(text=self.desk.status(lang, position, now),
                          buttons=(withdraw_button(lang),))
        if ticket.channel == "web":
            await self.redis.publish(keys.webchat_inbox(ticket.conversation), json.dumps(
                advisor_frame(message, "queue"), ensure_ascii=False))
            return True
        chat_id = open_chat(self.chat_sealer, ticket.chat, ticket.conversation)
        if chat_id is None:
            if ticket.chat:
                log.warning("queue notifier: a ticket's chat cannot be opened")
            return False
        bucket_now = bucket(position.estimate)
        await self.outbox.enqueue(render(
            chat_id, message, None, id=f"queue:{ticket.id[:96]}:{position.position}:{bucket_now}",
            delete_after=record.delete_after if record is not None else 0))
        return True


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
