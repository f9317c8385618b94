"""The fake Bot API, checked through the real aiogram client it stands in front of."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from aiohttp import web

from tests.fakes import (
    FakeBotAPI,
    make_callback_update,
    make_contact_update,
    make_document_update,
    make_edited_message_update,
    make_location_update,
    make_message_update,
    make_photo_update,
    make_sticker_update,
    make_voice_update,
)

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="flow:yes")]]
)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    client = api.make_bot()
    yield client
    await client.session.close()


async def test_get_me_is_a_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == 123456


async def test_send_message_is_recorded_and_parsed(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(42, "Привет", reply_markup=KEYBOARD, protect_content=True)
    assert message.message_id == 1 and message.chat.id == 42 and message.text == "Привет"
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump() == KEYBOARD.model_dump()
    [call] = api.calls("sendMessage")
    assert call.chat_id == 42 and call.text == "Привет" and call.protect_content
    assert call.reply_markup == KEYBOARD.model_dump(exclude_none=True)
    assert call.message_id == 1
    assert (await bot.send_message(42, "again")).message_id == 2
    assert api.texts(42) == ["Привет", "again"]


async def test_edit_and_delete(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(7, "one", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("two", chat_id=7, message_id=message.message_id)
    assert not isinstance(edited, bool) and edited.text == "two" and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("two", chat_id=7, message_id=message.message_id)
    await bot.edit_message_reply_markup(
        chat_id=7, message_id=message.message_id, reply_markup=KEYBOARD
    )
    with pytest.raises(TelegramBadRequest, match="to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=999)
    assert await bot.delete_message(7, message.message_id)
    with pytest.raises(TelegramBadRequest, match="to delete not found"):
        await bot.delete_message(7, message.message_id)
    second = await bot.send_message(7, "three")
    assert await bot.delete_messages(7, [second.message_id, 12345])
    assert api.state.messages[7] == {}


async def test_small_methods(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.answer_callback_query("cb1", text="ok")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")],
                                     language_code="ru")
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
    assert await bot.send_chat_action(5, "typing")
    chat = await bot.get_chat(5)
    assert chat.id == 5 and chat.type == "private"
    topic = await bot.create_forum_topic(-1001, "Ticket 17")
    assert topic.name == "Ticket 17" and topic.message_thread_id > 0
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(5, "x")
    with pytest.raises(TelegramNotFound):
        await bot.send_dice(5)


async def test_per_chat_limit_answers_429(bot: Bot) -> None:
    async with FakeBotAPI(per_chat_rate=0.01, per_chat_burst=3) as slow:
        client = slow.make_bot()
        for i in range(3):
            await client.send_message(1, f"m{i}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await client.send_message(1, "too many")
        assert caught.value.retry_after >= 1
        await client.send_message(2, "another chat is fine")
        assert slow.too_many_requests == 1 and len(slow.calls("sendMessage")) == 4
        await client.session.close()


async def test_global_and_group_limits() -> None:
    async with FakeBotAPI(global_rate=3, global_window=60.0, group_per_minute=2) as server:
        client = server.make_bot()
        await client.send_message(-100, "a")
        await client.send_message(-100, "b")
        with pytest.raises(TelegramRetryAfter):
            await client.send_message(-100, "c")
        await client.send_message(11, "d")
        with pytest.raises(TelegramRetryAfter) as caught:
            await client.send_message(12, "e")  # fourth in the same second overall
        assert caught.value.retry_after == 1
        assert server.max_in_window(60.0) == 3
        await client.session.close()


async def test_blocked_chat_and_missing_chat(api: FakeBotAPI, bot: Bot) -> None:
    api.blocked.add(9)
    api.missing_chats.add(10)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(9, "hi")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(10, "hi")
    assert api.sent == []


async def test_injected_failures(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 502)
    with pytest.raises(TelegramServerError):
        await bot.send_message(1, "x")
    api.fail_next("sendMessage", 502, html=True)
    with pytest.raises(ClientDecodeError):
        await bot.send_message(1, "x")
    api.fail_next("setWebhook", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.set_webhook("https://example.org/hook")
    assert caught.value.retry_after == 3
    api.disconnect_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1, "lost")
    api.disconnect_next("sendMessage", after_accept=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1, "sent but unanswered")
    assert api.texts(1) == ["sent but unanswered"]
    await bot.send_message(1, "fine")
    assert api.texts(1)[-1] == "fine"


async def test_bad_requests(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(1, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(1, "<b>bold <i>x</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(1, "<script>x</script>", parse_mode="HTML")
    await bot.send_message(1, "<b>ok</b> " + "я" * 4090, parse_mode="HTML")
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}/bot123456:abc/sendMessage"
        async with session.post(url, data={"chat_id": "1", "text": "x",
                                           "reply_markup": "{broken"}) as resp:
            body = await resp.json()
        assert resp.status == 400 and body["ok"] is False and body["error_code"] == 400
        async with session.post(url, json={"chat_id": 1, "text": ""}) as resp:
            assert resp.status == 400
        async with session.post(f"{api.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401


async def test_wrong_token_is_unauthorized() -> None:
    async with FakeBotAPI(token="1:right") as server:
        client = server.make_bot("1:wrong")
        with pytest.raises(TelegramUnauthorizedError):
            await client.get_me()
        await client.session.close()


async def test_get_updates_long_poll_and_offset(api: FakeBotAPI, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    api.push_update(make_message_update(1, 42, "/start"))
    [update] = await waiting
    assert update.update_id == 1 and update.message is not None
    assert update.message.text == "/start" and update.message.from_user is not None
    assert update.message.from_user.language_code == "ru"
    api.push_update(make_message_update(2, 42, "hi"))
    assert [u.update_id for u in await bot.get_updates(offset=1)] == [1, 2]
    assert [u.update_id for u in await bot.get_updates(offset=2)] == [2]
    assert await bot.get_updates(offset=3, timeout=0) == []


async def test_webhook_delivery_with_secret(api: FakeBotAPI, bot: Bot) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        api.push_update(make_message_update(5, 42, "via webhook"))
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        [(body, secret)] = received
        assert body["update_id"] == 5 and body["message"]["text"] == "via webhook"
        assert secret == "s3cret"
        assert api.webhook_deliveries == [200]
        assert await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == []
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        (make_message_update(1, 5, "hello", language_code="de"), "message"),
        (make_message_update(1, -100, "in topic", chat_type="supergroup",
                             message_thread_id=3), "message"),
        (make_callback_update(1, 5, "flow:yes"), "callback_query"),
        (make_photo_update(1, 5, caption="my summons"), "message"),
        (make_sticker_update(1, 5), "message"),
        (make_voice_update(1, 5), "message"),
        (make_document_update(1, 5), "message"),
        (make_location_update(1, 5), "message"),
        (make_contact_update(1, 5), "message"),
        (make_edited_message_update(1, 5, "edited"), "edited_message"),
    ],
)
def test_update_builders_parse_in_aiogram(update: dict, kind: str) -> None:
    parsed = Update.model_validate(update)
    assert parsed.event_type == kind


async def test_dispatcher_polls_the_fake(api: FakeBotAPI, bot: Bot) -> None:
    from aiogram import Dispatcher
    from aiogram.types import Message

    dp = Dispatcher()
    seen: list[str] = []
    done = asyncio.Event()

    @dp.message()
    async def echo(message: Message) -> None:
        seen.append(message.text or "")
        await message.answer(f"echo: {message.text}")
        done.set()

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    api.push_update(make_message_update(1, 42, "ping"))
    await asyncio.wait_for(done.wait(), 10)
    await dp.stop_polling()
    await polling
    assert seen == ["ping"] and api.texts(42) == ["echo: ping"]


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ({"inline_keyboard": "rows"}, "Array of Arrays"),
        ({"inline_keyboard": [[{"text": "plain"}]]}, "Text buttons are unallowed"),
        ({"inline_keyboard": [[{"callback_data": "x"}]]}, "Can't find field"),
        ({"inline_keyboard": [[{"text": "long", "callback_data": "я" * 33}]]},
         "BUTTON_DATA_INVALID"),
    ],
)
async def test_inline_keyboards_are_checked_like_telegram(
    api: FakeBotAPI, markup: dict, error: str
) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}/bot123456:abc/sendMessage"
        async with session.post(url, json={"chat_id": 1, "text": "x",
                                           "reply_markup": markup}) as resp:
            body = await resp.json()
    assert resp.status == 400 and error in body["description"]
