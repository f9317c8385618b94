"""The pack manifest, versioned like a flow; the newest version is the one in force."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.audit import Actor, record
from api.errors import Conflict, NotFound
from api.models import ManifestVersion
from api.schemas.audit import Action


async def current_manifest(session: AsyncSession) -> ManifestVersion | None:
    return await session.scalar(
        select(ManifestVersion).order_by(ManifestVersion.number.desc()).limit(1)
    )


async def get_manifest(session: AsyncSession) -> ManifestVersion:
    manifest = await current_manifest(session)
    if manifest is None:
        raise NotFound("no manifest yet: import a content pack first")
    return manifest


async def update_manifest(
    session: AsyncSession,
    *,
    document: dict[str, Any],
    content_hash: str,
    actor: Actor | None,
    note: str | None = None,
    action: Action = Action.manifest_update,
    commit: bool = True,
) -> ManifestVersion:
    """Store a new manifest version (in force at once); 409 when nothing changed."""
    latest = await current_manifest(session)
    if latest is not None and latest.content_hash == content_hash:
        raise Conflict(f"no change: manifest version {latest.number} has the same content")
    manifest = ManifestVersion(
        number=(latest.number + 1) if latest else 1, document=document,
        content_hash=content_hash, author_id=actor.id if actor else None, note=note,
    )
    session.add(manifest)
    await session.flush()
    record(session, actor=actor, action=action, version=manifest.number,
           detail={"content_hash": content_hash[:12]})
    if commit:
        await session.commit()
    await session.refresh(manifest)
    return manifest
