"""The two-person rule and what the bot sees: approve, publish, roll back."""

from __future__ import annotations

from fastapi import APIRouter

from api.crud import flows as crud
from api.deps import EditorDep, ResourcesDep, SessionDep
from api.routes.params import API_PREFIX, FlowIdPath, VersionPath
from api.schemas.flows import FlowVersionSummary, PublishResult, RollbackRequest

router = APIRouter(prefix=API_PREFIX + "/flows", tags=["publishing"])


@router.post("/{flow_id}/versions/{number}/approve", response_model=FlowVersionSummary)
async def approve_version(
    flow_id: FlowIdPath, number: VersionPath, session: SessionDep, actor: EditorDep
) -> FlowVersionSummary:
    """Second-editor review; the version's author gets 403."""
    flow, version = await crud.approve_version(
        session, flow_id=flow_id, number=number, actor=actor
    )
    return FlowVersionSummary.of(version, flow)


@router.post("/{flow_id}/versions/{number}/publish", response_model=PublishResult)
async def publish_version(
    flow_id: FlowIdPath,
    number: VersionPath,
    session: SessionDep,
    actor: EditorDep,
    resources: ResourcesDep,
) -> PublishResult:
    """Serve this version to the bot (409 ``approval_required`` before a second editor approved)."""
    flow, _ = await crud.publish_version(
        session, flow_id=flow_id, number=number, actor=actor,
        require_approval=resources.settings.require_approval,
    )
    snapshot = await resources.bundle.publish()
    return PublishResult(
        flow_id=flow_id, published_version=flow.published_version,
        bundle_version=snapshot.version if snapshot else None,
    )


@router.post("/{flow_id}/rollback", response_model=PublishResult)
async def rollback(
    flow_id: FlowIdPath,
    body: RollbackRequest,
    session: SessionDep,
    actor: EditorDep,
    resources: ResourcesDep,
) -> PublishResult:
    """Serve an earlier published version again; no new approval needed, it had one."""
    flow, _ = await crud.rollback(session, flow_id=flow_id, to_version=body.to_version, actor=actor)
    snapshot = await resources.bundle.publish()
    return PublishResult(
        flow_id=flow_id, published_version=flow.published_version,
        bundle_version=snapshot.version if snapshot else None,
    )
