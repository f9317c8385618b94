"""A person's conversation through the real dispatcher: /start, free text, buttons, navigation."""

from __future__ import annotations

import re

import pytest

from bot.callbacks import ActionCb
from bot.conversation import Conversation
from flows.texts import text_length
from handoff import keys
from handoff.events import EventType
from tests.bot.conftest import BotEnv
from tests.bot.pack import LONG_FLOW, after, menu_labels
from tests.fakes import make_callback_update, make_message_update

CHAT = 5001


async def test_start_greets_and_shows_the_menu(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/start"))
    replies = await bot_env.take()
    # one bubble: the greeting has no buttons, so it is joined to the menu that follows
    assert [r.text for r in replies] == [after("[greet/hello ru]", "ru")]
    (menu,) = replies
    assert menu.chat_id == CHAT and menu.method == "sendMessage"
    assert [label for label, _ in menu.buttons] == menu_labels("ru")
    assert all(len(data.encode()) <= 64 for _, data in menu.buttons)


#: A message step is joined to the menu after it; a choice keeps its own buttons, alone.
CHOICE = ["[opt borders {lang}]", "[opt passport {lang}]", "[ui main_menu {lang}]",
          "[ui talk_to_human {lang}]"]


@pytest.mark.parametrize(("text", "code", "flow_marker", "lang"), [
    ("пришла повестка на госуслуги что делать", "ru", "summons/start", "ru"),
    ("як виїхати з росії через грузію", "uk", "leave/choose", "uk"),
    ("мне прыйшла позва з ваенкамата, што рабіць", "be", "summons/start", "be"),
    ("can I still cross into Finland by car", "en", "leave/choose", "en"),
    ("Bekomme ich Schutz als Deserteur?", "de", "protection/start", "de"),
    ("kak uehat iz rossii", "ru", "leave/choose", "ru"),
])
async def test_free_text_reaches_the_flow_in_its_language(
    bot_env: BotEnv, text: str, code: str, flow_marker: str, lang: str,
) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, text, language_code=code))
    replies = await bot_env.take()
    said = f"[{flow_marker} {lang}]"
    if flow_marker == "leave/choose":
        assert [r.text for r in replies] == [said]
        assert [label for label, _ in replies[0].buttons] == [b.format(lang=lang) for b in CHOICE]
    else:
        assert [r.text for r in replies] == [after(said, lang)]
        assert [label for label, _ in replies[0].buttons] == menu_labels(lang)


async def test_the_language_of_the_text_wins_over_the_interface_language(
    bot_env: BotEnv,
) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT,
                                           "can I still cross into Finland by car",
                                           language_code="de"))
    assert (await bot_env.take())[0].text == "[leave/choose en]"


async def test_buttons_walk_the_flow_and_back_and_menu_work(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "/menu"))
    menu = (await bot_env.take())[-1]
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            menu.data("t leave")))
    choice = (await bot_env.take())[-1]
    assert choice.text == "[leave/choose ru]"
    borders = choice.data("opt borders")
    assert len(borders.encode()) <= 64
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, borders))
    answer = await bot_env.take()
    assert answer[0].text is not None and answer[0].text.startswith("[leave/borders ru]")
    assert "sources: Border Guard" in answer[0].text
    # back returns to the choice; the menu button to the menu
    back = next(data for r in answer for label, data in r.buttons if "ui back" in label)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, back))
    assert (await bot_env.take())[-1].text == "[leave/choose ru]"
    menu_button = ActionCb(k="m").pack()
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, menu_button))
    assert (await bot_env.take())[-1].text == "[ui menu_prompt ru]"


async def test_state_is_one_compact_key_per_person_keyed_by_pseudonym(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "kak uehat iz rossii"))
    pseudonym = bot_env.pseudonym(CHAT)
    raw = await bot_env.redis.get(keys.bot_conversation(pseudonym))
    record = Conversation.load(raw)
    assert record is not None and record.state.position is not None
    assert record.state.position.flow == LONG_FLOW
    assert str(CHAT).encode() not in raw
    assert 0 < await bot_env.redis.ttl(keys.bot_conversation(pseudonym)) <= 30 * 24 * 3600


async def test_every_message_in_and_out_is_an_event_with_sealed_text(bot_env: BotEnv) -> None:
    text = "пришла повестка на госуслуги что делать"
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, text))
    events = await bot_env.events()
    replies = await bot_env.take()
    pseudonym = bot_env.pseudonym(CHAT)
    # the flow's words and the menu after them are one message out, so one event out
    assert len(replies) == 1
    assert [e.type for e in events] == [EventType.message_in, EventType.message_out]
    assert all(e.conversation == pseudonym and e.channel == "telegram" for e in events)
    assert events[0].intent == "summons" and events[0].lang == "ru"
    assert events[0].text is not None and text not in events[0].text
    assert bot_env.text_sealer.open(events[0].text, context=pseudonym) == text
    assert bot_env.text_sealer.open(events[1].text or "", context=pseudonym) == replies[0].text


async def test_emoji_only_and_a_4096_character_text_get_answers(bot_env: BotEnv) -> None:
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "😀😀😀"))
    (answer,) = await bot_env.take()
    # the out-of-scope note joined to the menu, or the menu saying it did not understand
    assert answer.text in (after("[scope/note ru]", "ru"), "[ui not_understood ru]")
    assert [label for label, _ in answer.buttons] == menu_labels("ru")
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, "🙏🏻😭"))
    (answer,) = await bot_env.take()
    # some flow answered, no apology; a message step comes as one bubble with the menu
    said = answer.text or ""
    assert re.fullmatch(r"\[[a-z_]+/[a-z_]+ ru\](\n\n\[ui menu_prompt ru\])?", said), said
    if said.endswith("[ui menu_prompt ru]"):
        assert [label for label, _ in answer.buttons] == menu_labels("ru")
    wall = ("как уехать из россии если загран не готов " * 200)[:4096]
    await bot_env.feed(make_message_update(bot_env.next_id(), CHAT, wall))
    replies = await bot_env.take()
    assert replies and all(text_length(r.text or "") <= 4096 for r in replies)
