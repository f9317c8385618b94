"""Real PostgreSQL and Redis for the whole test run, chosen in one place.

The services this machine runs (127.0.0.1:5432, 127.0.0.1:6379) are used when
they answer — fast, and what CI has. Otherwise, or with
``HOTLINE_TEST_EMBEDDED=1``, the embedded servers are started, as on a fresh
machine. Each run gets its own database and an empty Redis db number, so
parallel runs do not collide.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

LOCAL_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _use_embedded() -> bool:
    return os.environ.get("HOTLINE_TEST_EMBEDDED") == "1"


@pytest.fixture(scope="session")
def embedded_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hl-test-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
async def database_url(embedded_dir: Path) -> AsyncIterator[str]:
    """URL of a fresh, empty database that lives for the whole run."""
    servers = None
    if _use_embedded() or not _port_open(5432):
        from hotline.embedded import EmbeddedServers

        servers = EmbeddedServers(embedded_dir)
        admin_url = servers.start_postgres()
    else:
        admin_url = LOCAL_PG
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")
    yield url
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
    if servers is not None:
        servers.close()


@pytest.fixture(scope="session")
async def redis_url(embedded_dir: Path) -> AsyncIterator[str]:
    """URL of a Redis database that was empty when the run started; flushed afterwards."""
    servers = None
    if _use_embedded() or not _port_open(6379):
        from hotline.embedded import EmbeddedServers

        servers = EmbeddedServers(embedded_dir)
        base = servers.start_redis()
        candidates = [0]
    else:
        base = LOCAL_REDIS
        candidates = random.sample(range(1, 16), 15)
    chosen = None
    for db in candidates:
        url = f"{base}?db={db}" if base.startswith("unix://") else f"{base}/{db}"
        client = aioredis.from_url(url)
        try:
            if await client.dbsize() == 0:
                await client.set("hotline:test:lock", "1")
                chosen = url
                break
        finally:
            await client.aclose()
    if chosen is None:
        pytest.fail("no empty Redis database number is free for this test run")
    yield chosen
    client = aioredis.from_url(chosen)
    await client.flushdb()
    await client.aclose()
    if servers is not None:
        servers.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client on the run's Redis db, emptied before each test (but the run marker)."""
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    await client.set("hotline:test:lock", "1")
    yield client
    await client.aclose()


def pytest_configure(config: pytest.Config) -> None:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells); give it one.
    # It wants a private (0700) directory, or it warns again.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="hl-xdg-"))
    _ = asyncio  # the event loop is pytest-asyncio's (session scope, see pyproject)
