"""Small helpers every handler uses: the record to work on, answering a button, its label."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.conversation import Conversation
from flows.schema import Lang

log = logging.getLogger(__name__)


def working_copy(conversation: Conversation | None, lang: Lang) -> Conversation:
    """The person's record (a fresh one for a first contact) speaking ``lang`` this turn."""
    return (conversation or Conversation()).with_language(lang, chosen=False)


async def acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner (answerCallbackQuery may be called directly, not via the
    outbox); an old or already answered query is not worth failing the turn for."""
    try:
        await query.answer(text[:200] if text else None)
    except TelegramAPIError as exc:
        log.info("callback query not answered: %s", type(exc).__name__)


def pressed_label(query: CallbackQuery) -> str:
    """The label of the tapped button, for the transcript ("[button]" when it cannot be found)."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data == query.data:
                    return f"[{button.text}]"
    return "[button]"
