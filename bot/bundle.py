"""The flows the bot runs: fetched from the knowledge service, kept current, never missing.

- At start-up: the api's bundle (``GET /api/v1/bundle`` with the service
  token); if the api is down, the last good bundle this deployment saved in
  Redis (:data:`handoff.keys.BOT_BUNDLE`); only if neither exists, the
  packaged default content — logged loudly, because that content may be older
  than what editors published.
- While running: the api announces every publish on
  :data:`handoff.keys.FLOWS_PUBLISHED_CHANNEL`; the bot refetches at once
  (well within a second), with ``If-None-Match`` so an unchanged bundle costs
  a 304. A slow poll catches publishes missed while Redis or the api was away.
- Every bundle fetched is saved in Redis (body and ETag in one transaction)
  before it is used, so the next replica to start can run without the api.

A bundle that does not parse as a pack is refused and the current one kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.engines import EngineHolder
from flows.packio import load_pack
from flows.problems import PackInvalid
from flows.schema import Pack
from handoff import keys

log = logging.getLogger(__name__)

BUNDLE_PATH = "/api/v1/bundle"
DEFAULT_CONTENT = Path(__file__).resolve().parent.parent / "flows" / "content"


class NoBundleError(RuntimeError):
    """Neither the api, nor Redis, nor the packaged content gave a usable bundle."""


def _version(etag: str) -> str:
    """The bundle version inside an ETag header value (``"abc"`` or ``W/"abc"`` → ``abc``)."""
    return etag.removeprefix("W/").strip('"')


def parse_bundle(body: bytes | str) -> tuple[Pack, str | None]:
    """The pack in a bundle document and its ``version``; raises ``ValueError`` if it is not one."""
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError("a bundle is a JSON object")
    version = doc.pop("version", None)
    return Pack.model_validate(doc), version if isinstance(version, str) else None


class BundleSource:
    """Loads bundles into an :class:`EngineHolder` and keeps it current."""

    def __init__(
        self,
        redis: Redis,
        engines: EngineHolder,
        *,
        api_url: str,
        token: str | None,
        default_dir: Path = DEFAULT_CONTENT,
        http: httpx.AsyncClient | None = None,
        poll_interval: float = 60.0,
        timeout: float = 5.0,
    ) -> None:
        self._redis = redis
        self._engines = engines
        self._url = api_url.rstrip("/") + BUNDLE_PATH
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._default_dir = default_dir
        self._http = http
        self._own_http = http is None
        self._poll_interval = poll_interval
        self._timeout = timeout
        self._etag: str | None = None
        self._lock = asyncio.Lock()
        #: Set while subscribed to the publish channel (tests wait for it).
        self.listening = asyncio.Event()

    @property
    def engines(self) -> EngineHolder:
        return self._engines

    @property
    def etag(self) -> str | None:
        return self._etag

    async def close(self) -> None:
        if self._http is not None and self._own_http:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout)
        return self._http

    async def load(self) -> str:
        """Install the first bundle: api, else the Redis copy, else the packaged content."""
        if await self.refresh():
            return "api"
        if await self._from_redis():
            return "redis"
        try:
            pack = await asyncio.to_thread(load_pack, self._default_dir)
        except (PackInvalid, OSError, ValidationError) as exc:
            raise NoBundleError(f"no bundle from the api, Redis or {self._default_dir}") from exc
        log.warning("running on the packaged default content: the api and the Redis copy are "
                    "unavailable; published flows will replace it when the api answers")
        self._engines.install(pack, version="default", source="default")
        return "default"

    async def refresh(self) -> bool:
        """Fetch from the api; True when a bundle (new or unchanged) is installed from it."""
        async with self._lock:
            headers = dict(self._headers)
            if self._etag is not None and self._engines.ready:
                headers["If-None-Match"] = self._etag
            try:
                response = await self._client().get(self._url, headers=headers)
            except httpx.HTTPError as exc:
                log.warning("bundle not fetched: %s", type(exc).__name__)
                return False
            if response.status_code == 304:
                return True
            if response.status_code != 200:
                log.warning("bundle not fetched: HTTP %d", response.status_code)
                return False
            try:
                pack, version = parse_bundle(response.content)
            except (ValueError, ValidationError) as exc:
                log.error("bundle refused, keeping the current one: %s", type(exc).__name__)
                return False
            etag = response.headers.get("etag") or (f'"{version}"' if version else None)
            await self._save(response.content, etag)
            self._install(pack, etag, "api")
            return True

    async def _save(self, body: bytes, etag: str | None) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(keys.BOT_BUNDLE, body)
                pipe.set(keys.BOT_BUNDLE_ETAG, etag or "")
                await pipe.execute()
        except RedisError as exc:
            log.warning("bundle not saved in Redis: %s", type(exc).__name__)

    async def _from_redis(self) -> bool:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(keys.BOT_BUNDLE)
                pipe.get(keys.BOT_BUNDLE_ETAG)
                body, etag = await pipe.execute()
        except RedisError as exc:
            log.warning("no bundle from Redis: %s", type(exc).__name__)
            return False
        if not body:
            return False
        try:
            pack, version = parse_bundle(body)
        except (ValueError, ValidationError):
            log.error("the bundle saved in Redis is unreadable")
            return False
        tag = etag.decode() if isinstance(etag, bytes) and etag else (
            f'"{version}"' if version else None)
        log.warning("the api is unavailable: running on the last good bundle from Redis")
        self._install(pack, tag, "redis")
        return True

    def _install(self, pack: Pack, etag: str | None, source: str) -> None:
        if etag == self._etag and self._engines.ready and source != "redis":
            return
        self._etag = etag
        self._engines.install(pack, version=_version(etag) if etag else "unknown", source=source)

    async def run(self, *, retry_delay: float = 1.0) -> None:
        """Follow publishes until cancelled: the channel at once, a slow poll as a safety net."""
        poller = asyncio.create_task(self._poll())
        try:
            while True:
                try:
                    async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                        await pubsub.subscribe(keys.FLOWS_PUBLISHED_CHANNEL)
                        self.listening.set()
                        await self._catch_up()
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                data = message.get("data")
                                version = data.decode() if isinstance(data, bytes) else str(data)
                                if self._etag is None or version != _version(self._etag):
                                    await self.refresh()
                except (RedisError, OSError) as exc:
                    self.listening.clear()
                    log.warning("bundle listener: %s; resubscribing", type(exc).__name__)
                    await asyncio.sleep(retry_delay)
        finally:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)

    async def _catch_up(self) -> None:
        """After (re)subscribing: refetch if the published version is not ours."""
        published = await self._redis.get(keys.FLOWS_ETAG)
        current = _version(self._etag) if self._etag else None
        if published is not None and published.decode() != current:
            await self.refresh()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            await self.refresh()
