"""The bundle's hot path as plain ASGI: no routing, no dependency injection.

Every bot replica polls ``GET /api/v1/bundle``; through FastAPI's router and
dependency solver that request costs about twice a bare endpoint. This
middleware answers the common case itself: a token already in the auth cache,
with a role allowed to read the bundle, and a bundle in memory → 200 with the
pre-serialised bytes, or 304 when ``If-None-Match`` matches. Anything else (no
token, a token not yet cached, a wrong role, a request with a body, no
bundle) goes on to the FastAPI route, which gives the full answer, 401/403/404
included, and fills the cache. Both paths share ``api.bundle`` and the cache.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.bundle import BundleSnapshot, etag_matches
from api.models import Role
from api.routes.params import API_PREFIX

BUNDLE_PATH = API_PREFIX + "/bundle"
READERS = frozenset(Role)


class _RouteLabel:
    """Stands in for ``scope["route"]`` so the metrics label the fast path like the route."""

    path = BUNDLE_PATH


_LABEL = _RouteLabel()


def _headers(snapshot: BundleSnapshot, status: int) -> list[tuple[bytes, bytes]]:
    headers = [(b"etag", snapshot.etag.encode()), (b"cache-control", b"no-cache")]
    if status == 200:
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(snapshot.body)).encode())]
    return headers


class BundleFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._built_for: BundleSnapshot | None = None
        self._ok: list[tuple[bytes, bytes]] = []
        self._not_modified: list[tuple[bytes, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == BUNDLE_PATH and scope["method"] == "GET":
            if await self._serve(scope, send):
                return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send) -> bool:
        resources = getattr(scope["app"].state, "resources", None)
        if resources is None:
            return False
        snapshot = resources.bundle.snapshot
        if snapshot is None:
            return False
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name in (b"content-length", b"transfer-encoding"):
                return False  # a body: let the full stack apply its limits
        if authorization is None or authorization[:7].lower() != b"bearer ":
            return False
        principal = resources.tokens.cached(authorization[7:].strip().decode("latin-1"))
        if principal is None or principal.role not in READERS:
            return False
        if snapshot is not self._built_for:
            self._ok, self._not_modified = _headers(snapshot, 200), _headers(snapshot, 304)
            self._built_for = snapshot
        scope["route"] = _LABEL
        if if_none_match is not None and etag_matches(if_none_match.decode("latin-1"), snapshot):
            await send({"type": "http.response.start", "status": 304,
                        "headers": self._not_modified})
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": self._ok})
            await send({"type": "http.response.body", "body": snapshot.body})
        return True
