"""The bundle: one answer from the FastAPI route (first call) and the fast path (cached token)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import ops
from api.models import Role
from flows.schema import Pack
from tests.api.conftest import StaffFactory, bearer, eventually
from tests.api.factories import pack, unique

URL = "/api/v1/bundle"


@pytest.fixture
async def published(sessions: async_sessionmaker[AsyncSession], app: FastAPI) -> str:
    """A published flow; the app is told, as ``hotline flows import`` tells running apis."""
    flow_id = unique("bundled")
    async with sessions() as s:
        await ops.import_pack(s, pack(flow_id), actor=None)
        await ops.announce_bundle(s, app.state.resources.redis)
    bundle = app.state.resources.bundle
    await eventually(lambda: flow_id.encode() in (bundle.snapshot.body if bundle.snapshot else b""))
    return flow_id


async def test_route_and_fast_path_agree(
    client: httpx.AsyncClient, make_staff: StaffFactory, published: str
) -> None:
    staff, token = await make_staff(Role.service)
    first = await client.get(URL, headers=bearer(token))  # cache miss: the FastAPI route
    second = await client.get(URL, headers=bearer(token))  # cached token: the fast path
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    for name in ("etag", "content-type", "content-length", "cache-control"):
        assert first.headers[name] == second.headers[name], name
    body = Pack.model_validate({k: v for k, v in first.json().items() if k != "version"})
    assert published in [f.id for f in body.flows]
    assert first.json()["version"] == first.headers["etag"].strip('"')

    etag = first.headers["etag"]
    for inm in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        r = await client.get(URL, headers={**bearer(token), "If-None-Match": inm})
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag, inm
    r = await client.get(URL, headers={**bearer(token), "If-None-Match": '"other"'})
    assert r.status_code == 200

    text = (await client.get("/metrics")).text
    assert f'route="{URL}",status="200"' in text and f'route="{URL}",status="304"' in text


async def test_revoked_service_token_is_refused_on_the_fast_path(
    client: httpx.AsyncClient, make_staff: StaffFactory, admin: dict[str, str], published: str
) -> None:
    staff, token = await make_staff(Role.service)
    assert (await client.get(URL, headers=bearer(token))).status_code == 200
    assert (await client.get(URL, headers=bearer(token))).status_code == 200
    r = await client.post(f"/api/v1/staff/{staff.id}/revoke", headers=admin)
    assert r.status_code == 200
    assert (await client.get(URL, headers=bearer(token))).status_code == 401


async def test_service_role_reads_only_bundle_and_handoffs(
    client: httpx.AsyncClient, make_staff: StaffFactory, published: str
) -> None:
    _, token = await make_staff(Role.service)
    assert (await client.get(URL, headers=bearer(token))).status_code == 200
    for path in ("/api/v1/flows", f"/api/v1/flows/{published}", "/api/v1/manifest"):
        assert (await client.get(path, headers=bearer(token))).status_code == 403, path
