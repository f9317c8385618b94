"""The FastAPI application: ``create_app(settings)`` builds it; the lifespan builds its resources.

Nothing is created at import. Tests and the composition root may inject an
engine and a Redis client (they then own them); otherwise the lifespan makes
them from ``settings`` and disposes of them on shutdown. The lifespan also
loads the bundle into memory and starts the listener that keeps it current
when another replica publishes, and (``HOTLINE_RECORD_EVENTS``, on by default)
the conversation recorder and the retention job. The advisor console's live
hub always runs; ``HOTLINE_RUN_QUEUE`` (on by default) adds the queue's
workers: ticket intake, overdue alerts, the reaper, closures and satisfaction
answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

from fastapi import FastAPI
from redis.asyncio import ConnectionPool, Redis
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

import api
from api import handlers
from api.auth import Principal, TokenCache
from api.bundle import BundleCache
from api.console import workers
from api.console.deps import Console
from api.console.live import LiveHub
from api.console.service import ConsoleService
from api.crud.staff import principal_for_hash
from api.database import make_engine, make_sessionmaker
from api.deps import Resources
from api.fastpath import BundleFastPath
from api.metrics import Metrics, MetricsMiddleware
from api.record.consumer import EventRecorder
from api.record.retention import retention_loop
from api.routes import include_all
from handoff.advisors import Advisors
from handoff.events import TEXT_PURPOSE
from handoff.intake import TicketIntake
from handoff.queue import HandoffQueue
from handoff.watch import QueueWatch
from hotline.crypto import Sealer
from hotline.settings import ApiSettings

DESCRIPTION = """\
The Hotline knowledge service: flows and their versions, review and publishing,
the bundle the bot reads, staff and the audit log.

Every endpoint under `/api/v1` needs `Authorization: Bearer <token>`.
"""


def create_app(
    settings: ApiSettings, *, engine: AsyncEngine | None = None, redis: Redis | None = None
) -> FastAPI:
    """The api as an ASGI app; ``engine``/``redis`` given here are used as they are, not closed."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            db = engine
            if db is None:
                if not settings.database_url:
                    raise RuntimeError("DATABASE_URL is not set (the CLI fills it in)")
                db = make_engine(settings.database_url)
                stack.push_async_callback(db.dispose)
            rd = redis
            if rd is None:
                if not settings.redis_url:
                    raise RuntimeError("REDIS_URL is not set (the CLI fills it in)")
                rd = Redis.from_url(settings.redis_url)
                stack.push_async_callback(rd.aclose)  # type: ignore[attr-defined]  # stale stubs
            sessions = make_sessionmaker(db)

            async def lookup(digest: str) -> Principal | None:
                async with sessions() as session:
                    return await principal_for_hash(session, digest=digest)

            bundle = BundleCache(sessions, rd)
            try:
                await bundle.rebuild()
            except ProgrammingError as exc:
                raise RuntimeError(
                    "the database schema is missing or old: run `hotline migrate`"
                ) from exc
            app.state.resources = Resources(
                settings=settings, engine=db, sessions=sessions, redis=rd, bundle=bundle,
                tokens=TokenCache(lookup),
            )
            queue = HandoffQueue(rd)
            service = ConsoleService(
                rd, queue, Advisors(rd), QueueWatch(rd),
                Sealer(settings.secret_key.get_secret_value(), TEXT_PURPOSE))
            hub = LiveHub(rd, service, sessions)
            app.state.console = Console(service=service, hub=hub)
            tasks = [asyncio.create_task(bundle.listen(), name="bundle-listener"),
                     asyncio.create_task(hub.run(), name="console-hub")]
            blocking: Redis | None = None
            if settings.record_events or settings.run_queue:
                # Its own pool: cancelling a blocking XREADGROUP leaves that connection
                # unusable, and closing this pool at shutdown closes it (not a shared one).
                pool = ConnectionPool(connection_class=rd.connection_pool.connection_class,
                                      **rd.connection_pool.connection_kwargs)
                stack.push_async_callback(pool.disconnect)
                blocking = Redis(connection_pool=pool)
            if settings.run_queue and blocking is not None:
                tasks += [
                    asyncio.create_task(TicketIntake(blocking, queue).run(),
                                        name="ticket-intake"),
                    asyncio.create_task(workers.overdue_loop(service.watch, rd),
                                        name="overdue-alerts"),
                    asyncio.create_task(workers.reaper_loop(service), name="advisor-reaper"),
                    asyncio.create_task(workers.FeedbackRecorder(blocking, sessions).run(),
                                        name="feedback"),
                    asyncio.create_task(workers.ClosureRecorder(blocking, sessions).run(),
                                        name="closures"),
                ]
            if settings.record_events and blocking is not None:
                retention = dt.timedelta(days=settings.retention_days)
                recorder = EventRecorder(blocking, db, retention=retention)
                tasks.append(asyncio.create_task(recorder.run(), name="event-recorder"))
                tasks.append(asyncio.create_task(
                    retention_loop(sessions, retention_days=settings.retention_days),
                    name="retention"))
                tasks.append(asyncio.create_task(
                    workers.notes_retention_loop(sessions,
                                                 retention_days=settings.retention_days),
                    name="notes-retention"))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = FastAPI(
        title="Hotline knowledge service",
        version=api.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    metrics = Metrics()
    app.state.metrics = metrics
    # Added last = outermost: metrics see the fast path's requests too.
    app.add_middleware(BundleFastPath)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    handlers.install(app)
    include_all(app)
    return app
