"""The whole bot process against the fake Bot API: long polling, webhook, start-up 429s.

Here the real sender runs too, so a reply counts only once Telegram (the
fake) accepted the sendMessage.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.bundle import BundleSource
from bot.engines import EngineHolder
from bot.main import run_bot, webhook_secret
from bot.texts import COMMANDS
from flows.packio import dump_pack
from nlu.parser import NluParser
from tests.bot.conftest import bot_settings
from tests.bot.pack import make_pack, menu_labels
from tests.fakes import FakeBotAPI, SentCall, make_message_update

CHAT = 6001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def button_labels(call: SentCall) -> list[str]:
    """The labels of the inline keyboard a sendMessage carried."""
    rows = (call.reply_markup or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def eventually(check: Callable[[], bool], *, seconds: float = 20.0) -> None:
    """Wait for ``check`` (a generous bound, not a timing assertion)."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


@asynccontextmanager
async def running_bot(redis: Redis, nlu: NluParser, api: FakeBotAPI, tmp_path: Path,
                      **options: object) -> AsyncIterator[asyncio.Event]:
    dump_pack(make_pack(), tmp_path / "content")
    settings = bot_settings(TELEGRAM_API_URL=api.base_url, API_URL=f"http://127.0.0.1:{free_port()}",
                            **{k: v for k, v in options.items() if k.isupper()})
    source = BundleSource(redis, EngineHolder(), api_url=settings.api_url, token=None,
                          default_dir=tmp_path / "content", timeout=1)
    stop = asyncio.Event()
    kwargs = {k: v for k, v in options.items() if not k.isupper()}
    task = asyncio.create_task(run_bot(settings, redis=redis, nlu=nlu, bundle_source=source,
                                       stop=stop, **kwargs))  # type: ignore[arg-type]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_long_polling_answers_through_the_sender(
    redis: Redis, nlu: NluParser, tmp_path: Path,
) -> None:
    async with FakeBotAPI() as api, running_bot(redis, nlu, api, tmp_path):
        api.push_update(make_message_update(1, CHAT, "/start", language_code="en"))
        await eventually(lambda: len(api.texts(CHAT)) >= 1)
        # the greeting and the menu are one message, the menu's buttons under it
        assert api.texts(CHAT) == ["[greet/hello en]\n\n[ui menu_prompt en]"]
        assert button_labels(api.calls("sendMessage")[-1]) == menu_labels("en")
        # the command menu was registered in every language and as the default
        scopes = sorted(str(c.params.get("language_code")) for c in api.calls("setMyCommands"))
        assert scopes == sorted(["ru", "uk", "be", "en", "de", "None"])
        names = [c["command"] for c in api.calls("setMyCommands")[0].params["commands"]]
        assert names == list(COMMANDS)


async def test_webhook_rejects_a_wrong_secret_and_serves_the_right_one(
    redis: Redis, nlu: NluParser, tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with FakeBotAPI() as api, running_bot(redis, nlu, api, tmp_path, webhook=True,
                                                 port=port, WEBHOOK_URL=url):
        await eventually(lambda: bool(api.state.webhook_url))
        assert api.state.webhook_url == url
        secret = api.state.webhook_secret
        assert secret == webhook_secret(bot_settings())  # derived, the same on every replica
        update = make_message_update(2, CHAT, "/start")
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
        await asyncio.sleep(0.2)
        assert api.texts(CHAT) == []
        api.push_update(update)  # the fake posts it with the registered secret
        await eventually(lambda: len(api.texts(CHAT)) >= 1)
        assert api.webhook_deliveries == [200]
        assert api.texts(CHAT) == ["[greet/hello ru]\n\n[ui menu_prompt ru]"]
        assert button_labels(api.calls("sendMessage")[-1]) == menu_labels("ru")


async def test_a_429_on_set_webhook_at_start_up_is_waited_out(
    redis: Redis, nlu: NluParser, tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with FakeBotAPI() as api:
        api.fail_next("setWebhook", 429, retry_after=1)
        api.fail_next("setMyCommands", 429, retry_after=1)
        async with running_bot(redis, nlu, api, tmp_path, webhook=True, port=port,
                               WEBHOOK_URL=url, WEBHOOK_SECRET="configured-secret_1"):
            await eventually(lambda: bool(api.state.webhook_url))
            assert api.too_many_requests == 2
            assert api.state.webhook_secret == "configured-secret_1"
            api.push_update(make_message_update(3, CHAT, "/menu"))
            await eventually(lambda: bool(api.texts(CHAT)))
            assert api.texts(CHAT) == ["[ui menu_prompt ru]"]
