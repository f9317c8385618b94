"""Free text in a private chat: classified once (by the language middleware), then the engine.

Telegram caps a message at 4,096 characters and the classifier reads a
bounded prefix, so a wall of text costs no more than a long message; an
emoji-only text has no words and is read as out of scope, which the engine
answers with the menu. The text itself goes only into the sealed event.

This router comes first (bot/app.py) and takes only a private chat the bot
holds; commands are not taken here, and a command no router knows ("/foo")
reaches the same handler through the catch-all (bot/handlers/fallback.py).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message, Update

from bot.conversation import Conversation
from bot.handlers.common import working_copy
from bot.handlers.filters import free_text_with_bot
from bot.middlewares.identity import Person
from bot.turns import Turns
from bot.understanding import Parsed, to_understanding
from flows.outcome import TextInput
from flows.schema import Lang


async def free_text(message: Message, event_update: Update, person: Person,
                    conversation: Conversation | None, lang: Lang, parsed: Parsed | None,
                    turns: Turns) -> None:
    said = message.text or ""
    understanding = to_understanding(parsed) if parsed is not None else None
    await turns.run(person, working_copy(conversation, lang),
                    TextInput(text=said, understanding=understanding), said=said,
                    update_id=event_update.update_id, message_id=message.message_id)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="text")
    router.message.register(free_text, free_text_with_bot)
    return router
