"""The CLI's operations: import and export of packs, staff, has_content."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api import ops
from api.models import AuditEntry, FlowRecord, FlowVersion, Role
from flows.schema import Pack
from tests.api.factories import pack, unique


async def _versions(session: AsyncSession, flow_id: str) -> int:
    return await session.scalar(
        select(func.count()).select_from(FlowVersion).where(FlowVersion.flow_id == flow_id)
    )


async def test_import_is_idempotent_and_exports_what_it_imported(session: AsyncSession) -> None:
    admin, _ = await ops.create_staff(session, name=unique("importer"), role=Role.admin)
    a, b = unique("imp"), unique("imp")
    first = pack(a, b)

    summary = await ops.import_pack(session, first, actor=admin)
    assert sorted(summary.created) == sorted([a, b])
    assert await ops.has_content(session)
    flow = await session.get(FlowRecord, a)
    assert flow.published_version == 1

    again = await ops.import_pack(session, first, actor=admin)
    assert not again.changed and sorted(again.unchanged) == sorted([a, b])
    assert await _versions(session, a) == 1

    exported = await ops.export_pack(session)
    ours = [f for f in exported.flows if f.id in (a, b)]
    assert Pack(manifest=exported.manifest, flows=ours) == first

    changed = pack(a, b, text="Changed")
    summary = await ops.import_pack(session, changed, actor=admin)
    assert sorted(summary.updated) == sorted([a, b])
    assert await _versions(session, a) == 2
    # Importing the old content again publishes the existing version 1, no version 3.
    summary = await ops.import_pack(session, first, actor=None)
    assert sorted(summary.updated) == sorted([a, b])
    assert await _versions(session, a) == 2
    await session.refresh(flow)
    assert flow.published_version == 1

    actions = (await session.scalars(
        select(AuditEntry.action).where(AuditEntry.flow_id == a).order_by(AuditEntry.id)
    )).all()
    assert actions == ["flow.import"] * 3  # version 1, version 2, version 1 published again
    names = (await session.scalars(
        select(AuditEntry.actor_name).where(AuditEntry.action == "pack.import")
    )).all()
    assert admin.name in names and "system" in names


async def test_export_of_latest_includes_unpublished(session: AsyncSession) -> None:
    flow_id = unique("exp")
    await ops.import_pack(session, pack(flow_id), actor=None)
    from api.crud.flows import add_version
    from api.validation import canonical

    newer = pack(flow_id, text="Draft").flows[0]
    data, digest = canonical(newer)
    await add_version(session, flow_id=flow_id, document=data, content_hash=digest, actor=None)
    published = {f.id: f for f in (await ops.export_pack(session)).flows}
    latest = {f.id: f for f in (await ops.export_pack(session, published_only=False)).flows}
    assert published[flow_id] != newer and latest[flow_id] == newer


async def test_staff_ops(session: AsyncSession) -> None:
    staff, token = await ops.create_staff(session, name=unique("svc"), role="service")
    assert staff.role is Role.service and token.startswith("hl_")
    revoked = await ops.revoke_staff(session, staff_id=staff.id)
    assert revoked.revoked_at is not None
    found = await ops.get_staff_by_name(session, name=staff.name)
    assert found.id == staff.id
