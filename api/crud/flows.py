"""Flows and their immutable versions: create, edit, approve, publish, roll back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.audit import Actor, record
from api.errors import ApprovalRequired, Conflict, NotFound, SelfApproval, ValidationFailed
from api.models import FlowRecord, FlowVersion
from api.schemas.audit import Action


async def list_flows(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[FlowRecord], int]:
    total = await session.scalar(select(func.count()).select_from(FlowRecord))
    rows = await session.scalars(
        select(FlowRecord).order_by(FlowRecord.id).limit(limit).offset(offset)
    )
    return rows.all(), total or 0


async def get_flow(session: AsyncSession, *, flow_id: str, for_update: bool = False) -> FlowRecord:
    flow = await session.get(FlowRecord, flow_id, with_for_update=for_update)
    if flow is None:
        raise NotFound(f"no flow {flow_id!r}")
    return flow


async def get_version(session: AsyncSession, *, flow_id: str, number: int) -> FlowVersion:
    version = await session.get(FlowVersion, (flow_id, number))
    if version is None:
        raise NotFound(f"flow {flow_id!r} has no version {number}")
    return version


async def list_versions(
    session: AsyncSession, *, flow_id: str, limit: int, offset: int
) -> tuple[Sequence[FlowVersion], int]:
    total = await session.scalar(
        select(func.count()).select_from(FlowVersion).where(FlowVersion.flow_id == flow_id)
    )
    rows = await session.scalars(
        select(FlowVersion)
        .where(FlowVersion.flow_id == flow_id)
        .order_by(FlowVersion.number.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), total or 0


async def latest_documents(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every flow's newest document, by flow id (what a new version is checked against)."""
    rows = await session.execute(
        select(FlowVersion.flow_id, FlowVersion.document)
        .join(FlowRecord, FlowRecord.id == FlowVersion.flow_id)
        .where(FlowVersion.number == FlowRecord.latest_version)
    )
    return {flow_id: document for flow_id, document in rows.all()}


async def create_flow(
    session: AsyncSession,
    *,
    flow_id: str,
    document: dict[str, Any],
    content_hash: str,
    actor: Actor | None,
    note: str | None = None,
    action: Action = Action.flow_create,
    commit: bool = True,
) -> tuple[FlowRecord, FlowVersion]:
    """A new flow with its first version (not approved, not published)."""
    flow = FlowRecord(id=flow_id, created_by_id=actor.id if actor else None, latest_version=1)
    version = FlowVersion(
        flow_id=flow_id, number=1, document=document, content_hash=content_hash,
        author_id=actor.id if actor else None, note=note,
    )
    session.add(flow)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"flow {flow_id!r} exists; send a new version with PUT") from exc
    session.add(version)
    await session.flush()
    record(session, actor=actor, action=action, flow_id=flow_id, version=1,
           detail={"content_hash": content_hash[:12]})
    if commit:
        await session.commit()
    await session.refresh(version)
    return flow, version


async def add_version(
    session: AsyncSession,
    *,
    flow_id: str,
    document: dict[str, Any],
    content_hash: str,
    actor: Actor | None,
    note: str | None = None,
    base_version: int | None = None,
    action: Action = Action.flow_update,
    commit: bool = True,
) -> tuple[FlowRecord, FlowVersion]:
    """Append a version; the flow row is locked so concurrent edits get distinct numbers."""
    flow = await get_flow(session, flow_id=flow_id, for_update=True)
    if base_version is not None and base_version != flow.latest_version:
        raise Conflict(
            f"version {base_version} is not the latest ({flow.latest_version}); "
            "merge the newer changes first"
        )
    latest = await get_version(session, flow_id=flow_id, number=flow.latest_version)
    if latest.content_hash == content_hash:
        raise Conflict(f"no change: version {latest.number} has the same content")
    flow.latest_version += 1
    version = FlowVersion(
        flow_id=flow_id, number=flow.latest_version, document=document,
        content_hash=content_hash, author_id=actor.id if actor else None, note=note,
    )
    session.add(version)
    await session.flush()
    record(session, actor=actor, action=action, flow_id=flow_id, version=version.number,
           detail={"content_hash": content_hash[:12]})
    if commit:
        await session.commit()
    await session.refresh(version)
    return flow, version


async def approve_version(
    session: AsyncSession, *, flow_id: str, number: int, actor: Actor
) -> tuple[FlowRecord, FlowVersion]:
    """The second pair of eyes: anyone with the role but the version's author."""
    flow = await get_flow(session, flow_id=flow_id, for_update=True)
    version = await get_version(session, flow_id=flow_id, number=number)
    if version.author_id == actor.id:
        raise SelfApproval("a version must be approved by someone other than its author")
    if version.approved_at is not None:
        raise Conflict(f"version {number} is already approved")
    version.approved_by_id = actor.id
    version.approved_at = dt.datetime.now(dt.UTC)
    record(session, actor=actor, action=Action.version_approve, flow_id=flow_id, version=number)
    await session.commit()
    await session.refresh(version)
    return flow, version


def _point_to(flow: FlowRecord, version: FlowVersion) -> None:
    now = dt.datetime.now(dt.UTC)
    flow.published_version = version.number
    flow.published_at = now
    version.last_published_at = now


async def publish_version(
    session: AsyncSession,
    *,
    flow_id: str,
    number: int,
    actor: Actor,
    require_approval: bool,
) -> tuple[FlowRecord, FlowVersion]:
    """Make a version the one the bot serves."""
    flow = await get_flow(session, flow_id=flow_id, for_update=True)
    version = await get_version(session, flow_id=flow_id, number=number)
    if flow.published_version == number:
        raise Conflict(f"version {number} is already published")
    if require_approval and version.approved_at is None:
        raise ApprovalRequired(f"version {number} needs approval by a second editor first")
    previous = flow.published_version
    _point_to(flow, version)
    record(session, actor=actor, action=Action.version_publish, flow_id=flow_id, version=number,
           detail={"previous": previous})
    await session.commit()
    return flow, version


async def rollback(
    session: AsyncSession, *, flow_id: str, to_version: int | None, actor: Actor
) -> tuple[FlowRecord, FlowVersion]:
    """Serve an earlier published version again (default: the one published before this one).

    Only versions that were published before qualify: they passed review
    already, which is what makes a rollback safe in a hurry.
    """
    flow = await get_flow(session, flow_id=flow_id, for_update=True)
    if flow.published_version is None:
        raise Conflict(f"flow {flow_id!r} is not published")
    if to_version is None:
        to_version = await session.scalar(
            select(FlowVersion.number)
            .where(
                FlowVersion.flow_id == flow_id,
                FlowVersion.number != flow.published_version,
                FlowVersion.last_published_at.is_not(None),
            )
            .order_by(FlowVersion.last_published_at.desc())
            .limit(1)
        )
        if to_version is None:
            raise Conflict(f"flow {flow_id!r} has no earlier published version")
    if to_version == flow.published_version:
        raise Conflict(f"version {to_version} is the published one")
    version = await get_version(session, flow_id=flow_id, number=to_version)
    if version.last_published_at is None:
        raise ValidationFailed(
            f"version {to_version} was never published; approve and publish it instead",
            detail=[{"loc": ["body", "to_version"], "path": "/body/to_version",
                     "msg": "not a previously published version", "type": "rollback.target"}],
        )
    previous = flow.published_version
    _point_to(flow, version)
    record(session, actor=actor, action=Action.flow_rollback, flow_id=flow_id,
           version=to_version, detail={"previous": previous})
    await session.commit()
    return flow, version
