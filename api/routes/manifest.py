"""The pack manifest: read by staff, replaced (as a new version) by admins."""

from __future__ import annotations

from fastapi import APIRouter

from api.crud import manifest as crud
from api.deps import AdminDep, ResourcesDep, SessionDep, StaffDep
from api.routes.params import API_PREFIX
from api.schemas.manifest import ManifestPublic, ManifestUpdate
from api.validation import canonical, check_manifest_document

router = APIRouter(prefix=API_PREFIX + "/manifest", tags=["manifest"])


@router.get("", response_model=ManifestPublic)
async def read_manifest(session: SessionDep, _: StaffDep) -> ManifestPublic:
    return ManifestPublic.model_validate(await crud.get_manifest(session))


@router.put("", response_model=ManifestPublic)
async def update_manifest(
    body: ManifestUpdate, session: SessionDep, actor: AdminDep, resources: ResourcesDep
) -> ManifestPublic:
    """A new manifest version, in force at once (it holds no legal content of its own)."""
    data, digest = canonical(body.document)
    problems = check_manifest_document(
        body.document, data, max_age_days=resources.settings.content_max_age_days
    )
    manifest = await crud.update_manifest(
        session, document=data, content_hash=digest, actor=actor, note=body.note
    )
    snapshot = await resources.bundle.publish()
    out = ManifestPublic.model_validate(manifest)
    out.problems = problems
    out.bundle_version = snapshot.version if snapshot else None
    return out
