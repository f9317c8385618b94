"""The bundle's documented shape (the route returns pre-serialised bytes of this)."""

from __future__ import annotations

from pydantic import BaseModel

from flows.schema import Flow, PackManifest


class BundlePublic(BaseModel):
    """``flows.schema.Pack`` plus ``version``, which equals the ETag."""

    version: str
    manifest: PackManifest
    flows: list[Flow]
