"""The small pure pieces: bot texts, language precedence, references, events."""

from __future__ import annotations

import string

import pytest
from pydantic import ValidationError

from bot.refs import UNKNOWN, Compact, Refs, forged, ref
from bot.texts import COMMANDS, T, all_texts, text
from bot.understanding import choose_language, from_telegram
from flows.outcome import Action, ActionKind
from flows.schema import Lang
from handoff.events import ConversationEvent, EventType, erase_event, message_event
from hotline.crypto import Sealer
from tests.bot.pack import LONG_FLOW, LONG_STEP, make_pack

FIELDS = {"autodelete": "x", "hours": 12, "tickets": "", "count": 1, "service": "Hotline",
          "position": 3, "minutes": 10, "when": "Mon 24.11, 09:00", "tz": "Europe/Berlin"}


def test_every_bot_text_exists_in_every_language_with_the_same_placeholders() -> None:
    for key in T:
        texts = all_texts()[key]
        assert set(texts) == set(Lang), key
        names = {lang: {f for _, f, _, _ in string.Formatter().parse(t) if f}
                 for lang, t in texts.items()}
        assert len({frozenset(n) for n in names.values()}) == 1, (key, names)
        for lang in Lang:
            filled = text(key, lang, **FIELDS) if names[lang] else text(key, lang)
            assert filled.strip() and "{" not in filled
            assert len(filled) <= 4096
    for name, descriptions in COMMANDS.items():
        assert name.islower() and set(descriptions) == set(Lang)
        assert all(1 <= len(d) <= 256 for d in descriptions.values())


@pytest.mark.parametrize(("code", "expected"), [
    ("ru", Lang.ru), ("uk", Lang.uk), ("be", Lang.be), ("en-US", Lang.en), ("de_AT", Lang.de),
    ("DE", Lang.de), ("kk", None), ("", None), (None, None), ("pt-br", None),
])
def test_telegram_language_codes_map_to_ours(code: str | None, expected: Lang | None) -> None:
    assert from_telegram(code) is expected


class _Parsed:
    def __init__(self, language: str, confidence: float) -> None:
        self.language, self.language_confidence = language, confidence


def test_language_precedence() -> None:
    german = _Parsed("de", 0.99)
    assert choose_language(chosen=Lang.uk, parsed=german, previous=Lang.ru,  # type: ignore[arg-type]
                           interface=Lang.en) is Lang.uk
    assert choose_language(chosen=None, parsed=german, previous=Lang.ru,  # type: ignore[arg-type]
                           interface=Lang.en) is Lang.de
    unsure = _Parsed("en", 0.5)
    assert choose_language(chosen=None, parsed=unsure, previous=Lang.ru,  # type: ignore[arg-type]
                           interface=Lang.en) is Lang.ru
    assert choose_language(chosen=None, parsed=None, previous=None, interface=Lang.be) is Lang.be
    assert choose_language(chosen=None, parsed=None, previous=None, interface=None) is Lang.ru


def test_references_round_trip_and_reject_what_is_not_ours() -> None:
    refs = Refs(make_pack())
    action = Action(kind=ActionKind.option, flow=LONG_FLOW, step=LONG_STEP, index=1)
    compact = Refs.compact(action)
    assert len(compact.f) == len(compact.s) == 6 and ":" not in compact.f + compact.s
    assert refs.expand(compact) == action
    assert refs.expand(Compact("z")) == forged()
    assert refs.expand(Compact("o", "AAAAAA", "BBBBBB", 0)).flow == UNKNOWN
    assert refs.expand(Compact("o", ref(LONG_FLOW), "BBBBBB", 0)).step == UNKNOWN
    assert refs.expand(Compact("o", ref(LONG_FLOW), ref(LONG_STEP), 10**9)).index == -1
    assert refs.expand(Compact("m")) == Action(kind=ActionKind.menu)


def test_events_seal_text_and_survive_the_stream_round_trip() -> None:
    sealer = Sealer("e" * 40, "text")
    event = message_event(sealer, type=EventType.message_in, conversation="p" * 32,
                          text="повестка", lang="ru", intent="summons", id="tg:x:1")
    assert event.text is not None and "повестка" not in event.text
    fields = event.fields()
    again = ConversationEvent.from_fields({k.encode(): v.encode() for k, v in fields.items()})
    assert again == event
    assert sealer.open(again.text or "", context="p" * 32) == "повестка"
    assert erase_event("p" * 32).type is EventType.erase
    with pytest.raises(ValueError):
        ConversationEvent.from_fields({b"other": b"{}"})
    with pytest.raises(ValidationError):
        ConversationEvent.from_fields({"event": '{"type": "message_in"}'})
    with pytest.raises(ValidationError):
        ConversationEvent(type=EventType.erase, conversation="p", channel="sms")  # type: ignore[arg-type]


