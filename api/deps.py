"""What routes receive by annotation: resources, a session, and the caller with a checked role.

``AdminDep``, ``EditorDep``, ``StaffDep``, ``ReaderDep`` (staff or service: the
bundle) and ``AnyRoleDep`` (anyone with a valid token: handoffs, ``/me``)
each resolve to the calling :class:`~api.auth.Principal` or end the request
with 401 (no/unknown/revoked token) or 403 (role not allowed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth import Principal, TokenCache
from api.bundle import BundleCache
from api.errors import Forbidden, Unauthenticated
from api.models import Role
from hotline.settings import ApiSettings


@dataclass
class Resources:
    """Everything built in the lifespan (or injected), handed to routes through ``app.state``."""

    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    bundle: BundleCache
    tokens: TokenCache


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    async with resources.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

bearer = HTTPBearer(
    auto_error=False, scheme_name="token",
    description="A personal staff token (`hotline staff create NAME --role ROLE`).",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    tokens: TokenCache = request.app.state.resources.tokens
    principal = await tokens.resolve(credentials.credentials)
    if principal is None:
        raise Unauthenticated("unknown or revoked token")
    return principal


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only ``roles`` through."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(r.value for r in allowed))

    async def check_role(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"this needs one of the roles: {names}")
        return principal

    return check_role


AdminDep = Annotated[Principal, Depends(require(Role.admin))]
EditorDep = Annotated[Principal, Depends(require(Role.admin, Role.editor))]
StaffDep = Annotated[Principal, Depends(require(Role.admin, Role.editor, Role.advisor))]
ReaderDep = Annotated[Principal, Depends(require(*Role))]
AnyRoleDep = ReaderDep
