"""The api under test: a migrated database for the run, an app per test, clients with tokens.

The database is migrated once per run; each test builds its own app around
the run's engine and the test's Redis (injected, so they live in the test's
event loop) and runs the real lifespan, then talks to it over ASGI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.crud.staff import create_staff
from api.database import make_engine, make_sessionmaker
from api.migrate import upgrade_async
from api.models import Role, Staff
from hotline.settings import ApiSettings
from tests.api.factories import unique

StaffFactory = Callable[..., Awaitable[tuple[Staff, str]]]


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The run's database, migrated to head once."""
    eng = make_engine(database_url, pool_size=5)
    await upgrade_async(eng)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


@pytest.fixture
def settings(database_url: str, redis_url: str) -> ApiSettings:
    return ApiSettings.model_validate(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "HOTLINE_RUN_QUEUE": False}
    )


@pytest.fixture
async def app(settings: ApiSettings, engine: AsyncEngine, redis: Redis) -> AsyncIterator[FastAPI]:
    application = create_app(settings, engine=engine, redis=redis)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def make_staff(sessions: async_sessionmaker[AsyncSession]) -> StaffFactory:
    """``await make_staff(Role.editor)`` → (staff, token), with a unique name."""

    async def factory(role: Role = Role.editor, name: str | None = None) -> tuple[Staff, str]:
        async with sessions() as s:
            return await create_staff(s, name=name or unique(role.value), role=role)

    return factory


async def eventually(predicate: Callable[[], bool], *, tries: int = 1000) -> None:
    """Wait for something another task does (a pub/sub message arriving), up to ~10 s."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin(make_staff: StaffFactory) -> dict[str, str]:
    _, token = await make_staff(Role.admin)
    return bearer(token)
