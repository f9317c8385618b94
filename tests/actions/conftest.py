"""The action server under test, on a real socket, in front of the real api.

The api is the real FastAPI app on the run's PostgreSQL and the test's Redis,
with the default content pack imported and published, reached by the
actions' httpx client through ASGI. The action server is the real Sanic app
served on a random 127.0.0.1 port in the test's event loop; tests post Rasa's
webhook calls to it over HTTP.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sanic import Sanic
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from actions.server import create_action_app
from api.app import create_app
from api.models import Role
from api.ops import import_pack
from flows.engine import Engine
from flows.packio import load_pack
from flows.schema import Pack
from hotline.settings import ActionsSettings, ApiSettings
from tests.api import conftest as api_fixtures
from tests.api.conftest import StaffFactory

# The api tests' fixtures, shared rather than copied: the run's migrated database and staff.
engine = api_fixtures.engine
sessions = api_fixtures.sessions
make_staff = api_fixtures.make_staff

CONTENT = Path(__file__).resolve().parents[2] / "flows" / "content"
SECRET = "actions-test-secret-" + "k" * 40
API_BASE = "http://api.test"


@pytest.fixture(scope="session")
def default_pack() -> Pack:
    return load_pack(CONTENT)


@pytest.fixture(scope="session")
async def published(sessions: async_sessionmaker[AsyncSession], default_pack: Pack) -> Pack:
    """The default content, imported and published in the run's database."""
    async with sessions() as session:
        await import_pack(session, default_pack, actor=None)
    return default_pack


@pytest.fixture
def local_engine(published: Pack) -> Engine:
    """An engine on the same content, to compute what the action server should say."""
    return Engine(published)


@pytest.fixture
async def api_app(
    database_url: str, redis_url: str, engine: AsyncEngine, redis: Redis, published: Pack,
) -> AsyncIterator[FastAPI]:
    # The queue's workers stay off: these tests read the ticket stream the action wrote.
    settings = ApiSettings.model_validate({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                                           "HOTLINE_RUN_QUEUE": False})
    application = create_app(settings, engine=engine, redis=redis)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def service_token(make_staff: StaffFactory) -> str:
    _, token = await make_staff(Role.service)
    return token


@pytest.fixture
def actions_settings(service_token: str) -> ActionsSettings:
    return ActionsSettings.model_validate({
        "API_URL": API_BASE, "HOTLINE_API_TOKEN": service_token, "HOTLINE_SECRET_KEY": SECRET,
    })


@pytest.fixture
async def api_http(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The actions' HTTP client, wired to the real api in-process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app)) as client:
        yield client


@pytest.fixture
def free_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def serving(app: Sanic) -> AsyncIterator[str]:
    """Serve ``app`` with Sanic's own server on a random loopback port; yield its base URL."""
    # TouchUp rewrites Sanic's classes in place on start-up, which a second app in the same
    # process cannot redo; it is only a speed-up.
    app.config.TOUCHUP = False
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, access_log=False, return_asyncio_server=True)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await server.before_stop()
            await server.close()
            await server.after_stop()


ActionServerFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def action_server() -> ActionServerFactory:
    """``async with action_server(settings, http_client=...) as client:`` posts to a live server."""

    @contextlib.asynccontextmanager
    async def start(
        settings: ActionsSettings, **kwargs: object,
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_action_app(settings, **kwargs)  # type: ignore[arg-type]
        try:
            async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
                yield client
        finally:
            Sanic.unregister_app(app)

    return start


@pytest.fixture
async def actions_client(
    action_server: ActionServerFactory, actions_settings: ActionsSettings,
    api_http: httpx.AsyncClient,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an action server whose api is the real, healthy api."""
    async with action_server(actions_settings, http_client=api_http) as client:
        yield client
