"""The bot's real Dispatcher on a real Redis, with Telegram faked at its HTTP boundary.

``bot_env`` builds everything the way ``bot.main`` does — engine holder with
the test pack, the real NLU parser, pseudonymizer and sealers — and feeds
updates through ``dp.feed_update``. Replies are read from the outbox stream
(what the sender would send); the end-to-end tests run the real sender
against the fake Bot API.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.engines import EngineHolder
from bot.tickets import CHAT_PURPOSE
from handoff import keys
from handoff.events import TEXT_PURPOSE, ConversationEvent
from hotline.crypto import Pseudonymizer, Sealer
from hotline.settings import BotSettings
from nlu.parser import NluParser
from tests.bot.pack import make_pack
from tests.fakes import DEFAULT_TOKEN, FakeBotAPI

SECRET = "bot-tests-" + "k" * 40
NLU_DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"


@pytest.fixture(scope="session")
def nlu() -> NluParser:
    """The real parser, trained once per data version and cached across runs."""
    cache = Path(tempfile.gettempdir()) / "hotline-test-nlu"
    return NluParser.load_or_train(NLU_DATA, cache)


def bot_settings(**extra: Any) -> BotSettings:
    values = {"BOT_TOKEN": DEFAULT_TOKEN, "HOTLINE_SECRET_KEY": SECRET, **extra}
    return BotSettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Reply:
    chat_id: int
    method: str
    text: str | None
    buttons: list[tuple[str, str]]
    protect: bool
    delete_after: int | None
    id: str

    def data(self, label_part: str) -> str:
        """The callback data of the first button whose label contains ``label_part``."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button {label_part!r} in {[b[0] for b in self.buttons]}")


@dataclass
class BotEnv:
    api: FakeBotAPI
    bot: Any
    dp: Any
    redis: Redis
    engines: EngineHolder
    settings: BotSettings
    pseudonymize: Pseudonymizer
    text_sealer: Sealer
    chat_sealer: Sealer
    _outbox_seen: int = 0
    _events_seen: int = 0
    update_id: int = 1000
    results: list[Any] = field(default_factory=list)

    def next_id(self) -> int:
        self.update_id += 1
        return self.update_id

    async def feed(self, update: dict[str, Any]) -> Any:
        from aiogram.types import Update

        result = await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot}))
        self.results.append(result)
        return result

    async def outbox(self) -> list[Reply]:
        entries = await self.redis.xrange(keys.OUTBOX_STREAM)
        replies = []
        for _, fields in entries:
            data = json.loads(fields[b"data"])
            markup = data.get("reply_markup") or {}
            buttons = [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", [])
                       for b in row]
            replies.append(Reply(int(fields[b"chat"]), data.get("method", "sendMessage"),
                                 data.get("text"), buttons, data.get("protect_content", False),
                                 data.get("delete_after"), fields[b"id"].decode()))
        return replies

    async def take(self) -> list[Reply]:
        """Outbox entries queued since the last call."""
        everything = await self.outbox()
        new = everything[self._outbox_seen:]
        self._outbox_seen = len(everything)
        return new

    async def texts(self) -> list[str]:
        return [r.text or "" for r in await self.take()]

    async def events(self) -> list[ConversationEvent]:
        entries = await self.redis.xrange(keys.EVENTS_STREAM)
        events = [ConversationEvent.from_fields(f) for _, f in entries]
        new = events[self._events_seen:]
        self._events_seen = len(events)
        return new

    def pseudonym(self, user_id: int) -> str:
        return self.pseudonymize("telegram", user_id)


@pytest.fixture
async def bot_env(redis: Redis, nlu: NluParser) -> AsyncIterator[BotEnv]:
    from bot.app import build_dispatcher

    settings = bot_settings()
    secret = settings.secret_key.get_secret_value()
    engines = EngineHolder()
    engines.install(make_pack(), version="test", source="test")
    pseudonymize = Pseudonymizer(secret)
    text_sealer, chat_sealer = Sealer(secret, TEXT_PURPOSE), Sealer(secret, CHAT_PURPOSE)
    async with FakeBotAPI() as api:
        bot = api.make_bot()
        dp = build_dispatcher(redis=redis, engines=engines, nlu=nlu, pseudonymize=pseudonymize,
                              text_sealer=text_sealer, chat_sealer=chat_sealer,
                              settings=settings)
        try:
            yield BotEnv(api, bot, dp, redis, engines, settings, pseudonymize, text_sealer,
                         chat_sealer)
        finally:
            await bot.session.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API without rate limits (tests of limits build their own)."""
    async with FakeBotAPI(global_rate=None, per_chat_rate=None) as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Any]:
    """An aiogram Bot talking to ``api``."""
    client = api.make_bot()
    yield client
    await client.session.close()
