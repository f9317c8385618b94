"""/privacy (auto-delete) and /forget (everything of the person erased, now)."""

from __future__ import annotations

from bot.callbacks import AutoDeleteCb, ForgetCb
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from handoff.events import ConversationEvent, EventType
from tests.bot.conftest import BotEnv
from tests.fakes import make_callback_update, make_message_update

CHAT = 5003


async def test_privacy_explains_and_auto_delete_applies_to_new_messages(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/privacy", language_code="en"))
    shown = (await bot_env.take())[0]
    assert shown.text is not None and "/forget" in shown.text and "Now: off." in shown.text
    assert [label for label, _ in shown.buttons][0].startswith("✅ ")
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, shown.data("12 h"),
                                            language_code="en"))
    assert (await bot_env.take())[0].text == text(T.autodelete_set, Lang.en, hours=12)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/menu", language_code="en"))
    menu = await bot_env.take()
    assert all(r.delete_after == 12 * 3600 for r in menu)
    # the person's own message is noted for deletion too
    due = await bot_env.redis.zrange(keys.OUTBOX_DELETE_DUE, 0, -1)
    assert any(member.decode().startswith(f"{CHAT}:") for member in due)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            AutoDeleteCb(hours=0).pack()))
    assert (await bot_env.take())[0].text == text(T.autodelete_cleared, Lang.en)


async def test_a_forged_auto_delete_choice_shows_the_choices_again(bot_env: BotEnv) -> None:
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            AutoDeleteCb(hours=5000).pack()))
    reply = (await bot_env.take())[0]
    assert reply.text is not None and "/forget" in reply.text
    record = await bot_env.redis.get(keys.bot_conversation(bot_env.pseudonym(CHAT)))
    assert b"autodelete" not in record


async def test_forget_asks_first_and_cancel_keeps_everything(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/forget"))
    question = (await bot_env.take())[0]
    assert question.text == text(T.forget_confirm, Lang.ru)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, question.data("Отмена")))
    assert (await bot_env.take())[0].text == text(T.forget_cancelled, Lang.ru)
    assert await bot_env.redis.exists(keys.bot_conversation(bot_env.pseudonym(CHAT)))


async def test_forget_erases_every_key_ticket_and_messages_and_says_what(bot_env: BotEnv) -> None:
    pseudonym = bot_env.pseudonym(CHAT)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/language"))
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor"))
    assert len(await bot_env.redis.xrange(keys.HANDOFF_STREAM)) == 1
    await bot_env.take()
    await bot_env.events()
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            ForgetCb(confirm=True).pack()))
    for key in (keys.bot_conversation(pseudonym), keys.bot_seen(pseudonym),
                keys.bot_flood(pseudonym)):
        assert not await bot_env.redis.exists(key), key
    assert await bot_env.redis.xrange(keys.HANDOFF_STREAM) == []
    # the person's earlier events, not yet recorded by the api, are gone from the stream:
    # only the erase event that tells the api to delete the transcripts remains
    events = [ConversationEvent.from_fields(f)
              for _, f in await bot_env.redis.xrange(keys.EVENTS_STREAM)]
    assert [(e.type, e.conversation) for e in events] == [(EventType.erase, pseudonym)]
    queued = await bot_env.take()
    assert [r.method for r in queued] == ["deleteRecent", "sendMessage", "forgetChat"]
    assert queued[1].text == text(T.forget_done, Lang.ru,
                                  tickets=text(T.forget_tickets, Lang.ru, count=1))
    assert queued[1].delete_after is None
    assert [c.params.get("callback_query_id") for c in bot_env.api.calls("answerCallbackQuery")]
    # a new message after /forget starts from nothing (Russian, no chosen language)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start",
                                           language_code="de"))
    assert [r.text for r in await bot_env.take()] == ["[greet/hello de]\n\n[ui menu_prompt de]"]
