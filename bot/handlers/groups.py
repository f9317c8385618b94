"""Outside private chats the bot does not converse: a person could expose themselves in a group.

In a group or supergroup the bot says ONCE (per group, for 30 days) that it
works only in a private chat, then stays silent; nothing said there is read
further or recorded. Buttons pressed in a group are answered with nothing.
Channel posts have no handler at all.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from redis.asyncio import Redis

from bot.handlers.common import acknowledge
from bot.handlers.filters import not_private, tapped_outside_private
from bot.texts import T, text
from bot.understanding import from_telegram
from flows.schema import Lang
from handoff import keys
from handoff.outbox import Outbox, OutgoingMessage
from hotline.crypto import Pseudonymizer

NOTICE_TTL = 30 * 24 * 3600


async def in_group(message: Message, redis: Redis, outbox: Outbox,
                   pseudonymize: Pseudonymizer) -> None:
    if message.chat.type == "channel":
        return
    marker = keys.BOT_GROUP_NOTICE + pseudonymize("telegram-group", message.chat.id)
    if not await redis.set(marker, 1, nx=True, ex=NOTICE_TTL):
        return
    code = message.from_user.language_code if message.from_user else None
    lang = from_telegram(code) or Lang.ru
    await outbox.enqueue(OutgoingMessage(chat_id=message.chat.id, text=text(T.group_only, lang)))


async def button_in_group(query: CallbackQuery) -> None:
    await acknowledge(query)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="groups")
    router.message.filter(not_private)
    router.callback_query.filter(tapped_outside_private)
    router.message.register(in_group)
    router.callback_query.register(button_in_group)
    return router
