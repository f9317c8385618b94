"""Running the bot: long polling or a webhook, with the sender and the bundle refresher beside it.

:func:`run_bot` takes resources the composition root built (Redis, the
classifier, optionally the bundle source) and builds the rest: the Bot on
``TELEGRAM_API_URL``, the pseudonymizer and sealers, the Dispatcher. It runs
its tasks until cancelled or ``stop`` is set: updates (polling or webhook),
the outbox sender (the only caller of Telegram's send methods), the bundle
refresher, the relay of the advisor side's messages (bot/relay.py) and the
queue notifier (bot/notifier.py).

Webhook mode verifies ``X-Telegram-Bot-Api-Secret-Token`` on every request
(401 otherwise). The secret is ``WEBHOOK_SECRET``, or derived from
``HOTLINE_SECRET_KEY`` so every replica registers the same one. Start-up
calls to Telegram (setWebhook, setMyCommands) obey a 429's ``retry_after``
and retry network and server errors with backoff: a restart storm must not
crash-loop the bot.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlparse

from redis.asyncio import Redis

from bot.bundle import BundleSource
from bot.engines import EngineHolder
from bot.texts import COMMANDS
from bot.tickets import CHAT_PURPOSE
from bot.understanding import Classifier
from flows.schema import Lang
from handoff.events import TEXT_PURPOSE
from hotline.crypto import Pseudonymizer, Sealer, derive_key
from hotline.settings import BotSettings

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

    from bot.queueing import QueueDesk

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Attempts for each start-up call to Telegram before giving up.
STARTUP_ATTEMPTS = 8
MAX_BACKOFF = 30.0


def webhook_secret(settings: BotSettings) -> str:
    """``WEBHOOK_SECRET``, or one derived from the deployment secret (same on every replica)."""
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    key = derive_key(settings.secret_key.get_secret_value(), "telegram-webhook")
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


async def with_retry(call: Callable[[], Awaitable[T]], what: str, *,
                     attempts: int = STARTUP_ATTEMPTS) -> T:
    """``call()``, waiting out 429s (``retry_after``) and backing off network/5xx errors."""
    from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TelegramRetryAfter as exc:
            if attempt == attempts:
                raise
            log.warning("%s: Telegram asks to wait %d s (attempt %d)", what, exc.retry_after,
                        attempt)
            await asyncio.sleep(exc.retry_after)
        except (TelegramNetworkError, TelegramServerError) as exc:
            if attempt == attempts:
                raise
            delay = min(MAX_BACKOFF, 0.5 * 2 ** attempt)
            log.warning("%s: %s, retrying in %.1f s", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def make_bot(settings: BotSettings) -> Bot:
    """A Bot on ``TELEGRAM_API_URL`` (any Bot API–compatible server)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    if settings.bot_token is None or not settings.bot_token.get_secret_value():
        raise RuntimeError("BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.bot_token.get_secret_value(), session=session)


async def set_commands(bot: Bot) -> None:
    """The command menu in every language, and Russian for everyone else."""
    from aiogram.types import BotCommand

    def commands(lang: Lang) -> list[BotCommand]:
        return [BotCommand(command=name, description=texts[lang]) for name, texts in
                COMMANDS.items()]

    async def set_for(lang: Lang, code: str | None) -> bool:
        return await bot.set_my_commands(commands(lang), language_code=code)

    for lang in Lang:
        await with_retry(lambda lang=lang: set_for(lang, lang.value),  # type: ignore[misc]
                         f"setMyCommands {lang.value}")
    await with_retry(lambda: set_for(Lang.ru, None), "setMyCommands default")


async def run_bot(
    settings: BotSettings,
    *,
    redis: Redis,
    nlu: Classifier,
    bundle_source: BundleSource | None = None,
    webhook: bool = False,
    host: str = "127.0.0.1",
    port: int = 8081,
    stop: asyncio.Event | None = None,
    bot: Bot | None = None,
) -> None:
    """Serve Telegram until cancelled or ``stop`` is set."""
    from bot.app import build_dispatcher, make_desk
    from bot.sender import Sender, SenderConfig

    secret = settings.secret_key.get_secret_value()
    token = settings.api_token.get_secret_value() if settings.api_token else None
    source = bundle_source or BundleSource(redis, EngineHolder(), api_url=settings.api_url,
                                           token=token)
    await source.load()
    bot = bot or make_bot(settings)
    desk = make_desk(redis, settings)
    chat_sealer = Sealer(secret, CHAT_PURPOSE)
    dp = build_dispatcher(
        redis=redis, engines=source.engines, nlu=nlu, pseudonymize=Pseudonymizer(secret),
        text_sealer=Sealer(secret, TEXT_PURPOSE), chat_sealer=chat_sealer,
        settings=settings, desk=desk,
    )
    stop = stop or asyncio.Event()
    background = [asyncio.create_task(
        Sender(bot, redis, SenderConfig.from_settings(settings)).run(), name="sender"),
                  asyncio.create_task(source.run(), name="bundle-refresher"),
                  *handoff_tasks(redis, settings, desk=desk, chat_sealer=chat_sealer)]
    try:
        await set_commands(bot)
        if webhook:
            await _serve_webhook(dp, bot, settings, host=host, port=port, stop=stop)
        else:
            await _poll(dp, bot, stop=stop)
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await source.close()
        await bot.session.close()


def handoff_tasks(redis: Redis, settings: BotSettings, *, desk: QueueDesk | None = None,
                  chat_sealer: Sealer | None = None,
                  stop: asyncio.Event | None = None) -> list[asyncio.Task[None]]:
    """The relay (advisor side → person) and the queue notifier, as tasks to cancel on
    shutdown. Any process that has the secret may run them — the bot, or the web chat's
    host when no Telegram bot runs; replicas share the work through the consumer group."""
    from bot.app import make_desk
    from bot.notifier import QueueNotifier
    from bot.relay import PersonRelay

    secret = settings.secret_key.get_secret_value()
    desk = desk or make_desk(redis, settings)
    chat_sealer = chat_sealer or Sealer(secret, CHAT_PURPOSE)
    relay = PersonRelay(redis, chat_sealer=chat_sealer, desk=desk)
    notifier = QueueNotifier(redis, desk=desk, chat_sealer=chat_sealer,
                             sweep_every=settings.queue_sweep_every,
                             per_second=settings.queue_notes_per_second)
    return [asyncio.create_task(relay.run(stop), name="person-relay"),
            asyncio.create_task(notifier.run(stop), name="queue-notifier")]


async def serve_handoff(redis: Redis, settings: BotSettings,
                        stop: asyncio.Event | None = None) -> None:
    """Run :func:`handoff_tasks` until cancelled or ``stop`` is set (for a web-chat-only host)."""
    tasks = handoff_tasks(redis, settings, stop=stop)
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _poll(dp: Dispatcher, bot: Bot, *, stop: asyncio.Event) -> None:
    # getUpdates is refused while a webhook is set (409), e.g. after switching modes.
    await with_retry(lambda: bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
    watcher = asyncio.create_task(_stop_polling_on(stop, dp))
    try:
        await dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                               allowed_updates=dp.resolve_used_update_types())
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


async def _stop_polling_on(stop: asyncio.Event, dp: Dispatcher) -> None:
    await stop.wait()
    await dp.stop_polling()


async def _serve_webhook(
    dp: Dispatcher, bot: Bot, settings: BotSettings, *, host: str, port: int, stop: asyncio.Event,
) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    if not settings.webhook_url:
        raise RuntimeError("webhook mode needs WEBHOOK_URL")
    secret = webhook_secret(settings)
    path = urlparse(settings.webhook_url).path or "/"
    app = web.Application()
    # Not in the background: Telegram gets its 200 only once the update is handled (and a
    # failure becomes a 500 it retries; the duplicate mark was released for that retry).
    SimpleRequestHandler(dp, bot, secret_token=secret, handle_in_background=False).register(
        app, path=path)
    runner = web.AppRunner(app, access_log=None)  # no request log: it would hold addresses
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await with_retry(lambda: bot.set_webhook(
            settings.webhook_url or "", secret_token=secret, drop_pending_updates=False,
            allowed_updates=dp.resolve_used_update_types()), "setWebhook")
        log.info("webhook serving on %s:%d%s", host, port, path)
        await stop.wait()
    finally:
        await runner.cleanup()
