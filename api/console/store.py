"""The console's rows in PostgreSQL: transcripts (read), notes, closures, staff names.

Text is stored sealed; this module moves sealed values only. Opening them is
the service's job, after it checked the reader may.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    ConversationMessage,
    ConversationNote,
    HandoffClosure,
    Role,
    Staff,
)
from handoff.tickets import Ticket

#: The newest messages shown with a chat; older ones are for the admin transcript endpoint.
TRANSCRIPT_LIMIT = 500
NOTES_LIMIT = 200


async def messages(session: AsyncSession, pseudonym: str, *, after_id: int = 0,
                   limit: int = TRANSCRIPT_LIMIT) -> list[ConversationMessage]:
    """The conversation's newest ``limit`` messages after ``after_id``, oldest first."""
    rows = await session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.pseudonym == pseudonym, ConversationMessage.id > after_id)
        .order_by(ConversationMessage.id.desc()).limit(limit))
    return sorted(rows, key=lambda m: (m.at, m.id))


async def last_message_id(session: AsyncSession, pseudonym: str, *,
                          recorded_before: dt.datetime) -> int:
    """The newest message id recorded before that moment (0: none)."""
    found = await session.scalar(
        select(ConversationMessage.id).where(ConversationMessage.pseudonym == pseudonym,
                                             ConversationMessage.recorded_at < recorded_before)
        .order_by(ConversationMessage.id.desc()).limit(1))
    return int(found or 0)


async def notes(session: AsyncSession, pseudonym: str) -> Sequence[ConversationNote]:
    rows = await session.scalars(
        select(ConversationNote).where(ConversationNote.pseudonym == pseudonym)
        .order_by(ConversationNote.at, ConversationNote.id).limit(NOTES_LIMIT))
    return rows.all()


async def add_note(session: AsyncSession, *, pseudonym: str, ticket_id: str, author_id: int,
                   sealed: str) -> ConversationNote:
    note = ConversationNote(pseudonym=pseudonym, ticket_id=ticket_id, author_id=author_id,
                            text_sealed=sealed, at=dt.datetime.now(dt.UTC))
    session.add(note)
    await session.flush()
    return note


async def record_closure(session: AsyncSession, *, ticket: Ticket, advisor_id: int | None,
                         outcome: str, closed_at: dt.datetime) -> None:
    """One row per ticket; a repeated close (a retry after a lost answer) changes nothing."""
    await record_closures(session, [{
        "ticket_id": ticket.id, "advisor_id": advisor_id, "language": ticket.language.value,
        "priority": ticket.priority.value, "intent": ticket.intent, "outcome": outcome,
        "created_at": ticket.created, "claimed_at": ticket.claimed_at, "closed_at": closed_at,
    }])


async def record_closures(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Closure rows, the first write of a ticket winning (console and closed stream agree)."""
    if rows:
        await session.execute(insert(HandoffClosure).values(rows)
                              .on_conflict_do_nothing(index_elements=["ticket_id"]))


async def set_satisfaction(session: AsyncSession, *, ticket_id: str, score: str) -> bool:
    """The person's answer; the latest counts (a mis-tap can be corrected). False: no row."""
    result = await session.execute(
        update(HandoffClosure).where(HandoffClosure.ticket_id == ticket_id)
        .values(satisfaction=score))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def purge_notes(session: AsyncSession, *, older_than: dt.datetime) -> int:
    """Notes follow the transcripts' retention."""
    result = await session.execute(
        delete(ConversationNote).where(ConversationNote.at < older_than))
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def console_staff(session: AsyncSession, *, name: str) -> Staff | None:
    """A staff member who may hold chats (advisor or admin, not revoked), by name."""
    return await session.scalar(select(Staff).where(
        Staff.name == name, Staff.revoked_at.is_(None),
        Staff.role.in_([Role.advisor, Role.admin])))


async def staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))
    return {int(i): str(n) for i, n in rows.all()}
