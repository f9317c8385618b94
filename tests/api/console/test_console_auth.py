"""Who may use the console: Bearer or cookie, advisors and admins, CSRF header with the cookie."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import AuditEntry, Role
from handoff import keys
from handoff.relay import RelayKind
from tests.api.conftest import StaffFactory, bearer
from tests.api.console.conftest import CONSOLE, Advisor, Enqueue, relayed

ENDPOINTS = [
    ("GET", f"{CONSOLE}/me"), ("PUT", f"{CONSOLE}/presence"), ("DELETE", f"{CONSOLE}/presence"),
    ("GET", f"{CONSOLE}/queue"), ("POST", f"{CONSOLE}/tickets/claim-next"),
    ("POST", f"{CONSOLE}/tickets/t1/claim"), ("GET", f"{CONSOLE}/tickets/t1"),
    ("POST", f"{CONSOLE}/tickets/t1/reply"), ("POST", f"{CONSOLE}/tickets/t1/notes"),
    ("POST", f"{CONSOLE}/tickets/t1/transfer"), ("POST", f"{CONSOLE}/tickets/t1/hand-back"),
    ("POST", f"{CONSOLE}/tickets/t1/close"), ("GET", f"{CONSOLE}/outcomes"),
    ("GET", f"{CONSOLE}/canned"), ("POST", "/api/v1/canned"), ("PUT", "/api/v1/canned/1"),
    ("DELETE", "/api/v1/canned/1"),
]
BODIES = {"PUT": {"languages": ["ru"], "capacity": 1, "language": "ru", "title": "t",
                  "text": "t"},
          "POST": {}}


def _body(method: str, path: str) -> dict[str, object] | None:
    if path.endswith("/reply") or path.endswith("/notes"):
        return {"text": "hello"}
    if path.endswith("/transfer"):
        return {"language": "uk"}
    if path.endswith("/close"):
        return {"outcome": "resolved"}
    if path == "/api/v1/canned":
        return {"language": "ru", "title": "t", "text": "t"}
    return BODIES.get(method)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_no_credentials_is_401(client: httpx.AsyncClient, method: str, path: str) -> None:
    r = await client.request(method, path, json=_body(method, path))
    assert r.status_code == 401, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("role", [Role.editor, Role.service])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_roles_without_the_console_are_403(
    client: httpx.AsyncClient, make_staff: StaffFactory, role: Role, method: str, path: str
) -> None:
    _, token = await make_staff(role)
    r = await client.request(method, path, json=_body(method, path), headers=bearer(token))
    assert r.status_code == 403, r.text


async def test_unknown_token_is_401(client: httpx.AsyncClient) -> None:
    r = await client.get(f"{CONSOLE}/me", headers=bearer("hl_forged"))
    assert r.status_code == 401
    client.cookies.set("hotline_console", "hl_forged")
    r = await client.get(f"{CONSOLE}/me")
    assert r.status_code == 401


async def test_login_sets_a_strict_httponly_cookie(
    client: httpx.AsyncClient, make_staff: StaffFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    staff, token = await make_staff(Role.advisor)
    r = await client.post(f"{CONSOLE}/session", json={"token": token})
    assert r.status_code == 204, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"hotline_console={token}")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain http here
    client.cookies.set("hotline_console", token)
    r = await client.get(f"{CONSOLE}/me")
    assert r.status_code == 200
    assert r.json() == {"id": str(staff.id), "name": staff.name, "role": "advisor",
                        "presence": None}
    async with sessions() as s:
        actions = (await s.scalars(select(AuditEntry.action)
                                   .where(AuditEntry.actor_id == staff.id))).all()
    assert "console.login" in actions


async def test_cookie_is_secure_over_https(app: FastAPI, make_staff: StaffFactory) -> None:
    _, token = await make_staff(Role.admin)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as c:
        r = await c.post(f"{CONSOLE}/session", json={"token": token})
    assert r.status_code == 204
    assert "secure" in r.headers["set-cookie"].lower()


@pytest.mark.parametrize(("body", "status"), [
    ({"token": "hl_nobody"}, 401), ({"token": ""}, 422), ({"token": 5}, 422), ({}, 422),
    ({"token": "x" * 201}, 422), ({"token": "t", "extra": 1}, 422),
])
async def test_bad_logins(client: httpx.AsyncClient, body: dict[str, object],
                          status: int) -> None:
    r = await client.post(f"{CONSOLE}/session", json=body)
    assert r.status_code == status, r.text
    assert "set-cookie" not in r.headers


async def test_login_refuses_editors(client: httpx.AsyncClient, make_staff: StaffFactory
                                     ) -> None:
    _, token = await make_staff(Role.editor)
    r = await client.post(f"{CONSOLE}/session", json={"token": token})
    assert r.status_code == 403
    assert "set-cookie" not in r.headers


async def test_malformed_login_json_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{CONSOLE}/session", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_cookie_needs_the_console_header_for_writes(
    client: httpx.AsyncClient, make_staff: StaffFactory
) -> None:
    _, token = await make_staff(Role.advisor)
    client.cookies.set("hotline_console", token)
    body = {"languages": ["ru"], "capacity": 2}
    r = await client.put(f"{CONSOLE}/presence", json=body)
    assert r.status_code == 403
    assert "X-Hotline-Console" in r.json()["detail"]
    r = await client.put(f"{CONSOLE}/presence", json=body, headers={"X-Hotline-Console": "0"})
    assert r.status_code == 403
    r = await client.put(f"{CONSOLE}/presence", json=body, headers={"X-Hotline-Console": "1"})
    assert r.status_code == 200
    assert (await client.get(f"{CONSOLE}/queue")).status_code == 200  # reads need no header


async def test_bearer_needs_no_console_header(advisor: Advisor, client: httpx.AsyncClient
                                              ) -> None:
    headers = await advisor(None)
    r = await client.put(f"{CONSOLE}/presence", json={"languages": ["ru"]}, headers=headers)
    assert r.status_code == 200


async def test_logout_clears_the_cookie_and_returns_the_chats(
    client: httpx.AsyncClient, make_staff: StaffFactory, enqueue: Enqueue, redis: Redis
) -> None:
    staff, token = await make_staff(Role.advisor)
    ticket, _ = await enqueue("ru")
    client.cookies.set("hotline_console", token)
    csrf = {"X-Hotline-Console": "1"}
    await client.put(f"{CONSOLE}/presence", json={"languages": ["ru"]}, headers=csrf)
    assert (await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=csrf)
            ).status_code == 200
    r = await client.delete(f"{CONSOLE}/session")
    assert r.status_code == 403  # the cookie without the header: not even a logout
    r = await client.delete(f"{CONSOLE}/session", headers=csrf)
    assert r.status_code == 204
    assert "hotline_console=" in r.headers["set-cookie"]
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert await redis.exists(keys.handoff_advisor(str(staff.id))) == 0  # signed off
    state = await redis.hget(keys.handoff_ticket(ticket), "state")
    assert state == b"queued"
    kinds = [m.kind for m in await relayed(redis) if m.ticket == ticket]
    assert kinds == [RelayKind.claimed, RelayKind.requeued]


async def test_logout_without_credentials_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.delete(f"{CONSOLE}/session")).status_code == 401


async def test_logout_with_a_revoked_cookie_still_clears_it(
    client: httpx.AsyncClient, make_staff: StaffFactory, admin: dict[str, str]
) -> None:
    staff, token = await make_staff(Role.advisor)
    await client.post(f"/api/v1/staff/{staff.id}/revoke", headers=admin)
    client.cookies.set("hotline_console", token)
    r = await client.delete(f"{CONSOLE}/session", headers={"X-Hotline-Console": "1"})
    assert r.status_code == 204
    assert "max-age=0" in r.headers["set-cookie"].lower()
