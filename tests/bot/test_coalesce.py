"""bot.dialogue.coalesce: a turn's messages as few bubbles as fit Telegram's limit."""

from __future__ import annotations

import pytest

from bot.dialogue import BotButton, Message, coalesce, from_reply
from flows.outcome import Action, ActionKind, Button
from flows.render import replies, split_text
from flows.schema import TELEGRAM_TEXT_LIMIT
from flows.texts import text_length

MENU = (BotButton(label="menu", action=Action(kind=ActionKind.menu)),)
BACK = (BotButton(label="back", action=Action(kind=ActionKind.back)),)
#: Two UTF-16 code units, one Python character: Telegram counts the former.
ASTRAL = "😀"


def test_the_limit_is_telegrams() -> None:
    assert TELEGRAM_TEXT_LIMIT == 4096
    assert text_length(ASTRAL) == 2 and len(ASTRAL) == 1


def test_an_empty_turn_stays_empty() -> None:
    assert coalesce([]) == []
    assert coalesce(iter(())) == []


def test_a_single_message_is_unchanged() -> None:
    alone = Message("alone", MENU, protect=True)
    assert coalesce([alone]) == [alone]


def test_a_buttonless_message_joins_the_next_and_takes_its_buttons() -> None:
    out = coalesce([Message("hello"), Message("menu prompt", MENU)])
    assert out == [Message("hello\n\nmenu prompt", MENU, protect=False)]


def test_two_buttonless_messages_become_one_without_buttons() -> None:
    assert coalesce([Message("one"), Message("two")]) == [Message("one\n\ntwo")]


def test_a_message_with_buttons_is_not_joined_to_the_following_one() -> None:
    question, after = Message("question", BACK), Message("note")
    assert coalesce([question, after]) == [question, after]
    # nor is it joined to a following one with buttons of its own
    menu = Message("menu prompt", MENU)
    assert coalesce([question, menu]) == [question, menu]


def test_three_messages_where_only_the_last_has_buttons_become_one() -> None:
    out = coalesce([Message("notice"), Message("greeting"), Message("menu prompt", MENU)])
    assert out == [Message("notice\n\ngreeting\n\nmenu prompt", MENU)]


def test_a_bubble_ends_at_buttons_and_a_new_one_starts_after_them() -> None:
    out = coalesce([Message("a"), Message("b", BACK), Message("c"), Message("d", MENU),
                    Message("e")])
    assert out == [Message("a\n\nb", BACK), Message("c\n\nd", MENU), Message("e")]


@pytest.mark.parametrize(("first", "second"), [(False, False), (True, False), (False, True),
                                                (True, True)])
def test_the_joined_bubble_is_protected_when_either_part_was(first: bool, second: bool) -> None:
    (out,) = coalesce([Message("a", protect=first), Message("b", MENU, protect=second)])
    assert out == Message("a\n\nb", MENU, protect=first or second)


def test_a_protected_message_with_buttons_keeps_the_next_unprotected() -> None:
    shown = coalesce([Message("a", BACK, protect=True), Message("b")])
    assert [m.protect for m in shown] == [True, False]


def test_joined_text_exactly_at_the_limit_joins_counting_utf16_units() -> None:
    first = ASTRAL * 1000  # 2,000 units, 1,000 characters
    second = "x" * (TELEGRAM_TEXT_LIMIT - 2000 - len("\n\n"))
    (out,) = coalesce([Message(first), Message(second, MENU)])
    assert out == Message(first + "\n\n" + second, MENU)
    assert text_length(out.text) == TELEGRAM_TEXT_LIMIT
    # the astral character in the second part counts twice as well
    second = "x" * (TELEGRAM_TEXT_LIMIT - 2000 - len("\n\n") - 2) + ASTRAL
    (out,) = coalesce([Message(first), Message(second, MENU)])
    assert text_length(out.text) == TELEGRAM_TEXT_LIMIT


def test_joined_text_one_unit_over_the_limit_stays_two_messages() -> None:
    first = ASTRAL * 1000
    second = "x" * (TELEGRAM_TEXT_LIMIT - 2000 - len("\n\n") + 1)
    joined = first + "\n\n" + second
    assert text_length(joined) == TELEGRAM_TEXT_LIMIT + 1
    assert len(joined) < TELEGRAM_TEXT_LIMIT  # counting characters would have joined them
    parts = [Message(first), Message(second, MENU)]
    assert coalesce(parts) == parts
    # an astral character one unit too many: its two units do not fit in the one left
    second = "x" * (TELEGRAM_TEXT_LIMIT - 2000 - len("\n\n") - 1) + ASTRAL
    parts = [Message(first), Message(second, MENU)]
    assert text_length(first + "\n\n" + second) == TELEGRAM_TEXT_LIMIT + 1
    assert coalesce(parts) == parts


def test_a_message_that_does_not_fit_starts_a_bubble_the_next_may_join() -> None:
    big = "y" * (TELEGRAM_TEXT_LIMIT - 1)
    out = coalesce([Message("note"), Message(big), Message("menu prompt", MENU)])
    assert out == [Message("note"), Message(big), Message("menu prompt", MENU)]
    small = "y" * 100
    out = coalesce([Message(big, BACK), Message(small), Message("menu prompt", MENU)])
    assert out == [Message(big, BACK), Message(small + "\n\nmenu prompt", MENU)]


def _buttons() -> list[Button]:
    return [Button(label="next", action=Action(kind=ActionKind.menu))]


#: Long texts as the flows write them, cut by split_text at each kind of boundary.
LONG_TEXTS = {
    "paragraphs": "\n\n".join(f"Абзац {i}. " + "слово " * (40 + i % 17) + ASTRAL
                              for i in range(60)),
    "lines": "\n".join(f"- пункт {i}: " + "слово " * (30 + i % 11) for i in range(80)),
    "words": " ".join(f"слово{i}{ASTRAL if i % 7 == 0 else ''}" for i in range(3000)),
    "one long word": ASTRAL * 5000 + "x" * 3,
}


@pytest.mark.parametrize("kind", LONG_TEXTS)
@pytest.mark.parametrize("protect", [False, True])
def test_a_long_text_split_by_split_text_is_never_joined_again(kind: str, protect: bool) -> None:
    long = LONG_TEXTS[kind]
    pieces = [from_reply(r) for r in replies(long, _buttons(), protect=protect)]
    assert [m.text for m in pieces] == split_text(long)
    assert len(pieces) >= 2 and all(text_length(m.text) <= TELEGRAM_TEXT_LIMIT for m in pieces)
    assert [bool(m.buttons) for m in pieces] == [False] * (len(pieces) - 1) + [True]
    assert coalesce(pieces) == pieces
    # a menu after a buttonless last piece may join that piece, never the pieces before it
    bare = [from_reply(r) for r in replies(long, protect=protect)]
    menu = Message("menu prompt", MENU)
    last = bare[-1].text + "\n\n" + menu.text
    assert text_length(last) <= TELEGRAM_TEXT_LIMIT  # these texts end in a short piece
    assert coalesce([*bare, menu]) == [*bare[:-1], Message(last, MENU, protect=protect)]
