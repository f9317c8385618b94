"""Flows: list, read, create, edit (each edit a new version), versions, diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from api import diff
from api.crud import flows as crud
from api.crud.manifest import current_manifest
from api.deps import EditorDep, ResourcesDep, SessionDep, StaffDep
from api.errors import ValidationFailed
from api.routes.params import API_PREFIX, FlowIdPath, LimitQuery, OffsetQuery, VersionPath
from api.schemas.common import MAX_INT
from api.schemas.flows import (
    FlowCreate,
    FlowDiff,
    FlowPublic,
    FlowsPublic,
    FlowSummary,
    FlowUpdate,
    FlowVersionPublic,
    FlowVersionsPublic,
    FlowVersionSummary,
)
from api.validation import canonical, check_flow_document
from flows.problems import Problem
from flows.schema import Flow, PackManifest

router = APIRouter(prefix=API_PREFIX + "/flows", tags=["flows"])


async def _validate(
    session: AsyncSession, flow: Flow, data: dict[str, object], max_age_days: int
) -> list[Problem]:
    current = await current_manifest(session)
    manifest = PackManifest.model_validate(current.document) if current else None
    others = await crud.latest_documents(session)
    return check_flow_document(
        flow, data, manifest=manifest, other_flows=others, max_age_days=max_age_days
    )


@router.get("", response_model=FlowsPublic)
async def list_flows(
    session: SessionDep, _: StaffDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> FlowsPublic:
    rows, count = await crud.list_flows(session, limit=limit, offset=offset)
    return FlowsPublic(data=[FlowSummary.model_validate(r) for r in rows], count=count)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FlowVersionPublic)
async def create_flow(
    body: FlowCreate, session: SessionDep, actor: EditorDep, resources: ResourcesDep
) -> FlowVersionPublic:
    """Create a flow (version 1, not yet approved or published)."""
    data, digest = canonical(body.document)
    problems = await _validate(
        session, body.document, data, resources.settings.content_max_age_days
    )
    flow, version = await crud.create_flow(
        session, flow_id=body.document.id, document=data, content_hash=digest, actor=actor,
        note=body.note,
    )
    return FlowVersionPublic.of(version, flow, problems)


@router.get("/{flow_id}", response_model=FlowPublic)
async def read_flow(flow_id: FlowIdPath, session: SessionDep, _: StaffDep) -> FlowPublic:
    flow = await crud.get_flow(session, flow_id=flow_id)
    version = await crud.get_version(session, flow_id=flow_id, number=flow.latest_version)
    summary = FlowSummary.model_validate(flow)
    return FlowPublic(**summary.model_dump(), latest=FlowVersionPublic.of(version, flow))


@router.put("/{flow_id}", response_model=FlowVersionPublic)
async def update_flow(
    flow_id: FlowIdPath,
    body: FlowUpdate,
    session: SessionDep,
    actor: EditorDep,
    resources: ResourcesDep,
) -> FlowVersionPublic:
    """Store a new immutable version authored by the caller; the published one is unchanged."""
    if body.document.id != flow_id:
        raise ValidationFailed("the document's id must be the flow's id", detail=[{
            "loc": ["body", "document", "id"], "path": "/body/document/id",
            "msg": f"expected {flow_id!r}", "type": "flow.id_mismatch",
        }])
    await crud.get_flow(session, flow_id=flow_id)
    data, digest = canonical(body.document)
    problems = await _validate(
        session, body.document, data, resources.settings.content_max_age_days
    )
    flow, version = await crud.add_version(
        session, flow_id=flow_id, document=data, content_hash=digest, actor=actor,
        note=body.note, base_version=body.base_version,
    )
    return FlowVersionPublic.of(version, flow, problems)


@router.get("/{flow_id}/versions", response_model=FlowVersionsPublic)
async def list_versions(
    flow_id: FlowIdPath,
    session: SessionDep,
    _: StaffDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> FlowVersionsPublic:
    flow = await crud.get_flow(session, flow_id=flow_id)
    rows, count = await crud.list_versions(session, flow_id=flow_id, limit=limit, offset=offset)
    return FlowVersionsPublic(data=[FlowVersionSummary.of(v, flow) for v in rows], count=count)


@router.get("/{flow_id}/versions/{number}", response_model=FlowVersionPublic)
async def read_version(
    flow_id: FlowIdPath, number: VersionPath, session: SessionDep, _: StaffDep
) -> FlowVersionPublic:
    flow = await crud.get_flow(session, flow_id=flow_id)
    version = await crud.get_version(session, flow_id=flow_id, number=number)
    return FlowVersionPublic.of(version, flow)


@router.get("/{flow_id}/diff", response_model=FlowDiff)
async def diff_versions(
    flow_id: FlowIdPath,
    session: SessionDep,
    _: StaffDep,
    from_version: Annotated[int, Query(alias="from", ge=1, le=MAX_INT)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=MAX_INT)],
) -> FlowDiff:
    """What changed from one version to another (any order)."""
    a = await crud.get_version(session, flow_id=flow_id, number=from_version)
    b = await crud.get_version(session, flow_id=flow_id, number=to_version)
    return FlowDiff(
        flow_id=flow_id, from_version=from_version, to_version=to_version,
        changes=diff.json_changes(a.document, b.document),
        unified=diff.unified(a.document, b.document, from_name=f"{flow_id}@{from_version}",
                             to_name=f"{flow_id}@{to_version}"),
    )
