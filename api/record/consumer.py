"""The recorder: reads :data:`handoff.keys.EVENTS_STREAM` in a consumer group, loses nothing.

Each read (up to ``batch`` entries) is written in one transaction
(:mod:`api.record.store`); only after the commit are the entries acknowledged
and deleted from the stream (sealed text should not linger in Redis). A
consumer that dies between reading and acknowledging leaves its entries
pending; any recorder takes them over after ``min_idle_ms`` with XAUTOCLAIM
(small COUNT, a rolling cursor: PERFORMANCE.md). Writing them twice is
harmless, messages being unique by event id. After each commit the recorder
publishes the conversations that got messages on
:data:`handoff.keys.CONVERSATION_RECORDED` (one message per conversation per
batch), so a console showing such a chat fetches the new lines at once.

Malformed entries go to :data:`handoff.keys.EVENTS_DEAD_STREAM` with the
reason — field names and error kinds, never values, since a buggy producer
might have sent plain text. Logs carry counts and stream ids only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.record import store
from handoff import keys
from handoff.events import ConversationEvent
from handoff.streams import Entry, GroupReader

log = logging.getLogger(__name__)

#: Dead letters kept (approximately): enough to diagnose, bounded.
DEAD_MAXLEN = 10_000


def reason(exc: Exception) -> str:
    """Why an entry was refused, without any of its values."""
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['type']}"
                 for e in exc.errors(include_input=False, include_url=False)[:5]]
        return "invalid event: " + "; ".join(parts)
    if isinstance(exc, store.UnrecordableEvent):
        return f"unrecordable event: {exc}"
    return type(exc).__name__


def _sqlstate(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def refused(exc: DBAPIError) -> bool:
    """True when the data itself is refused (SQLSTATE class 22, 23): retrying cannot help.

    Anything else — a lost connection, a deadlock, a restart — is transient: the
    entries stay pending and are written later.
    """
    return _sqlstate(exc)[:2] in {"22", "23"}


class EventRecorder(GroupReader):
    name = "recorder"
    #: str(exc) of a database error would carry the statement's parameters: never logged.
    transient_errors = (SQLAlchemyError,)
    transient_label = "database error"

    def __init__(self, redis: Redis, engine: AsyncEngine, *, consumer: str | None = None,
                 group: str = keys.EVENTS_GROUP, stream: str = keys.EVENTS_STREAM,
                 batch: int = 200, block_ms: int = 1000, min_idle_ms: int = 30_000,
                 reclaim_count: int = 10, reclaim_every: float = 5.0,
                 retention: dt.timedelta | None = None) -> None:
        super().__init__(redis, stream=stream, group=group, consumer=consumer, batch=batch,
                         block_ms=block_ms, min_idle_ms=min_idle_ms,
                         reclaim_count=reclaim_count, reclaim_every=reclaim_every)
        self.engine = engine
        #: Events already older than this are not stored (they would be purged anyway).
        self.retention = retention

    async def handle_entries(self, entries: list[Entry], *, ghosts: bool = False) -> None:
        await self.handle(entries)
        if ghosts:
            await self.ack_ghosts()

    async def handle(self, entries: list[Entry]) -> None:
        """Record ``entries`` in one transaction, then acknowledge them (dead letters too)."""
        if not entries:
            return
        good: list[tuple[str, ConversationEvent]] = []
        dead: list[tuple[Entry, str]] = []
        for entry_id, fields in entries:
            try:
                good.append((entry_id, store.check(ConversationEvent.from_fields(fields))))
            except ValueError as exc:  # ValidationError, bad JSON, no field, too long
                dead.append(((entry_id, fields), reason(exc)))
        if good:
            try:
                await self._commit([event for _, event in good])
            except DBAPIError as exc:
                if not refused(exc):
                    raise
                # A poisonous event must not stall the stream: find it alone.
                good, more = await self._commit_one_by_one(good)
                dead.extend(more)
        await self._ack([entry_id for entry_id, _ in good], dead)
        if dead:
            log.warning("recorder: %d malformed entries dead-lettered", len(dead))

    async def _commit(self, events: list[ConversationEvent]) -> None:
        not_before = None
        if self.retention is not None:
            not_before = dt.datetime.now(dt.UTC) - self.retention
        batch = store.plan(events, not_before=not_before)
        if batch:
            async with self.engine.begin() as conn:
                await store.write(conn, batch)
            await self._announce(list(batch.people))

    async def _announce(self, conversations: list[str]) -> None:
        """Tell the consoles (every api replica) which conversations have new messages."""
        if not conversations:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation in conversations:
                pipe.publish(keys.CONVERSATION_RECORDED,
                             json.dumps({"conversation": conversation}))
            await pipe.execute()

    async def _commit_one_by_one(
        self, good: list[tuple[str, ConversationEvent]]
    ) -> tuple[list[tuple[str, ConversationEvent]], list[tuple[Entry, str]]]:
        kept: list[tuple[str, ConversationEvent]] = []
        dead: list[tuple[Entry, str]] = []
        for entry_id, event in good:
            try:
                await self._commit([event])
            except DBAPIError as exc:
                if not refused(exc):
                    raise
                dead.append(((entry_id, {}), f"database refused: SQLSTATE {_sqlstate(exc)}"))
            else:
                kept.append((entry_id, event))
        return kept, dead

    async def _ack(self, done: list[str], dead: list[tuple[Entry, str]]) -> None:
        """Dead-letter, acknowledge and delete in one MULTI: after this the entries are gone."""
        ids = done + [entry_id for (entry_id, _), _ in dead]
        async with self.redis.pipeline(transaction=True) as pipe:
            for (entry_id, fields), why in dead:
                pipe.xadd(keys.EVENTS_DEAD_STREAM, _dead_fields(entry_id, fields, why),
                          maxlen=DEAD_MAXLEN, approximate=True)
            pipe.xack(self.stream, self.group, *ids)
            pipe.xdel(self.stream, *ids)
            await pipe.execute()


def _dead_fields(entry_id: str, fields: dict[Any, Any], why: str) -> dict[str, str]:
    """The dead letter: the entry's id, the reason, its field names and a digest of the values."""
    names = [_text_lossy(k)[:64] for k in list(fields)[:32]]
    digest = hashlib.sha256()
    for value in list(fields.values())[:32]:
        digest.update(value if isinstance(value, bytes) else str(value).encode())
    return {"entry": entry_id, "error": why[:512], "fields": json.dumps(names),
            "sha256": digest.hexdigest()}


def _text_lossy(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
