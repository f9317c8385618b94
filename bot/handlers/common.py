"""Small helpers every handler uses: the record to work on, answering a button, its label."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiohttp import ClientError, ClientTimeout
from pydantic_core import to_json

from bot.conversation import Conversation
from flows.schema import Lang

log = logging.getLogger(__name__)


def working_copy(conversation: Conversation | None, lang: Lang) -> Conversation:
    """The person's record (a fresh one for a first contact) speaking ``lang`` this turn."""
    return (conversation or Conversation()).with_language(lang, chosen=False)


async def acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner (answerCallbackQuery may be called directly, not via the
    outbox); an old or already answered query is not worth failing the turn for."""
    short = text[:200] if text else None
    bot = query.bot
    try:
        if bot is not None and isinstance(bot.session, AiohttpSession):
            await _answer(bot, bot.session, query.id, short)
        else:
            await query.answer(short)
    except TelegramAPIError as exc:
        log.info("callback query not answered: %s", type(exc).__name__)


_JSON = {"Content-Type": "application/json"}


async def _answer(bot: Bot, session: AiohttpSession, query_id: str, text: str | None) -> None:
    """answerCallbackQuery as one JSON POST on the bot's own aiohttp session.

    Every tap is answered, and aiogram's way — a pydantic method object, a
    multipart form, the answer validated back into a model — cost ~3 times
    this (bench/bot_pipeline.py). Its connections are the bot's: closing the
    bot's session closes them.
    """
    payload: dict[str, str] = {"callback_query_id": query_id}
    if text:
        payload["text"] = text
    client = await session.create_session()
    url = session.api.api_url(token=bot.token, method="answerCallbackQuery")
    try:
        async with client.post(url, data=to_json(payload), headers=_JSON,
                               timeout=ClientTimeout(total=float(session.timeout))) as response:
            await response.read()
            status = response.status
    except (TimeoutError, ClientError) as exc:
        log.info("callback query not answered: %s", type(exc).__name__)
        return
    if status != 200:  # too old, already answered: the turn goes on
        log.info("callback query not answered: HTTP %s", status)


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
