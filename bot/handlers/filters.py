"""The routers' filters as coroutines, because aiogram runs plain callables in a thread.

aiogram 3 calls any filter that is not awaitable — a magic filter such as
``F.text`` included — through ``asyncio.to_thread``: a thread hop per filter
per update (~3.6 per update in bench/bot_pipeline.py), paid in latency and in
GIL hand-offs. These predicates say the same as the magic filters they replace
(a missing attribute rejects, as it does there) and run on the event loop.
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from handoff.ownership import BOT, Holder, HolderKind


async def has_text(message: Message) -> bool:
    """``F.text``: the message carries non-empty text."""
    return bool(message.text)


async def is_command(message: Message) -> bool:
    """A router-level gate before aiogram's ``Command`` filters: they parse every text
    message (a regex and a bot lookup each), while most texts are no command at all."""
    return (message.text or "").startswith("/")


async def free_text_with_bot(message: Message, holder: Holder = BOT) -> bool:
    """Text that is no command, in a private chat the bot holds: most of what people send,
    so its router comes first; groups and handed-off chats go on to their own routers."""
    text = message.text or ""
    return bool(text) and not text.startswith("/") and message.chat.type == "private" \
        and holder.kind is HolderKind.bot


async def tapped_with_bot(query: CallbackQuery, holder: Holder = BOT) -> bool:
    """A button in a private chat the bot holds (a button with no message is not in a group)."""
    message = query.message
    return (message is None or message.chat.type == "private") \
        and holder.kind is HolderKind.bot


async def has_no_text(message: Message) -> bool:
    """``~F.text``: media, stickers, contacts, service messages."""
    return not message.text


async def in_private(message: Message) -> bool:
    """``F.chat.type == "private"``."""
    return message.chat.type == "private"


async def not_private(message: Message) -> bool:
    """``F.chat.type != "private"``: groups, supergroups, channels."""
    return message.chat.type != "private"


async def tapped_outside_private(query: CallbackQuery) -> bool:
    """``F.message.chat.type != "private"``; a button with no message is not in a group."""
    return query.message is not None and query.message.chat.type != "private"
