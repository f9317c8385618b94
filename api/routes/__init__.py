"""Routers, one module per area, assembled in one place (:func:`include_all`)."""

from __future__ import annotations

from fastapi import FastAPI

from api.console import pages as console_pages
from api.console import routes as console
from api.console import socket as console_socket
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
    """Health at the root; the API under ``/api/v1`` (each router carries the prefix); the
    advisor console's page at ``/console``."""
    app.include_router(health.router)
    for module in (bundle, flows, publishing, manifest, staff, audit, handoffs, transcripts,
                   console):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    app.include_router(console.canned_router, responses=ERROR_RESPONSES)
    app.include_router(console_socket.router)
    app.include_router(console_pages.router)
