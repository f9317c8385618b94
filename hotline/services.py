"""The one-shot and long-running commands behind ``hotline``: each resolves settings first.

Kept apart from ``cli.py`` so argument parsing stays cheap and so ``hotline
up`` can reuse the same steps (migrate, import, tokens) in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hotline import heap
from hotline.paths import NLU_DATA
from hotline.runtime import configure_logging, resolved
from hotline.settings import ActionsSettings, ApiSettings, BotSettings, CommonSettings

log = logging.getLogger("hotline")



@dataclass
class Stores:
    """The database and Redis clients one command uses, closed together."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis


@contextlib.asynccontextmanager
async def stores(settings: CommonSettings) -> AsyncIterator[Stores]:
    from api.ops import make_engine, make_sessionmaker

    assert settings.database_url and settings.redis_url, "call inside hotline.runtime.resolved()"
    engine = make_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    try:
        yield Stores(engine, make_sessionmaker(engine), redis)
    finally:
        await redis.aclose()
        await engine.dispose()


def one_shot(command: Callable[[ApiSettings], Awaitable[int]]) -> int:
    """Run one short command against the configured (or embedded) servers; its exit code."""
    settings = ApiSettings()
    with resolved(settings):
        return asyncio.run(command(settings))


def load_nlu(data_dir: Path) -> Any:
    """The language model, from the cache under the data dir (trained first if the data changed)."""
    from nlu.commands import load_parser

    return load_parser(NLU_DATA, data_dir / "nlu")


# Database and content -------------------------------------------------------------


def migrate(*, revision: str = "head", downgrade: str | None = None) -> int:
    from api.ops import downgrade as run_downgrade
    from api.ops import run_migrations

    settings = ApiSettings()
    with resolved(settings):
        assert settings.database_url
        if downgrade is not None:
            run_downgrade(settings.database_url, downgrade)
            print(f"downgraded to {downgrade}")
        else:
            run_migrations(settings.database_url, revision)
            print(f"migrated to {revision}")
    return 0


async def _import(settings: ApiSettings, directory: Path) -> int:
    from api.ops import announce_bundle, import_pack, upgrade_async
    from flows.packio import load_pack
    from flows.problems import PackInvalid

    try:
        pack = load_pack(directory)
    except PackInvalid as exc:
        print(exc, file=sys.stderr)
        return 1
    async with stores(settings) as st:
        await upgrade_async(st.engine)
        async with st.sessions() as session:
            summary = await import_pack(session, pack, actor=None)
            version = await announce_bundle(session, st.redis)
    print(
        f"imported {directory}: {len(summary.created)} created, {len(summary.updated)} updated, "
        f"{len(summary.unchanged)} unchanged; bundle {version}"
    )
    return 0


def import_flows(directory: Path) -> int:
    return one_shot(lambda settings: _import(settings, directory))


async def _export(settings: ApiSettings, directory: Path, published_only: bool) -> int:
    from api.ops import export_pack
    from flows.packio import dump_pack

    async with stores(settings) as st, st.sessions() as session:
        pack = await export_pack(session, published_only=published_only)
    dump_pack(pack, directory, prune=True)
    print(f"exported {len(pack.flows)} flows to {directory}")
    return 0


def export_flows(directory: Path, *, published_only: bool = True) -> int:
    return one_shot(lambda settings: _export(settings, directory, published_only))


# Staff ----------------------------------------------------------------------------


async def _staff_create(settings: ApiSettings, name: str, role: str) -> int:
    from api.errors import Conflict
    from api.ops import create_staff, upgrade_async

    async with stores(settings) as st:
        await upgrade_async(st.engine)
        async with st.sessions() as session:
            try:
                staff, token = await create_staff(session, name=name, role=role)
            except Conflict as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
    print(f"created {staff.role.value} {staff.name!r} (id {staff.id}); the token is shown once:")
    print(token)
    return 0


def staff_create(name: str, role: str) -> int:
    return one_shot(lambda settings: _staff_create(settings, name, role))


