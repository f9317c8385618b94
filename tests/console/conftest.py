"""The console under a real browser: the api served by uvicorn, Chromium driven by Playwright.

Each test gets its own server (the real app and lifespan, on the run's
database and the test's Redis, on a free port of 127.0.0.1, in the test's
event loop) and its own browser context (its own cookies); the browser
itself is started once per run. Browser tests are skipped, with the reason,
only where Chromium is not installed (CI installs it).

Every page records the JavaScript errors and Content-Security-Policy
violations it sees; a test fails if there was any, so a script error or a
blocked resource cannot hide behind a scenario that happens to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.console import pages
from handoff import keys
from handoff.events import TEXT_PURPOSE, EventType, emit, message_event
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Priority, TicketRequest
from hotline.crypto import Sealer
from hotline.settings import ApiSettings
from tests.api.conftest import bearer, engine, make_staff, sessions  # noqa: F401  (fixtures)
from tests.api.factories import unique

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SKIP_REASON = ("browser test: Chromium is not installed at /usr/bin/chromium "
               "(apt-get install chromium; CI installs it)")
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM, reason=SKIP_REASON)
SECRET = "console-browser-tests-" + "k" * 40
#: How long a browser expectation may take on a loaded CI machine (not a timing assertion).
EXPECT_MS = 15_000


@pytest.fixture
def settings(database_url: str, redis_url: str) -> ApiSettings:
    return ApiSettings.model_validate({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "HOTLINE_SECRET_KEY": SECRET,
    })


def _paths(app: FastAPI) -> set[str]:
    return {getattr(route, "path", "") for route in app.router.routes}


def mount_console(app: FastAPI) -> FastAPI:
    """Serve the console's page and static files, unless the app already does.

    The console's endpoints and socket are part of ``create_app``; the pages are
    included here until the composition mounts them too (then this is a no-op).
    """
    if pages.PAGE_PATH not in _paths(app):
        app.include_router(pages.router)
    return app


class _Server(uvicorn.Server):
    """uvicorn in the test's event loop: no signal handlers, tells when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    redis: Redis
    queue: HandoffQueue
    sealer: Sealer = field(default_factory=lambda: Sealer(SECRET, TEXT_PURPOSE))

    def http(self, token: str | None = None) -> httpx.AsyncClient:
        """A client of this server (Bearer ``token`` when given), for setup and checks."""
        headers = bearer(token) if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=10)

    async def enqueue(self, *, language: Language = Language.ru,
                      priority: Priority = Priority.normal, reason: str = "asked for a person",
                      intent: str | None = "summons", conversation: str | None = None,
                      chat: str | None = "sealed-chat-ref",
                      waited: dt.timedelta = dt.timedelta(0)) -> str:
        """Queue a ticket as the bot's handoff does (``waited`` ago); returns the ticket id."""
        since = dt.datetime.now(dt.UTC) - waited
        request = TicketRequest(
            id=unique("req"), conversation=conversation or unique("conv").replace(":", "_"),
            language=language, priority=priority, reason=reason, intent=intent, chat=chat,
            flow=intent, created=since)
        result = await self.queue.enqueue(request, now=since.timestamp())
        return result.ticket_id

    async def request_handoff(self, conversation: str, *, language: Language = Language.ru,
                              priority: Priority = Priority.normal,
                              reason: str = "asked for a person") -> str:
        """XADD a ticket on the handoff stream in the bot's shape; the api's intake queues it.

        Returns the ticket's id once it waits in the queue.
        """
        ticket = {"id": uuid.uuid4().hex, "conversation": conversation, "channel": "telegram",
                  "lang": language.value, "intent": "summons", "priority": priority.value,
                  "reason": reason, "flow": "summons", "chat": "sealed-chat-ref",
                  "at": dt.datetime.now(dt.UTC).isoformat()}
        await self.redis.xadd(keys.HANDOFF_STREAM, {"ticket": json.dumps(ticket)})
        for _ in range(1000):  # up to ~10 s: the intake reads the stream
            for waiting in await self.queue.waiting([language]):
                if waiting.conversation == conversation:
                    return waiting.id
            await asyncio.sleep(0.01)
        raise AssertionError("the api's intake did not queue the ticket")

    async def say(self, conversation: str, *lines: tuple[EventType, str],
                  language: str = "ru") -> None:
        """Record messages of a conversation the way the bot does: sealed events on the stream."""
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=len(lines))
        events = [
            message_event(self.sealer, type=kind, conversation=conversation, text=text,
                          lang=language, intent="summons" if kind is EventType.message_in else None,
                          at=start + dt.timedelta(milliseconds=10 * n))
            for n, (kind, text) in enumerate(lines)
        ]
        await emit(self.redis, events)


@pytest.fixture
async def live_server(settings: ApiSettings, engine: AsyncEngine,  # noqa: F811
                      redis: Redis) -> AsyncIterator[LiveServer]:
    app = mount_console(create_app(settings, engine=engine, redis=redis))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, loop="none", lifespan="on",
                            log_level="warning", access_log=False, server_header=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name="console-test-server")
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
    if not server.listening.is_set():
        listening.cancel()
        await task
        raise RuntimeError("the test server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, redis=redis,
                         queue=HandoffQueue(redis))
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip(SKIP_REASON)
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=EXPECT_MS)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@dataclass
class PageProblems:
    """What the page's own script did wrong: uncaught errors and CSP violations."""

    errors: list[str] = field(default_factory=list)

    def record_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.errors.append("CSP: " + message.text)

    def record_error(self, error: Any) -> None:
        self.errors.append("JS: " + str(error))


OpenPage = Callable[..., Awaitable[Any]]


@pytest.fixture
async def open_page(browser: Any, live_server: LiveServer) -> AsyncIterator[OpenPage]:
    """``await open_page()`` → a Playwright page on /console in a fresh context (own cookies)."""
    contexts: list[Any] = []
    problems = PageProblems()

    async def factory(**context_options: Any) -> Any:
        context = await browser.new_context(**context_options)
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(EXPECT_MS)
        page.on("console", problems.record_console)
        page.on("pageerror", problems.record_error)
        await page.goto(live_server.url + pages.PAGE_PATH)
        return page

    yield factory
    for context in contexts:
        await context.close()
    assert problems.errors == []
