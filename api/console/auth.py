"""Who is at the console: a Bearer token (tools) or the ``hotline_console`` cookie (browsers).

The cookie holds the staff token itself (HttpOnly, SameSite=Strict), so
revoking the token ends the browser session too. A cookie is sent by the
browser on its own, hence the CSRF rule: a cookie-authenticated unsafe request
must carry ``X-Hotline-Console: 1``, a header no cross-site form can set and
no cross-site script can send without a CORS preflight this api never grants.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import HTTPConnection
from starlette.responses import Response

from api.auth import Principal, TokenCache
from api.deps import bearer
from api.errors import Forbidden, Unauthenticated
from api.models import Role

COOKIE = "hotline_console"
CSRF_HEADER = "X-Hotline-Console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONSOLE_ROLES = frozenset({Role.advisor, Role.admin})


def credentials(conn: HTTPConnection) -> tuple[str, bool] | None:
    """The token and whether it came from the cookie; a Bearer header wins over the cookie."""
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), False
    cookie = conn.cookies.get(COOKIE)
    if cookie:
        return cookie, True
    return None


async def resolve(conn: HTTPConnection) -> tuple[Principal, bool]:
    """The caller and whether by cookie, or :class:`Unauthenticated`."""
    found = credentials(conn)
    if found is None:
        raise Unauthenticated("log in (POST /api/v1/console/session) or send a Bearer token")
    tokens: TokenCache = conn.app.state.resources.tokens
    principal = await tokens.resolve(found[0])
    if principal is None:
        raise Unauthenticated("unknown or revoked token")
    return principal, found[1]


def check_csrf(request: Request, by_cookie: bool) -> None:
    if by_cookie and request.method not in SAFE_METHODS and \
            request.headers.get(CSRF_HEADER) != "1":
        raise Forbidden(f"send the header {CSRF_HEADER}: 1 with the console cookie")


async def console_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """An advisor or an admin, by Bearer token or by cookie (with the CSRF header).

    ``bearer`` is declared only so the OpenAPI document shows the scheme.
    """
    principal, by_cookie = await resolve(request)
    check_csrf(request, by_cookie)
    if principal.role not in CONSOLE_ROLES:
        raise Forbidden("the console is for advisors and admins")
    return principal


async def console_admin(principal: Annotated[Principal, Depends(console_principal)]
                        ) -> Principal:
    if principal.role is not Role.admin:
        raise Forbidden("this needs the admin role")
    return principal


ConsoleDep = Annotated[Principal, Depends(console_principal)]
ConsoleAdminDep = Annotated[Principal, Depends(console_admin)]


def set_cookie(response: Response, request: Request, token: str) -> None:
    """A session cookie (gone when the browser closes); Secure whenever the page is https."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def advisor_id(principal: Principal) -> str:
    """The queue's advisor id: the staff id as a string."""
    return str(principal.id)
