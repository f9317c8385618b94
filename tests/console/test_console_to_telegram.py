"""From the advisor's browser to the person's Telegram chat, through the bot's real relay.

The api writes what the advisor says on the relay stream; here the bot's own
relay (``bot.main.handoff_tasks``: the person relay and the queue notifier)
and its outbox sender deliver it to a fake Telegram Bot API
(tests/fakes/bot_api.py). The person sees the service's name, never the
advisor's, and the advisor's words as typed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect
from redis.asyncio import Redis

from api.models import Role
from bot.conversation import Conversation
from bot.main import handoff_tasks
from bot.texts import T, text
from bot.tickets import CHAT_PURPOSE
from flows.schema import Lang
from handoff import keys
from hotline.crypto import Sealer
from hotline.settings import BotSettings
from tests.api.conftest import StaffFactory
from tests.api.factories import unique
from tests.console.conftest import SECRET, LiveServer, OpenPage, needs_chromium
from tests.console.ui import go_online, log_in, waiting
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.sender_harness import eventually, running_sender

pytestmark = needs_chromium

CHAT_ID = 4_242_001
SERVICE = "Hotline"


@pytest.fixture
async def telegram(redis: Redis, redis_url: str) -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API, the bot's outbox sender, and the bot's relay, all running."""
    settings = BotSettings.model_validate({
        "REDIS_URL": redis_url, "HOTLINE_SECRET_KEY": SECRET, "HOTLINE_SERVICE_NAME": SERVICE})
    async with FakeBotAPI(per_chat_rate=None) as api:
        bot = api.make_bot()
        tasks = handoff_tasks(redis, settings)
        try:
            async with running_sender(bot, redis):
                yield api
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bot.session.close()


async def test_the_advisors_words_reach_the_person_in_telegram(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory, telegram: FakeBotAPI,
    redis: Redis,
) -> None:
    advisor, token = await make_staff(Role.advisor)
    conversation = unique("conv").replace(":", "_")
    # The person talked to the bot first: their record (language, privacy choices) exists.
    await redis.set(keys.bot_conversation(conversation), Conversation().dump(), ex=3600)
    sealed_chat = Sealer(SECRET, CHAT_PURPOSE).seal(str(CHAT_ID), context=conversation)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "ru")
    ticket = await live_server.enqueue(conversation=conversation, chat=sealed_chat)
    await waiting(page, ticket).get_by_role("button", name=re.compile("^Claim")).click()
    await expect(page.locator("#chat-body")).to_be_visible()

    def texts() -> list[str]:
        return telegram.texts(CHAT_ID)

    claimed = text(T.relay_claimed, Lang.ru, service=SERVICE)
    await eventually(lambda: claimed in texts())

    words = "Здравствуйте. <b>Не</b> волнуйтесь, вот что можно сделать."
    await page.get_by_label("Reply to the person").fill(words)
    await page.get_by_label("Reply to the person").press("Control+Enter")
    delivered = text(T.relay_advisor, Lang.ru, service=SERVICE) + "\n" + words
    await eventually(lambda: delivered in texts())
    reply: Any = next(c for c in telegram.sent if c.params.get("text") == delivered)
    assert str(reply.params.get("protect_content")).lower() == "true"
    assert "parse_mode" not in reply.params  # the advisor's "<b>" stays two characters

    await page.get_by_label("Outcome").select_option("resolved")
    await page.get_by_role("button", name="Close chat").click()
    await expect(page.locator("#chat-body")).to_be_hidden()
    closed = text(T.relay_closed, Lang.ru)
    await eventually(lambda: closed in texts())
    await eventually(lambda: any("inline_keyboard" in str(c.params.get("reply_markup", ""))
                                 for c in telegram.calls("sendMessage")))
    # Everything the person got names the service, never the advisor.
    assert all(advisor.name not in t for t in texts())
