"""Switching language (the command and the intent) and asking for a person."""

from __future__ import annotations

import json

from bot.callbacks import ActionCb, LanguageCb
from bot.conversation import Conversation
from bot.texts import LANGUAGE_NAMES, T, text
from flows.schema import Lang
from handoff import keys
from tests.bot.conftest import BotEnv
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
    assert replies[0].text == text(T.language_set, Lang.de)
    assert replies[-1].text == "[ui menu_prompt de]"
    # the explicit choice beats the language of the next text
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT,
                                           "пришла повестка на госуслуги что делать"))
    assert (await bot_env.take())[0].text == "[summons/start de]"
    record = Conversation.load(await bot_env.redis.get(
        keys.bot_conversation(bot_env.pseudonym(CHAT))))
    assert record is not None and record.lang_chosen and record.lang is Lang.de


async def test_the_change_language_intent_shows_the_language_buttons(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "поменять язык"))
    first = (await bot_env.take())[0]
    assert first.text == "[change_language/choose ru]"
    assert LanguageCb(lang=Lang.uk).pack() in [data for _, data in first.buttons]
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            LanguageCb(lang=Lang.uk).pack()))
    assert (await bot_env.take())[-1].text == "[ui menu_prompt uk]"


async def test_telegram_interface_language_is_used_when_nothing_else_is_known(
    bot_env: BotEnv,
) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start", language_code="be"))
    assert (await bot_env.take())[0].text == "[greet/hello be]"
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT + 1, "/start",
                                           language_code="kk"))
    assert (await bot_env.take())[0].text == "[greet/hello ru]"


async def test_advisor_queues_one_ticket_with_a_sealed_chat_and_says_so(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/advisor", language_code="en"))
    replies = await bot_env.take()
    assert replies[0].text == text(T.handoff_queued, Lang.en)
    assert replies[1].text == "[human/triage en]"
    tickets = await bot_env.redis.xrange(keys.HANDOFF_STREAM)
    assert len(tickets) == 1
    ticket = json.loads(tickets[0][1][b"ticket"])
    pseudonym = bot_env.pseudonym(CHAT)
    assert ticket["conversation"] == pseudonym and ticket["priority"] == "normal"
    assert ticket["lang"] == "en" and str(CHAT) not in json.dumps(ticket)
    assert bot_env.chat_sealer.open(ticket["chat"], context=pseudonym) == str(CHAT)
    # asking again: no second ticket, an honest "already with the team"
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, ActionCb(k="h").pack()))
    assert (await bot_env.take())[0].text == text(T.handoff_again, Lang.en)
    assert len(await bot_env.redis.xrange(keys.HANDOFF_STREAM)) == 1
    # triage raising the priority is an update ticket
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            replies[1].data("opt danger")))
    assert (await bot_env.take())[0].text == text(T.handoff_urgent, Lang.en)
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
