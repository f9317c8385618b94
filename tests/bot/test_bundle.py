"""Flows from the knowledge service: fetched with an ETag, refreshed on a publish, kept in Redis.

The api's bundle endpoint is modelled by a small loopback HTTP server that
keeps its documented contract (``{"version", "manifest", "flows"}``, ETag,
``If-None-Match`` → 304, bearer token), so the bot's real HTTP client runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.bundle import BundleSource, NoBundleError
from bot.engines import EngineHolder
from flows.packio import dump_pack
from handoff import keys
from tests.bot.pack import make_pack

TOKEN = "service-token"


class FakeBundleApi:
    def __init__(self) -> None:
        self.body = b""
        self.etag = ""
        self.up = True
        self.statuses: list[int] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    def publish(self, marker: str) -> str:
        doc = make_pack(marker).model_dump(mode="json")
        content = json.dumps(doc, sort_keys=True).encode()
        version = hashlib.sha256(content).hexdigest()[:32]
        self.body = json.dumps({"version": version, **doc}).encode()
        self.etag = f'"{version}"'
        return version

    async def handle(self, request: web.Request) -> web.Response:
        if not self.up:
            status, response = 503, web.Response(status=503)
        elif request.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, response = 401, web.Response(status=401)
        elif request.headers.get("If-None-Match") == self.etag:
            status, response = 304, web.Response(status=304, headers={"ETag": self.etag})
        else:
            status, response = 200, web.Response(body=self.body, content_type="application/json",
                                                 headers={"ETag": self.etag})
        self.statuses.append(status)
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/v1/bundle", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self.runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
async def api() -> AsyncIterator[FakeBundleApi]:
    fake = FakeBundleApi()
    fake.publish("v1")
    await fake.start()
    yield fake
    assert fake.runner is not None
    await fake.runner.cleanup()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def greeting(engines: EngineHolder) -> str:
    steps = next(f for f in engines.current.pack.flows if f.id == "greet").steps
    return str(steps["hello"].text.root["ru"])  # type: ignore[union-attr]


async def test_load_fetches_from_the_api_and_keeps_a_copy_in_redis(
    redis: Redis, api: FakeBundleApi,
) -> None:
    source = BundleSource(redis, EngineHolder(), api_url=api.url, token=TOKEN)
    try:
        assert await source.load() == "api"
        assert "v1" in greeting(source.engines)
        assert await redis.get(keys.BOT_BUNDLE) == api.body
        assert (await redis.get(keys.BOT_BUNDLE_ETAG)).decode() == api.etag
        # unchanged: a 304, nothing reinstalled
        current = source.engines.current
        assert await source.refresh()
        assert api.statuses[-1] == 304 and source.engines.current is current
    finally:
        await source.close()


async def test_a_publish_announcement_refreshes_the_bundle(
    redis: Redis, api: FakeBundleApi,
) -> None:
    source = BundleSource(redis, EngineHolder(), api_url=api.url, token=TOKEN,
                          poll_interval=3600)  # only the announcement can cause the refresh
    await source.load()
    task = asyncio.create_task(source.run())
    try:
        await asyncio.wait_for(source.listening.wait(), 10)
        version = api.publish("v2")
        await redis.set(keys.FLOWS_ETAG, version)
        await redis.publish(keys.FLOWS_PUBLISHED_CHANNEL, version)
        for _ in range(200):
            if "v2" in greeting(source.engines):
                break
            await asyncio.sleep(0.05)
        assert "v2" in greeting(source.engines)
        assert source.engines.current.version == version
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await source.close()


async def test_a_restart_with_the_api_down_runs_on_the_redis_copy(
    redis: Redis, api: FakeBundleApi,
) -> None:
    first = BundleSource(redis, EngineHolder(), api_url=api.url, token=TOKEN)
    await first.load()
    await first.close()
    api.up = False
    for url in (api.url, closed_port_url()):  # 503, then nobody listening at all
        restarted = BundleSource(redis, EngineHolder(), api_url=url, token=TOKEN, timeout=1)
        try:
            assert await restarted.load() == "redis"
            assert "v1" in greeting(restarted.engines)
            assert restarted.engines.current.source == "redis"
        finally:
            await restarted.close()


async def test_without_api_or_redis_copy_the_packaged_content_is_used(
    redis: Redis, tmp_path: Path,
) -> None:
    dump_pack(make_pack("packaged"), tmp_path)
    source = BundleSource(redis, EngineHolder(), api_url=closed_port_url(), token=TOKEN,
                          default_dir=tmp_path, timeout=1)
    try:
        assert await source.load() == "default"
        assert "packaged" in greeting(source.engines)
    finally:
        await source.close()
    empty = BundleSource(redis, EngineHolder(), api_url=closed_port_url(), token=TOKEN,
                         default_dir=tmp_path / "missing", timeout=1)
    with pytest.raises(NoBundleError):
        await empty.load()
    await empty.close()


async def test_a_broken_bundle_is_refused_and_the_current_one_kept(
    redis: Redis, api: FakeBundleApi,
) -> None:
    source = BundleSource(redis, EngineHolder(), api_url=api.url, token=TOKEN)
    try:
        await source.load()
        saved = await redis.get(keys.BOT_BUNDLE)
        api.body, api.etag = b'{"version": "x", "manifest": {}, "flows": "nope"}', '"x"'
        assert not await source.refresh()
        assert "v1" in greeting(source.engines)
        assert await redis.get(keys.BOT_BUNDLE) == saved
        api.body = b"<html>not json</html>"
        assert not await source.refresh()
    finally:
        await source.close()


async def test_a_wrong_token_is_not_a_bundle(redis: Redis, api: FakeBundleApi,
                                              tmp_path: Path) -> None:
    dump_pack(make_pack("packaged"), tmp_path)
    source = BundleSource(redis, EngineHolder(), api_url=api.url, token="wrong",
                          default_dir=tmp_path)
    try:
        assert await source.load() == "default"
        assert api.statuses == [401]
    finally:
        await source.close()
