"""Rendering channel-neutral messages for Telegram and queueing them on the outbox.

One inline button per row (labels are short and people tap with thumbs);
callback data from the factories of :mod:`bot.callbacks`. No parse mode:
flow texts are plain, so a "<" in content can never break a message.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.callbacks import ActionCb, AutoDeleteCb, ForgetCb, HandoffCb, LanguageCb
from bot.dialogue import BotButton, Message
from bot.memo import MISSING, IdentityMemo
from bot.refs import Refs
from handoff.outbox import OutgoingMessage, Ready, entry_data


def callback_data(button: BotButton, refs: Refs | None) -> str:
    if button.action is not None:
        return ActionCb.of(button.action)
    if button.lang is not None:
        return LanguageCb(lang=button.lang).pack()
    if button.autodelete is not None:
        return AutoDeleteCb(hours=button.autodelete).pack()
    if button.data is not None:
        return button.data
    if button.handoff is not None:
        move, _, then = button.handoff.partition(":")
        return HandoffCb(a=move, then=then).pack()
    return ForgetCb(confirm=bool(button.forget)).pack()


def markup(message: Message, refs: Refs | None) -> dict[str, Any] | None:
    """The inline keyboard (shared between messages with the same buttons: read only)."""
    if not message.buttons:
        return None
    return _keyboard(message.buttons)


@lru_cache(maxsize=2048)
def _keyboard(buttons: tuple[BotButton, ...]) -> dict[str, Any]:
    """Kept by the buttons themselves: a pack's menus and steps repeat endlessly, and
    packing their callback data was ~5 % of an update's CPU (bench/bot_pipeline.py)."""
    rows = [[{"text": b.label, "callback_data": callback_data(b, None)}] for b in buttons]
    return {"inline_keyboard": rows}


def render(
    chat_id: int, message: Message, refs: Refs | None, *, id: str, delete_after: int = 0,
) -> OutgoingMessage:
    """``message`` as the outbox's sendMessage; ``id`` makes a retried turn queue it once."""
    return OutgoingMessage(
        id=id,
        chat_id=chat_id,
        text=message.text,
        reply_markup=markup(message, refs),
        protect_content=message.protect,
        disable_link_preview=True,
        delete_after=delete_after or None,
    )


def ready(
    chat_id: int, message: Message, refs: Refs | None, *, id: str, delete_after: int = 0,
) -> Ready:
    """``message`` as :func:`render` makes it, ready for a turn's enqueue.

    The bot says the same menus and steps again and again: each message is
    validated and dumped once, then queued with its own id and chat. Turn ids
    are made by bot/turns.py in the outbox's id alphabet, so only the message
    part needs the check.
    """
    data = _DATA.get(message, plain=delete_after)
    if data is MISSING:
        data = _DATA.put(entry_data(render(chat_id, message, refs, id=id,
                                           delete_after=delete_after)),
                         message, plain=delete_after)
    return Ready(id, chat_id, data)


#: A message's entry JSON (bot/memo.py): the engine's messages and their joins are kept
#: objects, so they hit; a notice made anew is dumped anew.
_DATA: IdentityMemo[str] = IdentityMemo(2048)

