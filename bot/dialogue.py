"""One turn of a conversation, the same for Telegram and the web chat.

The engine decides what the flows say; this module adds what only the bot
can do around it — the language buttons of the language flow, the honest
handoff confirmation and the ticket, the bot's own notices — and returns it
all as channel-neutral :class:`Message` values for the channel to render.
Pure: no I/O, so both channels commit a turn's writes in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from bot.conversation import Conversation
from bot.engines import Current
from bot.memo import MISSING, IdentityMemo
from bot.texts import AUTODELETE_HOURS, LANGUAGE_NAMES, T, text
from bot.tickets import HandoffTicket
from flows.outcome import Action, HandoffRequest, Input, Outcome, Reply
from flows.schema import TELEGRAM_TEXT_LIMIT, Lang, Priority
from flows.texts import text_length

#: The intent whose flow is a language question: the bot adds the language buttons.
LANGUAGE_INTENT = "change_language"
_RANK = {Priority.urgent: 0, Priority.high: 1, Priority.normal: 2}


@dataclass(frozen=True, slots=True)
class BotButton:
    """A button: an engine action, or one of the bot's own (language, auto-delete, forget)."""

    label: str
    action: Action | None = None
    lang: Lang | None = None
    autodelete: int | None = None
    forget: bool | None = None
    #: A queue move: "withdraw", "leave:start", "leave:menu" or "stay" (bot/handlers/handoff.py).
    handoff: str | None = None
    #: Ready-made callback data, the same on both channels (the survey's signed answer).
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    buttons: tuple[BotButton, ...] = ()
    protect: bool = False


@dataclass
class Turn:
    """What a turn produced: messages to show, the record to keep, maybe a ticket."""

    conversation: Conversation
    messages: list[Message]
    ticket: HandoffTicket | None = None
    intent: str | None = None
    outcome: Outcome | None = None


def from_reply(reply: Reply) -> Message:
    """The engine's reply as a message; kept per reply, as the engine keeps its replies
    (flows/render.py ``kept``): the same few are shown endlessly."""
    known = _FROM_REPLY.get(reply)
    if known is not MISSING:
        return known
    buttons = tuple(BotButton(label=b.label, action=b.action) for b in reply.buttons)
    return _FROM_REPLY.put(Message(text=reply.text, buttons=buttons,
                                   protect=reply.protect_content), reply)


_FROM_REPLY: IdentityMemo[Message] = IdentityMemo(4096)


def coalesce(messages: Iterable[Message]) -> list[Message]:
    """A turn's messages as few bubbles as fit: one without buttons joins the next.

    A greeting before the menu, the handoff note before the flow's words,
    "sorry" before the question asked again: each pair reads as one answer,
    and as two messages it buzzed a phone twice (one that may be watched),
    spent two of Telegram's ~30 messages/s while everyone writes at once, and
    left two messages for auto-delete and /forget to remove. A message with
    buttons ends a bubble (its buttons belong under its own text), a joined
    text stays within Telegram's limit, and the bubble is protected when
    either part was.
    """
    out: list[Message] = []
    for message in messages:
        last = out[-1] if out else None
        if last is not None and not last.buttons:
            joined = _joined(last, message)
            if joined is not None:
                out[-1] = joined
                continue
        out.append(message)
    return out


def _joined(first: Message, second: Message) -> Message | None:
    """``first`` and ``second`` as one message, None when that is too long for Telegram.

    Kept per pair of messages: the engine's messages are kept (:func:`from_reply`), so the
    same pairs recur, and keeping their join keeps it the same object — which is what lets
    the outbox's dump of it be kept too (bot/outgoing.py ``ready``).
    """
    known = _JOINED.get(first, second)
    if known is not MISSING:
        return known
    text = first.text + "\n\n" + second.text
    joined = (Message(text, second.buttons, first.protect or second.protect)
              if text_length(text) <= TELEGRAM_TEXT_LIMIT else None)
    return _JOINED.put(joined, first, second)


_JOINED: IdentityMemo[Message | None] = IdentityMemo(4096)


def notice(key: T, lang: Lang, **fields: object) -> Message:
    """One of the bot's own texts as a message; one without fields is the same object each
    time, so its joins and its outbox dump are kept too (see :func:`_joined`)."""
    return Message(text=text(key, lang, **fields)) if fields else _plain_notice(key, lang)


@cache
def _plain_notice(key: T, lang: Lang) -> Message:
    return Message(text=text(key, lang))


