"""The queue's background work in the api: overdue alerts, the reaper, satisfaction answers.

Each is safe with several api replicas running it: the overdue script pops
each alert once, the reaper's script requeues each chat once, and the
feedback reader shares one consumer group. Redis or database outages are
waited out; cancellation (shutdown) ends each loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.console import store
from api.console.service import ConsoleService
from api.schemas.common import MAX_INT
from handoff import keys
from handoff.relay import Feedback
from handoff.streams import Entry, GroupReader, text
from handoff.tickets import Language, Priority
from handoff.watch import QueueWatch

log = logging.getLogger(__name__)

_TICKET_ID = re.compile(r"^[A-Za-z0-9:_.\-]{1,128}$")
_OUTCOME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Epoch milliseconds beyond any plausible time (year 5138).
MAX_EPOCH_MS = 10**14


def _check_cancelled() -> None:
    """redis-py's retry can swallow a cancellation that lands in a Redis call; a loop that
    only sleeps afterwards would then never end, so each loop checks here."""
    me = asyncio.current_task()
    if me is not None and me.cancelling():
        raise asyncio.CancelledError


async def publish_overdue(watch: QueueWatch, redis: Redis) -> int:
    """Announce every newly overdue ticket to all replicas' consoles; returns how many."""
    tickets = await watch.overdue()
    for ticket in tickets:
        await redis.publish(keys.HANDOFF_ALERT_CHANNEL, json.dumps({
            "ticket": ticket.id, "priority": ticket.priority.value,
            "language": ticket.language.value}))
    return len(tickets)


async def overdue_loop(watch: QueueWatch, redis: Redis, *, every: float = 1.0) -> None:
    while True:
        _check_cancelled()
        try:
            await publish_overdue(watch, redis)
        except RedisError as exc:
            log.warning("overdue alerts: Redis error (%s), retrying", type(exc).__name__)
        _check_cancelled()
        await asyncio.sleep(every)


async def reaper_loop(service: ConsoleService, *, every: float = 5.0) -> None:
    """Return the chats of advisors gone longer than the grace period, and tell the people."""
    while True:
        _check_cancelled()
        try:
            requeued = await service.queue.reap_absent_advisors()
            if requeued:
                log.info("reaper: %d chats of absent advisors back in the queue", len(requeued))
                await service.announce_requeued(requeued)
        except RedisError as exc:
            log.warning("reaper: Redis error (%s), retrying", type(exc).__name__)
        _check_cancelled()
        await asyncio.sleep(every)


async def notes_retention_loop(sessions: async_sessionmaker[AsyncSession], *,
                               retention_days: int, every: float = 3600.0) -> None:
    """Advisors' notes expire with the transcripts they are about."""
    while True:
        _check_cancelled()
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)
        try:
            async with sessions() as session:
                deleted = await store.purge_notes(session, older_than=cutoff)
            if deleted:
                log.info("retention: deleted %d notes", deleted)
        except SQLAlchemyError as exc:
            log.warning("notes retention: database error (%s)", type(exc).__name__)
        _check_cancelled()
        await asyncio.sleep(every)


