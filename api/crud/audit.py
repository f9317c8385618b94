"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEntry
from api.schemas.audit import Action, AuditQuery

SYSTEM_ACTOR = "system"


class Actor(Protocol):
    """Anyone who can act: a request's principal or a staff row (the CLI)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


def record(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: Action,
    flow_id: str | None = None,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; it is committed with the change it describes.

    ``detail`` is small and about content or staff, never message text or an
    identifier of a person seeking help.
    """
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.name if actor is not None else SYSTEM_ACTOR,
        action=action.value,
        flow_id=flow_id,
        version=version,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def _filters(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.actor_id is not None:
        where.append(AuditEntry.actor_id == query.actor_id)
    if query.action is not None:
        where.append(AuditEntry.action == query.action.value)
    if query.flow_id is not None:
        where.append(AuditEntry.flow_id == query.flow_id)
    if query.since is not None:
        where.append(AuditEntry.at >= query.since)
    if query.until is not None:
        where.append(AuditEntry.at < query.until)
    return where


async def list_entries(
    session: AsyncSession, *, query: AuditQuery
) -> tuple[Sequence[AuditEntry], int]:
    """Newest first, filtered, one page; with the total count for the filters."""
    where = _filters(query)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*where))
    rows = await session.scalars(
        select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return rows.all(), total or 0
