"""``hotline up`` with a bot token: Telegram at its HTTP boundary (a local fake Bot API).

A person writes "как уехать из России?" and then "am I protected?"; the running
system must answer with the leave-the-country flow in Russian and the
protection flow in English — the whole path: long polling, NLU, engine, flows
fetched from the api over HTTP, the outbox and the sender.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.updates import make_message_update
from tests.hotline.test_up import Running

CHAT_RU, CHAT_EN = 7001, 7002


async def _wait_for_text(api: FakeBotAPI, chat_id: int, needle: str, limit: float = 60) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for text in api.texts(chat_id):
            if needle in text:
                return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"no reply containing {needle!r} to {chat_id}: {api.texts(chat_id)}")


async def test_up_answers_on_telegram_in_russian_and_english(tmp_path: Path) -> None:
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        running = Running(tmp_path / "data", tmp_path, {
            "BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_URL": api.base_url,
        })
        try:
            await asyncio.to_thread(running.wait_ready)
            assert "Telegram bot   running" in running.output
            api.push_update(make_message_update(1, CHAT_RU, "как уехать из России?",
                                                language_code="ru"))
            api.push_update(make_message_update(2, CHAT_EN, "am I protected?",
                                                language_code="en"))
            ru = await _wait_for_text(api, CHAT_RU, "Вам уже пришла повестка")
            en = await _wait_for_text(api, CHAT_EN, "Germany decides on protection case by case")
            assert "Has a summons" not in ru and "Защиту" not in en
            # The bot registered its commands in every language.
            languages = {c.params.get("language_code") for c in api.calls("setMyCommands")}
            assert {"ru", "uk", "be", "en", "de"} <= languages
        finally:
            code = await asyncio.to_thread(running.stop)
    assert code == 0, running.output
    # Nothing identifying and no message text in anything the process printed or logged.
    for secret in (str(CHAT_RU), str(CHAT_EN), "как уехать", "am I protected"):
        assert secret not in running.output
