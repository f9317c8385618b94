"""Path and query parameters shared by several routers, bounded so SQL never sees junk."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from api.schemas.common import MAX_INT, MAX_PAGE

#: Every route's path starts with it. Routers carry it in their own prefix (not an include
#: prefix) so ``scope["route"].path`` is the full template the metrics label requests with.
API_PREFIX = "/api/v1"

FlowIdPath = Annotated[
    str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$", max_length=64, description="A flow id")
]
VersionPath = Annotated[int, Path(ge=1, le=MAX_INT, description="A version number")]
StaffIdPath = Annotated[int, Path(ge=1, le=MAX_INT, description="A staff id")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_INT)]
