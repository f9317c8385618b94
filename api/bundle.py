"""The bundle the bot downloads: every published flow and the manifest, as ready bytes.

Every bot replica polls it, so a request must cost no database or Redis round
trip: the serialised document and its ETag live in process memory and are
rebuilt only when content changes. A publish in this process rebuilds at once
and announces the new ETag on Redis (``FLOWS_ETAG`` + ``FLOWS_PUBLISHED_CHANNEL``);
other api replicas hear it in :meth:`BundleCache.listen` and rebuild from
PostgreSQL, bots refetch. The ETag is a hash of the content, so every replica
computes the same one for the same published state.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crud.packs import published_content
from handoff import keys

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BundleSnapshot:
    body: bytes
    #: The ETag value without quotes (also the document's ``version``).
    version: str
    #: The ``ETag`` header value.
    etag: str

    @property
    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Cache-Control": "no-cache"}


def serialise(manifest: dict[str, Any], flows: list[dict[str, Any]]) -> BundleSnapshot:
    """``{"version", "manifest", "flows"}`` as compact UTF-8 JSON; version = content hash."""
    content = json.dumps(
        {"manifest": manifest, "flows": flows}, ensure_ascii=False, separators=(",", ":"),
        sort_keys=True,
    ).encode()
    version = hashlib.sha256(content).hexdigest()[:32]
    body = b'{"version":"' + version.encode() + b'",' + content[1:]
    return BundleSnapshot(body=body, version=version, etag=f'"{version}"')


def etag_matches(header: str, snapshot: BundleSnapshot) -> bool:
    """RFC 9110 If-None-Match: ``*``, or any listed (weak or strong) tag equal to ours."""
    if header == snapshot.etag:
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == snapshot.etag:
            return True
    return False


async def load_snapshot(session: AsyncSession) -> BundleSnapshot | None:
    """Build a snapshot from the database; None until a manifest exists."""
    manifest, flows = await published_content(session)
    if manifest is None:
        return None
    return serialise(manifest, flows)


async def announce(redis: Redis, snapshot: BundleSnapshot) -> None:
    """Tell every process: ``FLOWS_ETAG`` holds the new version, and the channel says it."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.FLOWS_ETAG, snapshot.version)
        pipe.publish(keys.FLOWS_PUBLISHED_CHANNEL, snapshot.version)
        await pipe.execute()


class BundleCache:
    """This process's copy of the bundle, kept current by publishes and the Redis channel."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], redis: Redis) -> None:
        self._sessions = sessions
        self._redis = redis
        self._lock = asyncio.Lock()
        self.snapshot: BundleSnapshot | None = None
        #: Set while subscribed to the publish channel.
        self.listening = asyncio.Event()

    async def rebuild(self) -> BundleSnapshot | None:
        """Reload from PostgreSQL; serialised so the last rebuild sees the latest commit."""
        async with self._lock:
            async with self._sessions() as session:
                self.snapshot = await load_snapshot(session)
            return self.snapshot

    async def publish(self) -> BundleSnapshot | None:
        """After content changed here: rebuild, then announce (a Redis failure is logged)."""
        snapshot = await self.rebuild()
        if snapshot is not None:
            try:
                await announce(self._redis, snapshot)
            except (RedisError, OSError) as exc:
                log.warning("bundle %s not announced: %s", snapshot.version, type(exc).__name__)
        return snapshot

    async def listen(self, *, retry_delay: float = 1.0) -> None:
        """Follow the publish channel until cancelled; resubscribe (and resync) after errors."""
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(keys.FLOWS_PUBLISHED_CHANNEL)
                    # Whatever was published before (or while disconnected) is picked up here.
                    await self.rebuild()
                    self.listening.set()
                    while True:
                        # Short reads, not listen(): redis-py's retry can swallow a
                        # cancellation that lands in a blocking read, so check it here.
                        me = asyncio.current_task()
                        if me is not None and me.cancelling():
                            raise asyncio.CancelledError
                        message = await pubsub.get_message(timeout=0.5)
                        if message is None or message.get("type") != "message":
                            continue
                        data = message.get("data")
                        version = data.decode() if isinstance(data, bytes) else str(data)
                        current = self.snapshot.version if self.snapshot else None
                        if version != current:
                            await self.rebuild()
            except (RedisError, OSError, SQLAlchemyError) as exc:
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    raise asyncio.CancelledError from exc
                log.warning("bundle listener: %s; retrying", type(exc).__name__)
                self.listening.clear()
                await asyncio.sleep(retry_delay)
            except Exception as exc:  # noqa: BLE001 - a dead listener would leave this replica stale
                log.error("bundle listener failed: %s; restarting", type(exc).__name__)
                self.listening.clear()
                await asyncio.sleep(retry_delay)
