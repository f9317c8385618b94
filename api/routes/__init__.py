"""Routers, one module per area, assembled in one place (:func:`include_all`)."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import (
    audit,
    bundle,
    flows,
    handoffs,
    health,
    manifest,
    publishing,
    staff,
    transcripts,
)
from api.schemas.common import ERROR_RESPONSES


def include_all(app: FastAPI) -> None:
    """Health at the root; the API under ``/api/v1`` (each router carries the prefix)."""
    app.include_router(health.router)
    for module in (bundle, flows, publishing, manifest, staff, audit, handoffs, transcripts):
        app.include_router(module.router, responses=ERROR_RESPONSES)
