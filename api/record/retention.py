"""Retention: transcripts older than ``HOTLINE_RETENTION_DAYS`` are deleted, by a periodic task.

Deletes go in chunks, each its own transaction, so a large backlog (the first
run after a long outage) never holds locks the recorder waits on for long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import Conversation, ConversationMessage

log = logging.getLogger(__name__)

CHUNK = 5_000


@dataclass(frozen=True)
class Purged:
    messages: int
    conversations: int


async def purge_expired(
    session: AsyncSession, *, older_than: dt.datetime, chunk: int = CHUNK
) -> Purged:
    """Delete messages sent before ``older_than`` and conversations left with none; commits."""
    messages = 0
    while True:
        ids = (select(ConversationMessage.id).where(ConversationMessage.at < older_than)
               .limit(chunk).scalar_subquery())
        result = await session.execute(
            delete(ConversationMessage).where(ConversationMessage.id.in_(ids)))
        await session.commit()
        count = result.rowcount or 0  # type: ignore[attr-defined]
        messages += count
        if count < chunk:
            break
    has_messages = exists().where(ConversationMessage.pseudonym == Conversation.pseudonym)
    result = await session.execute(
        delete(Conversation).where(Conversation.last_event_at < older_than, ~has_messages))
    await session.commit()
    return Purged(messages=messages, conversations=result.rowcount or 0)  # type: ignore[attr-defined]


async def retention_loop(
    sessions: async_sessionmaker[AsyncSession], *, retention_days: int, every: float = 3600.0
) -> None:
    """Purge now, then every ``every`` seconds until cancelled; database errors are waited out."""
    while True:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)
        try:
            async with sessions() as session:
                purged = await purge_expired(session, older_than=cutoff)
            if purged.messages or purged.conversations:
                log.info("retention: deleted %d messages, %d conversations",
                         purged.messages, purged.conversations)
        except SQLAlchemyError as exc:
            log.warning("retention: database error (%s), next try in %.0fs",
                        type(exc).__name__, every)
        await asyncio.sleep(every)
