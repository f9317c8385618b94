"""Duplicate updates and floods, decided in one Redis call before any handler runs."""

from __future__ import annotations

from bot.store import FLOOD_LIMIT
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from tests.bot.conftest import BotEnv
from tests.fakes import make_callback_update, make_message_update

CHAT = 5005


async def test_a_redelivered_update_is_dropped(bot_env: BotEnv) -> None:
    update = make_message_update(bot_env.next_id(), CHAT, "/start")
    await bot_env.feed(update)
    first = await bot_env.take()
    await bot_env.feed(update)
    assert first and await bot_env.take() == []
    # the same update id from another person is another update
    await bot_env.feed(make_message_update(update["update_id"], CHAT + 1, "/start"))
    assert len(await bot_env.take()) == len(first)


async def test_a_redelivered_channel_update_is_dropped_too(bot_env: BotEnv) -> None:
    update = make_message_update(bot_env.next_id(), -100555, "hi", chat_type="group")
    await bot_env.feed(update)
    await bot_env.feed(update)
    assert len(await bot_env.take()) == 1


async def test_a_flood_gets_one_calm_notice_then_silence(bot_env: BotEnv) -> None:
    for i in range(FLOOD_LIMIT + 10):
        await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, f"привет {i}"))
    replies = await bot_env.take()
    notices = [r for r in replies if r.text == text(T.flood, Lang.ru)]
    assert len(notices) == 1
    assert replies[-1].text == text(T.flood, Lang.ru)  # nothing answered after it
    # a button tap while flooded is also skipped; the window expiring lets them in again
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, "a:m:::"))
    assert await bot_env.take() == []
    await bot_env.redis.delete(keys.bot_flood(bot_env.pseudonym(CHAT)))
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/menu"))
    assert (await bot_env.take())[-1].text == "[ui menu_prompt ru]"


async def test_writing_again_lifts_the_outbox_blocked_mark(bot_env: BotEnv) -> None:
    await bot_env.redis.set(keys.outbox_blocked(CHAT), 1)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start"))
    assert not await bot_env.redis.exists(keys.outbox_blocked(CHAT))
    assert await bot_env.take()


async def test_a_handler_failure_apologises_and_releases_the_update(bot_env: BotEnv) -> None:
    class Broken:
        def handle(self, *args: object) -> None:
            raise RuntimeError("engine bug")

    current = bot_env.engines.current
    object.__setattr__(current, "engine", Broken())
    update = make_message_update(bot_env.next_id(), CHAT, "/menu")
    await bot_env.feed(update)
    assert [r.text for r in await bot_env.take()] == [text(T.sorry, Lang.ru)]
    seen = await bot_env.redis.zrange(keys.bot_seen(bot_env.pseudonym(CHAT)), 0, -1)
    assert str(update["update_id"]).encode() not in seen
