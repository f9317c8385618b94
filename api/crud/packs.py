"""Whole content packs in and out (the CLI's ``flows import|export`` and first start)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud import flows as flows_crud
from api.crud.audit import Actor, record
from api.crud.manifest import current_manifest, update_manifest
from api.errors import NotFound
from api.models import FlowRecord, FlowVersion, ManifestVersion
from api.schemas.audit import Action
from api.validation import canonical
from flows.schema import Flow, Pack, PackManifest


class ImportSummary(BaseModel):
    """What an import changed; an import of unchanged content changes nothing."""

    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    manifest_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.manifest_changed)


async def _import_flow(
    session: AsyncSession, flow: Flow, actor: Actor | None, summary: ImportSummary
) -> None:
    document, digest = canonical(flow)
    record_ = await session.get(FlowRecord, flow.id, with_for_update=True)
    if record_ is None:
        record_, version = await flows_crud.create_flow(
            session, flow_id=flow.id, document=document, content_hash=digest, actor=actor,
            note="imported", action=Action.flow_import, commit=False,
        )
        summary.created.append(flow.id)
    else:
        version_or_none = await session.scalar(
            select(FlowVersion)
            .where(FlowVersion.flow_id == flow.id, FlowVersion.content_hash == digest)
            .order_by(FlowVersion.number.desc())
            .limit(1)
        )
        if version_or_none is not None and record_.published_version == version_or_none.number:
            summary.unchanged.append(flow.id)
            return
        if version_or_none is None:
            record_, version = await flows_crud.add_version(
                session, flow_id=flow.id, document=document, content_hash=digest, actor=actor,
                note="imported", action=Action.flow_import, commit=False,
            )
        else:
            version = version_or_none
            record(session, actor=actor, action=Action.flow_import, flow_id=flow.id,
                   version=version.number, detail={"existing_version": True})
        summary.updated.append(flow.id)
    now = dt.datetime.now(dt.UTC)
    if version.approved_at is None:
        version.approved_at = now
        version.approved_by_id = actor.id if actor else None
    record_.published_version = version.number
    record_.published_at = now
    version.last_published_at = now


async def import_pack(session: AsyncSession, pack: Pack, *, actor: Actor | None) -> ImportSummary:
    """Store a pack and publish it, as one audited ``import`` (approved by whoever imports).

    Idempotent by content: a flow whose content already exists as a version is
    published as that version, and one already published as it is left alone.
    Flows in the database but not in the pack are left as they are.
    """
    summary = ImportSummary()
    manifest_doc, manifest_hash = canonical(pack.manifest)
    latest = await current_manifest(session)
    if latest is None or latest.content_hash != manifest_hash:
        await update_manifest(
            session, document=manifest_doc, content_hash=manifest_hash, actor=actor,
            note="imported", action=Action.manifest_import, commit=False,
        )
        summary.manifest_changed = True
    for flow in sorted(pack.flows, key=lambda f: f.id):
        await _import_flow(session, flow, actor, summary)
    if summary.changed:
        record(session, actor=actor, action=Action.pack_import, detail={
            "created": len(summary.created), "updated": len(summary.updated),
            "unchanged": len(summary.unchanged), "manifest": summary.manifest_changed,
        })
    await session.commit()
    return summary


async def published_content(
    session: AsyncSession,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The manifest in force and every published flow document, ordered by flow id."""
    manifest = await current_manifest(session)
    rows = await session.scalars(
        select(FlowVersion.document)
        .join(FlowRecord, FlowRecord.id == FlowVersion.flow_id)
        .where(FlowVersion.number == FlowRecord.published_version)
        .order_by(FlowRecord.id)
    )
    return (manifest.document if manifest else None), list(rows.all())


async def export_pack(session: AsyncSession, *, published_only: bool = True) -> Pack:
    """The content as a pack: the published versions, or (``published_only=False``) the newest."""
    if published_only:
        manifest, documents = await published_content(session)
    else:
        current = await current_manifest(session)
        manifest = current.document if current else None
        documents = list((await flows_crud.latest_documents(session)).values())
        documents.sort(key=lambda d: str(d.get("id")))
    if manifest is None:
        raise NotFound("no manifest yet: nothing to export")
    return Pack(
        manifest=PackManifest.model_validate(manifest),
        flows=[Flow.model_validate(d) for d in documents],
    )


async def has_content(session: AsyncSession) -> bool:
    """True once a manifest or any flow exists (first start imports the default pack)."""
    found = await session.scalar(
        select(exists().where(ManifestVersion.number.is_not(None)))
    )
    if found:
        return True
    return bool(await session.scalar(select(exists().where(FlowRecord.id.is_not(None)))))
