"""Input the bot does not read, or should not trust: a clear answer, never a crash, nothing kept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.callbacks import ActionCb
from bot.refs import ref
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from tests.bot.conftest import BotEnv
from tests.bot.pack import LONG_FLOW, LONG_STEP, make_pack
from tests.fakes import (
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

CHAT = 5004


def _video(update_id: int, chat_id: int) -> dict[str, Any]:
    update = make_message_update(update_id, chat_id, "x")
    del update["message"]["text"]
    update["message"]["video"] = {"file_id": "v", "file_unique_id": "uv", "width": 1,
                                  "height": 1, "duration": 1}
    return update


MEDIA: dict[str, Callable[[int, int], dict[str, Any]]] = {
    "photo": lambda u, c: make_photo_update(u, c, caption="моя повестка"),
    "voice": make_voice_update,
    "video": _video,
    "sticker": make_sticker_update,
    "document": lambda u, c: make_document_update(u, c, caption="повестка"),
    "location": make_location_update,
    "contact": make_contact_update,
}


@pytest.mark.parametrize("kind", list(MEDIA))
async def test_media_gets_the_text_only_note_and_nothing_is_kept(
    bot_env: BotEnv, kind: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await bot_env.feed(MEDIA[kind](bot_env.next_id(), CHAT))
    replies = await bot_env.take()
    assert [r.text for r in replies] == [text(T.text_only, Lang.ru)]
    assert await bot_env.events() == []
    assert not await bot_env.redis.exists(keys.bot_conversation(bot_env.pseudonym(CHAT)))
    for secret in ("+79990000000", "55.75", "37.62", "повестка", str(CHAT)):
        assert secret not in caplog.text


async def test_an_edited_message_gets_a_note_not_a_second_answer(bot_env: BotEnv) -> None:
    await bot_env.feed(make_edited_message_update(bot_env.next_id(), CHAT,
                                                  "пришла повестка что делать",
                                                  language_code="uk"))
    assert [r.text for r in await bot_env.take()] == [text(T.edited, Lang.uk)]
    assert await bot_env.events() == []


async def test_in_a_group_the_bot_points_to_the_private_chat_once(bot_env: BotEnv) -> None:
    group = -100777
    for _ in range(3):
        await bot_env.feed(make_message_update(bot_env.next_id(), group,
                                               "пришла повестка что делать", user_id=42,
                                               chat_type="supergroup"))
    replies = await bot_env.take()
    assert [(r.chat_id, r.text) for r in replies] == [(group, text(T.group_only, Lang.ru))]
    assert await bot_env.events() == []
    assert not await bot_env.redis.exists(keys.bot_conversation(bot_env.pseudonym(42)))


@pytest.mark.parametrize("data", [
    "a:o:AAAAAA:BBBBBB:0",          # unknown references
    "a:z:::",                        # unknown kind
    "a:o:::notanumber",              # malformed index
    "garbage",                       # not ours at all
    "x:maybe",                       # a forget button that is not one
    "l:klingon",                     # a language we do not speak
    "a:o:" + ref(LONG_FLOW) + ":" + ref(LONG_STEP) + ":99",  # an option that does not exist
    "",
])
async def test_forged_callback_data_gets_a_polite_answer(bot_env: BotEnv, data: str) -> None:
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, data))
    replies = await bot_env.take()
    assert replies, "no answer"
    assert replies[-1].text in ("[ui not_understood ru]", "[ui repeat_step ru]")
    assert bot_env.api.calls("answerCallbackQuery")
    assert await bot_env.redis.exists(keys.bot_conversation(bot_env.pseudonym(CHAT)))


async def test_a_stale_button_after_moving_on_is_asked_again(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "kak uehat iz rossii"))
    choice = (await bot_env.take())[0]
    old_option = choice.data("opt borders")
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/menu"))
    await bot_env.take()
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, old_option))
    assert (await bot_env.take())[-1].text == "[ui not_understood ru]"


async def test_a_button_from_an_older_bundle_is_asked_again(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "kak uehat iz rossii"))
    option = (await bot_env.take())[0].data("opt passport")
    doc_pack = make_pack().model_dump(mode="json")
    doc_pack["flows"] = [f for f in doc_pack["flows"] if f["id"] != LONG_FLOW]
    from flows.schema import Pack

    bot_env.engines.install(Pack.model_validate(doc_pack), version="v2", source="test")
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, option))
    assert (await bot_env.take())[-1].text == "[ui not_understood ru]"


async def test_callback_data_fits_in_64_bytes_for_the_longest_ids() -> None:
    from flows.outcome import Action, ActionKind

    data = ActionCb.of(Action(kind=ActionKind.option, flow="f" * 64, step="s" * 64, index=11))
    assert len(data.encode()) <= 64


@pytest.mark.parametrize("failure", ["too_old", "server_error", "disconnect"])
async def test_a_tap_whose_answer_fails_still_gets_its_turn(bot_env: BotEnv, failure: str,
                                                            caplog: pytest.LogCaptureFixture,
                                                            ) -> None:
    """answerCallbackQuery goes out as JSON on the bot's session (bot/handlers/common.py);
    a refused or lost answer is logged, never fatal: the reply to the tap is queued."""
    if failure == "too_old":
        bot_env.api.fail_next("answerCallbackQuery", 400,
                              description="Bad Request: query is too old")
    elif failure == "server_error":
        bot_env.api.fail_next("answerCallbackQuery", 502)
    else:
        bot_env.api.disconnect_next("answerCallbackQuery")
    caplog.set_level("INFO", logger="bot.handlers.common")
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, "a:m:::"))
    assert [r.text for r in await bot_env.take()] == ["[ui menu_prompt ru]"]
    assert "callback query not answered" in caplog.text
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, "a:m:::"))
    await bot_env.take()
    answered = bot_env.api.calls("answerCallbackQuery")
    assert len(answered) == 1 and set(answered[0].params) == {"callback_query_id"}