def test_ready_checks_a_message_once_and_queues_copies_with_their_own_id_and_chat() -> None:
    from bot.dialogue import BotButton, Message
    from bot.outgoing import ready, render
    from handoff.outbox import entry_data

    menu = Message("Menu", (BotButton("Back", action=Action(kind=ActionKind.back)),), protect=True)
    first = ready(5, menu, None, id="tg:a:1:0", delete_after=3600)
    again = ready(6, Message("Menu", menu.buttons, protect=True), None, id="tg:b:2:0",
                  delete_after=3600)
    expected = entry_data(render(5, menu, None, id="tg:a:1:0", delete_after=3600))
    assert (first.id, first.chat_id, first.data) == ("tg:a:1:0", 5, expected)
    assert (again.id, again.chat_id) == ("tg:b:2:0", 6)
    assert again.data == first.data
    assert ready(7, menu, None, id="tg:c:3:0", delete_after=3600).data is first.data  # kept
    # The delete-after choice is part of what is queued: not shared between choices.
    assert '"delete_after"' not in ready(5, menu, None, id="tg:a:1:1").data
    # A message the outbox refuses is refused every time, never cached.
    for _ in range(2):
        with pytest.raises(ValidationError):
            ready(5, Message("   "), None, id="tg:a:1:2")


def test_from_reply_keeps_a_reply_s_message_and_never_mixes_two_replies() -> None:
    from bot.dialogue import from_reply
    from flows.outcome import Button, Reply

    reply = Reply(text="Hi", buttons=[Button(label="Menu", action=Action(kind=ActionKind.menu))],
                  protect_content=True)
    message = from_reply(reply)
    assert from_reply(reply) is message
    assert (message.text, message.protect, [b.label for b in message.buttons]) == (
        "Hi", True, ["Menu"])
    other = Reply(text="Hi")  # equal text, another reply: its own message
    assert from_reply(other) is not message and from_reply(other).buttons == ()


def test_settle_freezes_start_up_objects_and_spaces_young_collections() -> None:
    import gc

    from hotline import heap

    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    try:
        keep = [{"start-up": i} for i in range(1000)]
        heap.settle()
        assert gc.get_freeze_count() >= frozen + len(keep)
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == threshold[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_sends_in_flight_follow_what_the_rate_lets_one_reserve() -> None:
    from bot.ratelimit import RateLimits
    from bot.sender_config import MIN_IN_FLIGHT, SenderConfig

    assert SenderConfig().in_flight == MIN_IN_FLIGHT == 16  # Telegram's 30/s: as always
    assert SenderConfig(limits=RateLimits(global_rate=1e6)).in_flight == 64  # a local server
    assert SenderConfig(limits=RateLimits(global_rate=200)).in_flight == 64
    assert SenderConfig(limits=RateLimits(global_rate=80)).in_flight == 38
    assert SenderConfig(limits=RateLimits(global_rate=1e6), concurrency=4).in_flight == 4


def test_alike_records_load_as_one_object_and_a_record_with_tickets_is_not_kept() -> None:
    from bot.conversation import Conversation

    raw = Conversation().with_language(Lang.uk, chosen=True).dump()
    first = Conversation.load(raw)
    assert first is not None and first.lang is Lang.uk and first.lang_chosen
    assert Conversation.load(bytes(raw)) is first  # the same bytes, another object: kept
    with_ticket = first.with_ticket("1-1").dump()
    assert Conversation.load(with_ticket) is not Conversation.load(with_ticket)
    assert Conversation.load(b'{"state": 5}') is None  # unreadable: a fresh record follows


def test_identity_memo_finds_values_by_the_very_objects_they_were_made_from() -> None:
    from bot.memo import MISSING, IdentityMemo

    memo: IdentityMemo[str | None] = IdentityMemo(3)
    first, second = ["a"], ["a"]  # equal, not the same
    assert memo.put("for first", first) == "for first"
    assert memo.get(first) == "for first"
    assert memo.get(second) is MISSING
    assert memo.get(first, plain=1) is MISSING  # the plain part is part of the key
    assert memo.put(None, first, second) is None  # None is a value like any other
    assert memo.get(first, second) is None and memo.get(second, first) is MISSING
    memo.put("x", second, plain=1)
    memo.put("y", second, plain=2)  # full: starts over
    assert memo.get(first) is MISSING and memo.get(second, plain=2) == "y"


def test_memo_keeps_values_by_key_and_starts_over_when_full() -> None:
    from bot.memo import Memo

    memo: Memo[str, int] = Memo(2)
    assert memo.get("a") is None
    assert memo.put("a", 1) == 1 and memo.put("b", 2) == 2
    assert (memo.get("a"), memo.get("b")) == (1, 2)
    memo.put("c", 3)  # full: starts over
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (None, None, 3)
