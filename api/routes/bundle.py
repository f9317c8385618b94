"""``GET /api/v1/bundle``: the published content in one document, from memory, with an ETag."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.bundle import BundleSnapshot, etag_matches
from api.deps import ReaderDep
from api.errors import NotFound
from api.routes.params import API_PREFIX
from api.schemas.bundle import BundlePublic

router = APIRouter(prefix=API_PREFIX, tags=["bundle"])

_NOT_MODIFIED = {"description": "The bundle still has the ETag sent in If-None-Match"}


@router.get(
    "/bundle",
    response_class=Response,
    responses={200: {"model": BundlePublic, "description": "The published pack"},
               304: _NOT_MODIFIED},
)
async def read_bundle(request: Request, _: ReaderDep) -> Response:
    """Every published flow and the manifest; ``version`` equals the ETag.

    Served from this process's memory, never from the database: send the last
    ETag in ``If-None-Match`` and get an empty 304 while nothing changed.
    """
    snapshot: BundleSnapshot | None = request.app.state.resources.bundle.snapshot
    if snapshot is None:
        raise NotFound("nothing published yet: import a content pack first")
    headers = snapshot.headers
    inm = request.headers.get("if-none-match")
    if inm is not None and etag_matches(inm, snapshot):
        return Response(status_code=304, headers=headers)
    return Response(snapshot.body, media_type="application/json", headers=headers)
