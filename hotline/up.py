"""``hotline up``: the whole system in one process, for one machine.

Order matters: servers, migrations, content, tokens, the language model, and
only then the listeners, so the first request already finds everything. The
first admin token is printed exactly once (on the start that creates it); the
in-process bot's own ``service`` token is kept in the data dir (mode 0600),
never printed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from hotline import heap
from hotline.paths import DEFAULT_CONTENT
from hotline.runtime import configure_logging, resolved
from hotline.services import Stores, load_nlu, make_server, stores
from hotline.settings import ApiSettings, BotSettings

log = logging.getLogger("hotline.up")

SERVICE_TOKEN_FILE = "service.token"


def say(line: str = "") -> None:
    print(line, flush=True)


async def prepare_database(st: Stores) -> str | None:
    """Migrate, import the default content into an empty database, create the first admin.

    Returns the new admin token when this start created the first admin.
    """
    from sqlalchemy import exists, select

    from api.models import Role, Staff
    from api.ops import announce_bundle, create_staff, has_content, import_pack, upgrade_async
    from flows.packio import load_pack

    await upgrade_async(st.engine)
    async with st.sessions() as session:
        if not await has_content(session):
            summary = await import_pack(session, load_pack(DEFAULT_CONTENT), actor=None)
            say(f"imported the default content: {len(summary.created)} flows (needs review!)")
        await announce_bundle(session, st.redis)
        has_admin = await session.scalar(
            select(exists().where(Staff.role == Role.admin, Staff.revoked_at.is_(None)))
        )
        if has_admin:
            return None
        _, token = await create_staff(session, name="admin", role=Role.admin)
        return token


async def service_token(st: Stores, data_dir: Path) -> str:
    """The in-process bot's token: reused while valid, else a fresh ``service`` account."""
    import secrets

    from api.auth import hash_token
    from api.crud.staff import principal_for_hash
    from api.models import Role
    from api.ops import create_staff

    path = data_dir / SERVICE_TOKEN_FILE
    async with st.sessions() as session:
        if path.exists():
            token = path.read_text().strip()
            if await principal_for_hash(session, digest=hash_token(token)) is not None:
                return token
        _, token = await create_staff(
            session, name=f"local-bot-{secrets.token_hex(3)}", role=Role.service
        )
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


async def run_up(*, host: str, port: int, with_bot: bool) -> int:
    settings = ApiSettings()
    configure_logging(settings.log_level)
    with resolved(settings):
        say(f"data: {settings.data_dir}")
        say(f"PostgreSQL: {_redact(settings.database_url)}")
        say(f"Redis: {_redact(settings.redis_url)}")
        async with stores(settings) as st:
            admin_token = await prepare_database(st)
            token = await service_token(st, settings.data_dir)
            nlu = await asyncio.to_thread(load_nlu, settings.data_dir)
            heap.settle()  # start-up's objects built: see hotline/heap.py
            bot_settings = _bot_settings(settings, token, port)
            source = await _bundle_source(bot_settings, st)
            app = compose_app(settings, bot_settings, st, nlu=nlu, source=source)
            server = make_server(app, host, port)
            with_bot = with_bot and bot_settings.bot_token is not None
            background = [asyncio.create_task(
                _after_start(server, bot_settings, st, nlu, source, with_bot), name="after-start")]
            _announce(host, port, admin_token, bot_running=with_bot)
            try:
                await server.serve()
            finally:
                for task in background:
                    task.cancel()
                await asyncio.gather(*background, return_exceptions=True)
                await source.close()
        say("stopped.")
    return 0


async def _bundle_source(settings: BotSettings, st: Stores) -> Any:
    """The published flows for the web chat and the bot, over HTTP like any replica.

    The api is not listening yet, so the first load comes from the Redis copy
    (or the packaged content on a first start); ``_after_start`` refreshes it.
    """
    from bot.bundle import BundleSource
    from bot.engines import EngineHolder

    token = settings.api_token.get_secret_value() if settings.api_token else None
    source = BundleSource(st.redis, EngineHolder(), api_url=settings.api_url, token=token)
    await source.load()
    return source


async def _after_start(
    server: Any, settings: BotSettings, st: Stores, nlu: Any, source: Any, with_bot: bool
) -> None:
    """Once the api listens: fetch the published bundle, then follow publishes (and run the bot)."""
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.05)
    await source.refresh()
    from bot.main import run_bot, serve_handoff

    if not with_bot:
        # No Telegram bot: the web chat still needs the advisors' messages and queue news.
        await asyncio.gather(source.run(), serve_handoff(st.redis, settings))
        return
    try:
        await run_bot(settings, redis=st.redis, nlu=nlu, bundle_source=source)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the bot stopped; the api and the web chat keep running")
        await asyncio.gather(source.run(), serve_handoff(st.redis, settings))


def compose_app(
    settings: ApiSettings, bot_settings: BotSettings, st: Stores, *, nlu: Any, source: Any
) -> Any:
    """The api with the web chat (and, when present, the console) mounted on the same port."""
    from api.app import create_app
    from bot.app import make_desk
    from bot.webchat import create_webchat_app
    from handoff.events import TEXT_PURPOSE
    from hotline.crypto import Pseudonymizer, Sealer

    app = create_app(settings, engine=st.engine, redis=st.redis)
    secret = bot_settings.secret_key.get_secret_value()
    app.mount("/chat", create_webchat_app(
        redis=st.redis, nlu=nlu, engines=source.engines, pseudonymize=Pseudonymizer(secret),
        text_sealer=Sealer(secret, TEXT_PURPOSE), desk=make_desk(st.redis, bot_settings),
    ))
    return app


def _bot_settings(settings: ApiSettings, token: str, port: int) -> BotSettings:
    from pydantic import SecretStr

    bot = BotSettings()
    bot.database_url, bot.redis_url = settings.database_url, settings.redis_url
    bot.data_dir, bot.secret_key = settings.data_dir, settings.secret_key
    bot.api_url = f"http://127.0.0.1:{port}"
    if bot.api_token is None:
        bot.api_token = SecretStr(token)
    return bot


def _announce(host: str, port: int, admin_token: str | None, *, bot_running: bool) -> None:
    base = f"http://{host}:{port}"
    say()
    say(f"Hotline is up: {base}")
    say(f"  API docs       {base}/docs")
    say(f"  advisor console {base}/console")
    say(f"  web chat       {base}/chat/")
    say(f"  health         {base}/healthz")
    say(f"  Telegram bot   {'running' if bot_running else 'off (set BOT_TOKEN to start it)'}")
    if admin_token:
        say()
        say("First admin token (shown once, keep it safe):")
        say(admin_token)
    say()
    say("Press Ctrl-C to stop.")
    sys.stdout.flush()


def _redact(url: str | None) -> str:
    """Show where a server is without its password."""
    if not url:
        return "-"
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        rest = f"{user}:***@{host}" if ":" in creds else f"{user}@{host}"
    return scheme + sep + rest
