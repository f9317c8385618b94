"""While queued or with an advisor the bot steps back: silence when held, one note when queued."""

from __future__ import annotations

import datetime as dt

from bot.app import build_dispatcher
from bot.callbacks import ActionCb, HandoffCb
from bot.handlers.handoff import ATTACHMENT
from bot.store import FLOOD_LIMIT
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from handoff.events import EventType
from handoff.ownership import HolderKind, holder
from handoff.queue import HandoffQueue
from tests.bot.conftest import BotEnv, bot_settings
from tests.bot.pack import after, menu_labels
from tests.bot.queue_helpers import ADVISOR, hold, queue_person, take_in
from tests.fakes import (
    make_callback_update,
    make_edited_message_update,
    make_message_update,
    make_photo_update,
)

CHAT = 7101


async def test_held_the_bot_says_nothing_and_records_the_message(bot_env: BotEnv) -> None:
    await hold(bot_env, CHAT)
    words = "Мне пришла повестка, что мне делать?"
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, words))
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor"))
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, ActionCb(k="h").pack()))
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, "zz:forged:data"))
    await bot_env.feed(make_photo_update(bot_env.next_id(), CHAT))
    await bot_env.feed(make_edited_message_update(bot_env.next_id(), CHAT, "edited"))
    assert await bot_env.take() == []  # nothing queued for Telegram
    assert [c.method for c in bot_env.api.sent] == ["answerCallbackQuery"] * 2
    events = await bot_env.events()
    assert {e.type for e in events} == {EventType.message_in}
    pseudonym = bot_env.pseudonym(CHAT)
    said = [bot_env.text_sealer.open(e.text or "", context=pseudonym) for e in events]
    assert said[0] == words and said[1] == "/advisor" and ATTACHMENT in said
    assert all(e.conversation == pseudonym for e in events)
    # the advisor still holds it; no new ticket was written
    assert (await holder(bot_env.redis, pseudonym)).advisor == ADVISOR
    assert await bot_env.redis.xlen(keys.HANDOFF_STREAM) == 0


async def test_held_commands_that_always_work_still_answer(bot_env: BotEnv) -> None:
    await hold(bot_env, CHAT)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/help"))
    assert [r.text for r in await bot_env.take()] == [text(T.help, Lang.ru)]
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/language"))
    picker = (await bot_env.take())[0]
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, picker.data("English")))
    # only the confirmation: the engine (and its menu) does not run while held
    assert [r.text for r in await bot_env.take()] == [text(T.language_set, Lang.en)]
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/privacy"))
    assert "/forget" in ((await bot_env.take())[0].text or "")


async def test_queued_one_note_not_ten_with_place_estimate_and_withdraw(bot_env: BotEnv) -> None:
    await queue_person(bot_env, CHAT, language_code="en")
    for i in range(10):
        await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, f"still here {i}",
                                               language_code="en"))
    replies = await bot_env.take()
    assert len(replies) == 1
    note = replies[0].text or ""
    assert note.startswith(text(T.queue_saved, Lang.en))
    assert text(T.queue_position, Lang.en, position=1) in note
    assert text(T.queue_unknown, Lang.en) in note  # too few claims for an honest estimate
    assert replies[0].data("Back to the bot") == HandoffCb(a="withdraw").pack()
    events = await bot_env.events()
    assert [e.type for e in events].count(EventType.message_in) == 10
    # what was told is remembered for the notifier
    ticket = await bot_env.redis.get(keys.handoff_open(bot_env.pseudonym(CHAT)))
    told = await bot_env.redis.hget(keys.HANDOFF_TOLD, ticket)
    assert told is not None and told.startswith(b"1:u:")


async def test_the_withdraw_button_leaves_the_queue_and_the_bot_answers_again(
    bot_env: BotEnv,
) -> None:
    await queue_person(bot_env, CHAT)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            HandoffCb(a="withdraw").pack()))
    replies = await bot_env.take()
    # the notice and the menu after it are one message, the menu's buttons under it
    assert [r.text for r in replies] == [after(text(T.withdrawn, Lang.ru), "ru")]
    assert [label for label, _ in replies[0].buttons] == menu_labels("ru", back=True)
    pseudonym = bot_env.pseudonym(CHAT)
    assert (await holder(bot_env.redis, pseudonym)).kind is HolderKind.bot
    closed = await bot_env.redis.xrange(keys.HANDOFF_CLOSED_STREAM)
    assert closed[-1][1][b"outcome"] == b"withdrawn"
    # a second tap (old button): not in the queue any more, said honestly
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            HandoffCb(a="withdraw").pack()))
    assert [r.text for r in await bot_env.take()] == [text(T.withdraw_late, Lang.ru)]
    # asking again makes a new ticket (the old request is over)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor"))
    replies = await bot_env.take()
    # the handoff note is joined to the triage question, whose buttons it carries
    assert [r.text for r in replies] == [text(T.handoff_queued, Lang.ru) + "\n\n[human/triage ru]"]
    assert [label for label, _ in replies[0].buttons] == [
        "[opt danger ru]", "[opt other ru]", "[ui back ru]", "[ui main_menu ru]",
        "[ui talk_to_human ru]"]
    await take_in(bot_env)
    assert (await holder(bot_env.redis, pseudonym)).kind is HolderKind.queued