@cache
def language_buttons() -> tuple[BotButton, ...]:
    return tuple(BotButton(label=LANGUAGE_NAMES[lang], lang=lang) for lang in Lang)


def _with_language_buttons(message: Message) -> Message:
    """The language question with the language buttons; kept per question, as joins are."""
    known = _WITH_LANGUAGES.get(message)
    if known is not MISSING:
        return known
    return _WITH_LANGUAGES.put(
        Message(message.text, message.buttons + language_buttons(), message.protect), message)


_WITH_LANGUAGES: IdentityMemo[Message] = IdentityMemo(256)


def language_picker(lang: Lang) -> Message:
    return Message(text=text(T.language_prompt, lang), buttons=language_buttons())


def privacy_message(lang: Lang, hours: int) -> Message:
    """/privacy: what is kept, /forget, and the auto-delete choices (the current one marked)."""
    state = (text(T.autodelete_state_on, lang, hours=hours) if hours
             else text(T.autodelete_state_off, lang))
    buttons = []
    for choice in AUTODELETE_HOURS:
        label = (text(T.autodelete_hours, lang, hours=choice) if choice
                 else text(T.autodelete_off, lang))
        buttons.append(BotButton(label=("✅ " if choice == hours else "") + label,
                                 autodelete=choice))
    return Message(text=text(T.privacy, lang, autodelete=state), buttons=tuple(buttons))


def forget_question(lang: Lang) -> Message:
    return Message(text=text(T.forget_confirm, lang), buttons=(
        BotButton(label=text(T.forget_yes, lang), forget=True),
        BotButton(label=text(T.forget_no, lang), forget=False),
    ))


def engine_turn(
    current: Current,
    conversation: Conversation,
    inp: Input,
    *,
    pseudonym: str,
    channel: Literal["telegram", "web"],
    sealed_chat: str | None,
    now: dt.datetime,
    closed_note: Callable[[Lang, dt.datetime], str | None] | None = None,
) -> Turn:
    """Run the engine on ``inp`` and dress its outcome for a channel.

    ``closed_note`` (outside service hours: when advisors are next on duty) is
    added to the handoff note; the flows' own replies — the emergency guidance
    of an urgent request included — follow unchanged.
    """
    outcome = current.engine.handle(conversation.state, inp)
    conversation = conversation.with_state(outcome.state)
    messages = [from_reply(r) for r in outcome.replies]
    lang = outcome.state.lang
    if outcome.intent == LANGUAGE_INTENT and messages:
        messages[0] = _with_language_buttons(messages[0])
    ticket = None
    if outcome.handoff is not None:
        ticket, note, conversation = _handoff(
            conversation, outcome.handoff, lang=lang, pseudonym=pseudonym, channel=channel,
            sealed_chat=sealed_chat, now=now)
        closed = closed_note(lang, now) if closed_note is not None else None
        if closed:
            note = Message(text=note.text + "\n\n" + closed, buttons=note.buttons,
                           protect=note.protect)
        messages.insert(0, note)
    return Turn(conversation=conversation, messages=messages, ticket=ticket,
                intent=outcome.intent, outcome=outcome)


@cache
def _queued_note(key: T, lang: Lang, urgent: bool) -> Message:
    return Message(text=text(key, lang) + ("\n" + text(T.handoff_urgent, lang) if urgent else ""))


def _handoff(
    conversation: Conversation, request: HandoffRequest, *, lang: Lang, pseudonym: str,
    channel: Literal["telegram", "web"], sealed_chat: str | None, now: dt.datetime,
) -> tuple[HandoffTicket | None, Message, Conversation]:
    """A ticket unless the conversation already waits at this priority or higher; the note."""
    waiting = conversation.waiting_now(now)
    if waiting is not None and _RANK[request.priority] >= _RANK[waiting.priority]:
        return None, notice(T.handoff_again, lang), conversation
    ticket = HandoffTicket(
        conversation=pseudonym, channel=channel, lang=lang, intent=request.intent,
        priority=request.priority, reason=request.reason, flow=request.flow, chat=sealed_chat,
        update=waiting is not None, at=now,
    )
    urgent = request.priority is Priority.urgent
    if waiting is not None:
        note = notice(T.handoff_urgent if urgent else T.handoff_again, lang)
    else:
        note = _queued_note(T.handoff_web if channel == "web" else T.handoff_queued, lang, urgent)
    return ticket, note, conversation.queued(request.priority, now)
