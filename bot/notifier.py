"""The queue notifier: a waiting person hears when their place really changed, not every tick.

It listens to :data:`handoff.keys.QUEUE_CHANGED` (every claim, withdrawal,
new ticket) and also sweeps every ``sweep_every`` seconds, since an estimate
can change with no queue event. A sweep is a handful of Redis calls for the
whole queue — one LIST script for all waiting tickets, one LRANGE per
language for the estimates, one HGETALL of what was told — not a call per
person.

Whether to tell is :func:`bot.queueing.should_tell`: first news, a new
estimate bucket, or a real step forward (into the top three, or by a
quarter), at most once a minute per person. What was told is kept in
:data:`handoff.keys.HANDOFF_TOLD` (conversation → "position:bucket:time"),
entries of conversations no longer waiting are dropped each sweep, and
/forget deletes the person's entry.

Telegram: the ticket's sealed chat is opened and the note queued on the
outbox under an id made of ticket, place and bucket, so two replicas
sweeping at once queue it once. Web chat: published on the tab's channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections import defaultdict
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.conversation import Conversation
from bot.dialogue import Message
from bot.outgoing import markup
from bot.queueing import QueueDesk, Told, bucket, should_tell, withdraw_button
from bot.webframes import advisor_frame
from flows.schema import Lang
from handoff import keys
from handoff.outbox import DELETE_WINDOW, Outbox, OutgoingMessage
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Ticket
from handoff.watch import Estimate, Position
from hotline.crypto import DecryptionError, Sealer

log = logging.getLogger(__name__)

#: Waiting tickets considered per language in one sweep.
MAX_PER_LANGUAGE = 1000


class QueueNotifier:
    def __init__(self, redis: Redis, *, desk: QueueDesk, chat_sealer: Sealer,
                 queue: HandoffQueue | None = None, sweep_every: float = 60.0,
                 settle: float = 0.5) -> None:
        self.redis = redis
        self.desk = desk
        self.chat_sealer = chat_sealer
        self.queue = queue or HandoffQueue(redis)
        self.outbox = Outbox(redis)
        self.sweep_every = sweep_every
        #: After a change, wait this long for more before sweeping (a burst is one sweep).
        self.settle = settle

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
        deadline = loop.time() + self.sweep_every
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
        tickets = await self.queue.waiting(limit=MAX_PER_LANGUAGE)
        by_lang: dict[Language, list[Ticket]] = defaultdict(list)
        for ticket in tickets:
            by_lang[ticket.language].append(ticket)
        estimates: dict[Language, Estimate] = {
            lang: await self.desk.watch.estimate(lang, now=stamp) for lang in by_lang}
        told_all = {_text(k): v for k, v in (
            await self.redis.hgetall(keys.HANDOFF_TOLD)).items()}  # type: ignore[misc]
        waiting = {t.conversation for t in tickets}
        gone = [c for c in told_all if c not in waiting]
        if gone:
            await self.redis.hdel(keys.HANDOFF_TOLD, *gone)  # type: ignore[misc]
        told_count = 0
        for lang, queue in by_lang.items():
            for rank, ticket in enumerate(queue, start=1):
                position = Position(ticket_id=ticket.id, language=lang, priority=ticket.priority,
                                    position=rank, waiting=len(queue), estimate=estimates[lang])
                now_bucket = bucket(position.estimate)
                if not should_tell(Told.parse(told_all.get(ticket.conversation)), rank,
                                   now_bucket, stamp):
                    continue
                if await self.tell(ticket, position, moment):
                    told_count += 1
                await self.redis.hset(keys.HANDOFF_TOLD, ticket.conversation,  # type: ignore[misc]
                                      Told(rank, now_bucket, stamp).dump())
        return told_count

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
        if not ticket.chat:
            return False
        try:
            chat_id = int(self.chat_sealer.open(ticket.chat, context=ticket.conversation))
        except (DecryptionError, ValueError):
            log.warning("queue notifier: a ticket's chat cannot be opened")
            return False
        hours = record.autodelete_hours if record is not None else 0
        bucket_now = bucket(position.estimate)
        await self.outbox.enqueue(OutgoingMessage(
            id=f"queue:{ticket.id[:96]}:{position.position}:{bucket_now}", chat_id=chat_id,
            text=message.text, reply_markup=markup(message, None),  # type: ignore[arg-type]
            disable_link_preview=True,
            delete_after=min(hours * 3600, DELETE_WINDOW) or None))
        return True


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
