"""Who may call what: 401 without a valid token, 403 for the wrong role, over every endpoint."""

from __future__ import annotations

import httpx
import pytest

from api.models import Role
from tests.api.conftest import StaffFactory, bearer

API = "/api/v1"
ALL = frozenset(Role)
STAFF = frozenset({Role.admin, Role.editor, Role.advisor})
EDITORS = frozenset({Role.admin, Role.editor})
ADMINS = frozenset({Role.admin})
HANDOFF = {"conversation": "conv_abcdef12", "language": "ru", "reason": "asks for a person",
           "priority": "normal"}

# (method, path, body, roles allowed). Writes name things that do not exist or send
# empty bodies, so an allowed role gets 404/422 and nothing changes.
ENDPOINTS: list[tuple[str, str, object, frozenset[Role]]] = [
    ("GET", "/bundle", None, ALL),
    ("GET", "/me", None, ALL),
    ("POST", "/handoffs", HANDOFF, ALL),
    ("GET", "/flows", None, STAFF),
    ("GET", "/flows/no_such_flow", None, STAFF),
    ("GET", "/flows/no_such_flow/versions", None, STAFF),
    ("GET", "/flows/no_such_flow/versions/1", None, STAFF),
    ("GET", "/flows/no_such_flow/diff?from=1&to=2", None, STAFF),
    ("GET", "/manifest", None, STAFF),
    ("POST", "/flows", {}, EDITORS),
    ("PUT", "/flows/no_such_flow", {}, EDITORS),
    ("POST", "/flows/no_such_flow/versions/1/approve", None, EDITORS),
    ("POST", "/flows/no_such_flow/versions/1/publish", None, EDITORS),
    ("POST", "/flows/no_such_flow/rollback", {}, EDITORS),
    ("PUT", "/manifest", {}, ADMINS),
    ("GET", "/staff", None, ADMINS),
    ("POST", "/staff", {}, ADMINS),
    ("GET", "/staff/2147483647", None, ADMINS),
    ("POST", "/staff/2147483647/revoke", None, ADMINS),
    ("GET", "/audit", None, ADMINS),
]


async def _call(client: httpx.AsyncClient, method: str, path: str, body: object,
                headers: dict[str, str | bytes]) -> httpx.Response:
    kwargs = {"json": body} if body is not None else {}
    return await client.request(method, API + path, headers=headers, **kwargs)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
async def test_role_matrix(
    client: httpx.AsyncClient, make_staff: StaffFactory,
    method: str, path: str, body: object, allowed: frozenset[Role],
) -> None:
    for role in Role:
        _, token = await make_staff(role)
        r = await _call(client, method, path, body, bearer(token))
        if role in allowed:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text)
            assert r.status_code < 500, r.text
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.json()["code"] == "forbidden"


BAD_AUTH: list[str | bytes | None] = [
    None, "Bearer", "Bearer hl_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000,
    "bearer hl_\u00e9\u00e9".encode("latin-1"),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
async def test_without_valid_token_is_401(
    client: httpx.AsyncClient, method: str, path: str, body: object, allowed: frozenset[Role],
) -> None:
    for auth in BAD_AUTH:
        headers = {} if auth is None else {"Authorization": auth}
        r = await _call(client, method, path, body, headers)
        assert r.status_code == 401, (auth, r.text)
        assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"])
async def test_open_endpoints_need_no_token(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 200, r.text


async def test_revoked_token_is_refused_at_once(
    client: httpx.AsyncClient, make_staff: StaffFactory, admin: dict[str, str]
) -> None:
    staff, token = await make_staff(Role.editor)
    assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 200  # now cached
    r = await client.post(f"{API}/staff/{staff.id}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = await client.get(f"{API}/me", headers=bearer(token))
    assert r.status_code == 401
    r = await client.post(f"{API}/staff/{staff.id}/revoke", headers=admin)
    assert r.status_code == 409


async def test_token_is_shown_once_and_only_its_hash_is_stored(
    client: httpx.AsyncClient, admin: dict[str, str], session
) -> None:
    from sqlalchemy import select

    from api.auth import hash_token
    from api.models import Staff

    r = await client.post(f"{API}/staff", json={"name": "Dana Advisor", "role": "advisor"},
                          headers=admin)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    stored = await session.scalar(select(Staff).where(Staff.id == r.json()["id"]))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    me = await client.get(f"{API}/me", headers=bearer(token))
    assert me.json() == {"id": stored.id, "name": "Dana Advisor", "role": "advisor"}
    listed = await client.get(f"{API}/staff/{stored.id}", headers=admin)
    assert "token" not in listed.json()
    again = await client.post(f"{API}/staff", json={"name": "Dana Advisor", "role": "advisor"},
                              headers=admin)
    assert again.status_code == 409


async def test_admin_cannot_revoke_self(
    client: httpx.AsyncClient, make_staff: StaffFactory
) -> None:
    staff, token = await make_staff(Role.admin)
    r = await client.post(f"{API}/staff/{staff.id}/revoke", headers=bearer(token))
    assert r.status_code == 409
    assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 200
