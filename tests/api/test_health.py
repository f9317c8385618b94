"""Health, readiness and metrics; and the bundle following a publish made by another replica."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.models import Role
from hotline.settings import ApiSettings
from tests.api.conftest import StaffFactory, bearer, eventually
from tests.api.factories import flow_doc, pack, unique

API = "/api/v1"


async def test_readyz_pings_both_servers(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_says_when_redis_is_gone(
    settings: ApiSettings, engine: AsyncEngine
) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    app = create_app(settings, engine=engine, redis=dead)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/readyz")
    await dead.aclose()
    assert r.status_code == 503 and r.json()["redis"] == "down" and r.json()["postgres"] == "ok"


async def test_metrics_label_routes_by_template(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await client.get(f"{API}/flows/some_secret_name", headers=admin)
    await client.get("/nowhere/12345")
    text = (await client.get("/metrics")).text
    assert 'route="/api/v1/flows/{flow_id}"' in text
    assert "some_secret_name" not in text and "12345" not in text
    assert "hotline_api_request_duration_seconds_bucket" in text


async def test_openapi_document_describes_the_api(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert "/api/v1/bundle" in doc["paths"] and "/api/v1/flows/{flow_id}/diff" in doc["paths"]
    assert "token" in doc["components"]["securitySchemes"]


async def test_other_replica_picks_up_a_publish(
    client: httpx.AsyncClient, settings: ApiSettings, engine: AsyncEngine, redis: Redis,
    make_staff: StaffFactory, sessions,
) -> None:
    from api import ops

    async with sessions() as s:
        await ops.import_pack(s, pack(unique("base")), actor=None)
    other_redis = Redis.from_url(settings.redis_url)
    other = create_app(settings, engine=engine, redis=other_redis)
    async with other.router.lifespan_context(other):
        bundle = other.state.resources.bundle
        await asyncio.wait_for(bundle.listening.wait(), 10)
        before = bundle.snapshot.version

        _, e1 = await make_staff(Role.editor)
        _, e2 = await make_staff(Role.editor)
        flow_id = unique("replica")
        r = await client.post(f"{API}/flows", json={"document": flow_doc(flow_id)},
                              headers=bearer(e1))
        assert r.status_code == 201
        await client.post(f"{API}/flows/{flow_id}/versions/1/approve", headers=bearer(e2))
        r = await client.post(f"{API}/flows/{flow_id}/versions/1/publish", headers=bearer(e1))
        new = r.json()["bundle_version"]
        assert new != before
        await eventually(lambda: bundle.snapshot.version == new)
        assert flow_id.encode() in bundle.snapshot.body
    await other_redis.aclose()