async def test_menu_while_queued_asks_first_and_no_keeps_the_place(bot_env: BotEnv) -> None:
    await queue_person(bot_env, CHAT)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/menu"))
    question = (await bot_env.take())[0]
    assert question.text == text(T.leave_confirm_queued, Lang.ru)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            question.data(text(T.leave_no, Lang.ru))))
    assert [r.text for r in await bot_env.take()] == [text(T.leave_stay, Lang.ru)]
    pseudonym = bot_env.pseudonym(CHAT)
    assert (await holder(bot_env.redis, pseudonym)).kind is HolderKind.queued
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            question.data(text(T.leave_yes, Lang.ru))))
    replies = await bot_env.take()
    assert [r.text for r in replies] == [after(text(T.withdrawn, Lang.ru), "ru")]
    assert [label for label, _ in replies[0].buttons] == menu_labels("ru", back=True)
    assert (await holder(bot_env.redis, pseudonym)).kind is HolderKind.bot


async def test_start_while_held_asks_and_leaving_ends_the_advisors_chat(bot_env: BotEnv) -> None:
    ticket = await hold(bot_env, CHAT)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start"))
    question = (await bot_env.take())[0]
    assert question.text == text(T.leave_confirm_held, Lang.ru)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            question.data(text(T.leave_yes, Lang.ru))))
    replies = await bot_env.take()
    # notice, greeting and menu: none but the menu has buttons, so all three are one message
    assert [r.text for r in replies] == [
        text(T.left_advisor, Lang.ru) + "\n\n" + after("[greet/hello ru]", "ru")]
    assert [label for label, _ in replies[0].buttons] == menu_labels("ru")
    assert (await holder(bot_env.redis, bot_env.pseudonym(CHAT))).kind is HolderKind.bot
    closed = await bot_env.redis.xrange(keys.HANDOFF_CLOSED_STREAM)
    assert closed[-1][1][b"outcome"] == b"left_by_person"
    assert closed[-1][1][b"ticket_id"] == ticket.id.encode()
    assert await HandoffQueue(bot_env.redis).ticket(ticket.id) is None


async def test_a_forged_queue_move_changes_nothing(bot_env: BotEnv) -> None:
    await queue_person(bot_env, CHAT)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            HandoffCb(a="explode", then="x").pack()))
    assert [r.text for r in await bot_env.take()] == [text(T.leave_stay, Lang.ru)]
    assert (await holder(bot_env.redis, bot_env.pseudonym(CHAT))).kind is HolderKind.queued


async def test_urgent_danger_while_queued_still_gets_the_flow_and_raises_priority(
    bot_env: BotEnv,
) -> None:
    ticket_id = await queue_person(bot_env, CHAT)
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT,
                                           "меня задержали на границе прямо сейчас"))
    replies = await bot_env.take()
    assert text(T.handoff_urgent, Lang.ru) in (replies[0].text or "")
    await take_in(bot_env)
    ticket = await HandoffQueue(bot_env.redis).ticket(ticket_id)
    assert ticket is not None and ticket.priority.value == "urgent"


async def test_outside_service_hours_the_note_says_when_advisors_are_back(
    bot_env: BotEnv,
) -> None:
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (dt.datetime.now(dt.UTC).weekday() + 3) % 7]
    settings = bot_settings(HOTLINE_SERVICE_HOURS=f"{day} 09:00-17:00",
                            HOTLINE_SERVICE_TZ="Europe/Berlin")
    dp = build_dispatcher(redis=bot_env.redis, engines=bot_env.engines, nlu=bot_env.dp["nlu"],
                          pseudonymize=bot_env.pseudonymize, text_sealer=bot_env.text_sealer,
                          chat_sealer=bot_env.chat_sealer, settings=settings)
    bot_env.dp = dp
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor",
                                           language_code="de"))
    note = (await bot_env.take())[0].text or ""
    assert note.startswith(text(T.handoff_queued, Lang.de))
    assert "Europe/Berlin" in note and "09:00" in note and "Warteschlange" in note
    # urgent: the flow's emergency guidance still follows the note
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT + 1,
                                           "меня задержали на границе прямо сейчас"))
    replies = await bot_env.take()
    assert text(T.handoff_urgent, Lang.ru) in (replies[0].text or "")
    assert "Europe/Berlin" in (replies[0].text or "")


async def test_held_even_a_flood_gets_no_notice_from_the_bot(bot_env: BotEnv) -> None:
    await hold(bot_env, CHAT)
    for i in range(FLOOD_LIMIT + 3):
        await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, f"help {i}"))
    assert await bot_env.take() == []
    # what came within the limit reached the advisor's transcript (/advisor counted too)
    assert len(await bot_env.events()) == FLOOD_LIMIT - 1
