"""Switching language (the command and the intent) and asking for a person."""

from __future__ import annotations

import json

from bot.callbacks import ActionCb, LanguageCb
from bot.conversation import Conversation
from bot.texts import LANGUAGE_NAMES, T, text
from flows.schema import Lang
from handoff import keys
from tests.bot.conftest import BotEnv
from tests.bot.pack import after, menu_labels
from tests.fakes import make_callback_update, make_message_update

CHAT = 5002


async def test_language_command_offers_every_language_and_the_choice_sticks(
    bot_env: BotEnv,
) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/language"))
    picker = (await bot_env.take())[0]
    assert picker.text == text(T.language_prompt, Lang.ru)
    assert [label for label, _ in picker.buttons] == [LANGUAGE_NAMES[lang] for lang in Lang]
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, picker.data("Deutsch")))
    replies = await bot_env.take()
    # the notice is joined to the menu in the new language, the menu's buttons under both
    assert [r.text for r in replies] == [after(text(T.language_set, Lang.de), "de")]
    assert [label for label, _ in replies[0].buttons] == menu_labels("de")
    # the explicit choice beats the language of the next text
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT,
                                           "пришла повестка на госуслуги что делать"))
    assert [r.text for r in await bot_env.take()] == [after("[summons/start de]", "de")]
    record = Conversation.load(await bot_env.redis.get(
        keys.bot_conversation(bot_env.pseudonym(CHAT))))
    assert record is not None and record.lang_chosen and record.lang is Lang.de


async def test_the_change_language_intent_shows_the_language_buttons(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "поменять язык"))
    replies = await bot_env.take()
    # the question carries the language buttons, so the menu after it stays a message of its own
    assert [r.text for r in replies] == ["[change_language/choose ru]", "[ui menu_prompt ru]"]
    first, menu = replies
    assert [label for label, _ in first.buttons] == [LANGUAGE_NAMES[lang] for lang in Lang]
    assert LanguageCb(lang=Lang.uk).pack() in [data for _, data in first.buttons]
    assert [label for label, _ in menu.buttons] == menu_labels("ru")
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            LanguageCb(lang=Lang.uk).pack()))
    replies = await bot_env.take()
    assert [r.text for r in replies] == [after(text(T.language_set, Lang.uk), "uk")]
    assert [label for label, _ in replies[0].buttons] == menu_labels("uk")


async def test_telegram_interface_language_is_used_when_nothing_else_is_known(
    bot_env: BotEnv,
) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start", language_code="be"))
    assert [r.text for r in await bot_env.take()] == [after("[greet/hello be]", "be")]
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT + 1, "/start",
                                           language_code="kk"))
    assert [r.text for r in await bot_env.take()] == [after("[greet/hello ru]", "ru")]


async def test_advisor_queues_one_ticket_with_a_sealed_chat_and_says_so(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor", language_code="en"))
    replies = await bot_env.take()
    # the handoff note is joined to the triage question and carries its buttons
    assert [r.text for r in replies] == [text(T.handoff_queued, Lang.en) + "\n\n[human/triage en]"]
    assert [label for label, _ in replies[0].buttons] == [
        "[opt danger en]", "[opt other en]", "[ui main_menu en]", "[ui talk_to_human en]"]
    tickets = await bot_env.redis.xrange(keys.HANDOFF_STREAM)
    assert len(tickets) == 1
    ticket = json.loads(tickets[0][1][b"ticket"])
    pseudonym = bot_env.pseudonym(CHAT)
    assert ticket["conversation"] == pseudonym and ticket["priority"] == "normal"
    assert ticket["lang"] == "en" and str(CHAT) not in json.dumps(ticket)
    assert bot_env.chat_sealer.open(ticket["chat"], context=pseudonym) == str(CHAT)
    # asking again: no second ticket, an honest "already with the team"
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, ActionCb(k="h").pack()))
    again = await bot_env.take()
    assert [r.text for r in again] == [text(T.handoff_again, Lang.en) + "\n\n[human/triage en]"]
    assert [label for label, _ in again[0].buttons] == [label for label, _ in replies[0].buttons]
    assert len(await bot_env.redis.xrange(keys.HANDOFF_STREAM)) == 1
    # triage raising the priority is an update ticket
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            replies[0].data("opt danger")))
    urgent = await bot_env.take()
    assert [r.text for r in urgent] == [text(T.handoff_urgent, Lang.en) + "\n\n[human/urgent en]"]
    assert [label for label, _ in urgent[0].buttons] == ["[ui main_menu en]"]
    tickets = await bot_env.redis.xrange(keys.HANDOFF_STREAM)
    assert len(tickets) == 2
    assert json.loads(tickets[1][1][b"ticket"])["priority"] == "urgent"
    assert json.loads(tickets[1][1][b"ticket"])["update"] is True


async def test_urgent_danger_text_goes_straight_to_an_urgent_ticket(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT,
                                           "меня задержали на границе прямо сейчас"))
    replies = await bot_env.take()
    assert replies[0].text is not None and replies[0].text.startswith(
        text(T.handoff_queued, Lang.ru))
    assert text(T.handoff_urgent, Lang.ru) in replies[0].text
    tickets = await bot_env.redis.xrange(keys.HANDOFF_STREAM)
    assert json.loads(tickets[0][1][b"ticket"])["priority"] == "urgent"


async def test_help_lists_the_commands(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/help", language_code="de"))
    assert (await bot_env.take())[0].text == text(T.help, Lang.de)