async def _staff_revoke(settings: ApiSettings, name: str) -> int:
    from api.errors import Conflict, NotFound
    from api.ops import get_staff_by_name, revoke_staff

    async with stores(settings) as st, st.sessions() as session:
        try:
            staff = await get_staff_by_name(session, name=name)
            await revoke_staff(session, staff_id=staff.id)
        except (Conflict, NotFound) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"revoked {name!r}")
    return 0


def staff_revoke(name: str) -> int:
    return one_shot(lambda settings: _staff_revoke(settings, name))


async def _staff_list(settings: ApiSettings) -> int:
    from api.crud.staff import list_staff

    async with stores(settings) as st, st.sessions() as session:
        rows, _ = await list_staff(session, limit=10_000, offset=0)
    for staff in rows:
        state = "revoked" if staff.revoked_at else "active"
        print(f"{staff.id}\t{staff.name}\t{staff.role.value}\t{state}")
    return 0


def staff_list() -> int:
    return one_shot(_staff_list)


# Long-running processes -----------------------------------------------------------


def make_server(app: object, host: str, port: int) -> Any:
    """A uvicorn server that stops cleanly (exit 0) on SIGINT and SIGTERM.

    uvicorn re-raises a captured signal after shutdown, so the process would
    die "by signal"; here the signals only ask the server to exit.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._ask_to_exit)
            try:
                yield
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

        def _ask_to_exit(self) -> None:
            if self.should_exit:  # a second Ctrl-C: do not wait for open connections
                self.force_exit = True
            self.should_exit = True

    config = uvicorn.Config(
        app, host=host, port=port, http="httptools", loop="none", lifespan="on",
        log_level="warning", access_log=False, proxy_headers=False, server_header=False,
    )
    return Server(config)


async def serve(app: object, host: str, port: int) -> None:
    """Run an ASGI app until SIGINT/SIGTERM."""
    await make_server(app, host, port).serve()


def run_api(*, host: str | None, port: int | None) -> int:
    from api.app import create_app

    settings = ApiSettings()
    configure_logging(settings.log_level)
    with resolved(settings):
        app = create_app(settings)
        run_async(serve(app, host or settings.host, port or settings.port))
    return 0


HEARTBEAT_FILE = "bot.heartbeat"
HEARTBEAT_SECONDS = 10.0
HEARTBEAT_STALE = 60.0


def run_bot(*, webhook: bool, host: str, port: int) -> int:
    from bot.main import run_bot as serve_bot

    settings = BotSettings()
    configure_logging(settings.log_level)
    with resolved(settings):

        async def main() -> None:
            redis = Redis.from_url(settings.redis_url or "")
            beat = asyncio.create_task(_heartbeat(settings.data_dir / HEARTBEAT_FILE))
            try:
                nlu = await asyncio.to_thread(load_nlu, settings.data_dir)
                heap.settle()  # start-up's objects built: see hotline/heap.py
                await serve_bot(settings, redis=redis, nlu=nlu, webhook=webhook, host=host,
                                port=port)
            finally:
                beat.cancel()
                await redis.aclose()

        run_async(main())
    return 0


async def _heartbeat(path: Path) -> None:
    """Touch a file while the bot's event loop runs: the container health check reads it."""
    while True:
        await asyncio.to_thread(path.touch)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def bot_check() -> int:
    """Exit 0 when this container's bot touched its heartbeat recently (docker health check)."""
    import time

    path = CommonSettings().data_dir.expanduser().resolve() / HEARTBEAT_FILE
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print("no heartbeat yet", file=sys.stderr)
        return 1
    if age > HEARTBEAT_STALE:
        print(f"heartbeat is {age:.0f} s old", file=sys.stderr)
        return 1
    return 0


def run_actions(*, host: str | None, port: int | None) -> int:
    from actions.server import run_action_server

    settings = ActionsSettings()
    configure_logging(settings.log_level)
    run_action_server(settings, host=host or settings.host, port=port or settings.port)
    return 0


def run_async(coro: object) -> None:
    """``asyncio.run`` on uvloop when it is installed (uvicorn[standard] brings it)."""
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(coro)  # type: ignore[arg-type]