class ClosureRecorder(GroupReader):
    """Closed tickets from the queue's own record (every close: the console's, a person
    withdrawing, any other channel) become ``handoff_closures`` rows, statistics only.

    The entries name the conversation, so they are deleted once recorded. The
    console writes its own closes at once as well; the first write of a ticket wins.
    """

    name = "closures"
    transient_errors = (SQLAlchemyError,)
    transient_label = "database error"

    def __init__(self, redis: Redis, sessions: async_sessionmaker[AsyncSession], *,
                 consumer: str | None = None, block_ms: int = 1000,
                 min_idle_ms: int = 30_000) -> None:
        super().__init__(redis, stream=keys.HANDOFF_CLOSED_STREAM,
                         group=keys.HANDOFF_CLOSED_GROUP, consumer=consumer, batch=100,
                         block_ms=block_ms, min_idle_ms=min_idle_ms)
        self.sessions = sessions

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        rows: list[dict[str, Any]] = []
        for _, fields in entries:
            try:
                rows.append(closure_row(fields))
            except (ValueError, KeyError, OverflowError):
                log.warning("closures: a malformed entry dropped")
        if rows:
            async with self.sessions() as session:
                wanted = {r["advisor_id"] for r in rows if r["advisor_id"] is not None}
                known = await store.staff_names(session, wanted)
                for row in rows:  # an id that is no staff member (another channel) is dropped
                    if row["advisor_id"] not in known:
                        row["advisor_id"] = None
                await store.record_closures(session, rows)
                await session.commit()
        await _ack_and_delete(self, [entry_id for entry_id, _ in entries])
        if ghosts:
            await self.ack_ghosts()


def closure_row(fields: dict[Any, Any]) -> dict[str, Any]:
    """A closure row from a closed-stream entry; ``ValueError``/``KeyError`` when malformed."""
    flat = {text(k): text(v) for k, v in fields.items()}
    advisor = flat.get("advisor", "")
    row = {
        "ticket_id": _bounded(flat["ticket_id"], 128, pattern=_TICKET_ID),
        "advisor_id": int(advisor) if advisor.isdigit() and int(advisor) <= MAX_INT else None,
        "language": Language(flat["language"]).value,
        "priority": Priority(flat["priority"]).value,
        "intent": _bounded(flat.get("intent", ""), 64) or None,
        "outcome": _bounded(flat["outcome"], 40, pattern=_OUTCOME),
        "created_at": _moment(flat["created_ms"]),
        "claimed_at": _moment(flat["claimed_ms"]) if flat.get("claimed_ms") else None,
        "closed_at": _moment(flat["closed_ms"]),
    }
    return row


def _bounded(value: str, limit: int, *, pattern: re.Pattern[str] | None = None) -> str:
    if len(value) > limit or "\x00" in value or (pattern and not pattern.match(value)):
        raise ValueError("field out of bounds")
    return value


def _moment(ms: str) -> dt.datetime:
    value = int(ms)
    if not 0 < value < MAX_EPOCH_MS:
        raise ValueError("time out of range")
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


async def _ack_and_delete(reader: GroupReader, ids: list[str]) -> None:
    if ids:
        async with reader.redis.pipeline(transaction=True) as pipe:
            pipe.xack(reader.stream, reader.group, *ids)
            pipe.xdel(reader.stream, *ids)
            await pipe.execute()


class FeedbackRecorder(GroupReader):
    """The person's "did this help?" answers become ``handoff_closures.satisfaction``."""

    name = "feedback"
    transient_errors = (SQLAlchemyError,)
    transient_label = "database error"

    def __init__(self, redis: Redis, sessions: async_sessionmaker[AsyncSession], *,
                 consumer: str | None = None, block_ms: int = 1000,
                 min_idle_ms: int = 30_000) -> None:
        super().__init__(redis, stream=keys.FEEDBACK_STREAM, group=keys.FEEDBACK_GROUP,
                         consumer=consumer, batch=100, block_ms=block_ms,
                         min_idle_ms=min_idle_ms)
        self.sessions = sessions

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        answers: list[Feedback] = []
        malformed = 0
        for _, fields in entries:
            try:
                answers.append(Feedback.from_fields(fields))
            except ValueError:  # ValidationError, undecodable
                malformed += 1
        if answers:
            async with self.sessions() as session:
                for answer in answers:
                    await store.set_satisfaction(session, ticket_id=answer.ticket,
                                                 score=answer.score.value)
                await session.commit()
        if malformed:
            log.warning("feedback: %d malformed entries dropped", malformed)
        await _ack_and_delete(self, [entry_id for entry_id, _ in entries])
        if ghosts:
            await self.ack_ghosts()
