"""Which language to answer in, decided once per update before any handler runs.

Precedence (bot/understanding.py): an explicit choice kept in the record,
then the language the text is confidently written in, then the conversation's
language so far, then Telegram's ``language_code`` mapped to ru/uk/be/en/de,
then Russian. Reading the text's language needs the classifier, so a text
message is parsed here, once, and the parse handed on as ``parsed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.conversation import Conversation
from bot.middlewares.identity import Person
from bot.understanding import Classifier, Parsed, choose_language, from_telegram


class LanguageMiddleware(BaseMiddleware):
    """Sets ``lang`` and ``parsed`` (None unless the update is a private text message)."""

    def __init__(self, nlu: Classifier) -> None:
        self._nlu = nlu

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        person: Person | None = data.get("person")
        conversation: Conversation | None = data.get("conversation")
        interface = from_telegram(person.language_code) if person is not None else None
        parsed: Parsed | None = None
        message = event.message if isinstance(event, Update) else None
        if person is not None and person.private and message is not None and message.text \
                and not message.text.startswith("/"):
            hint = conversation.lang.value if conversation is not None else (
                person.language_code)
            parsed = self._nlu.parse(message.text, language_hint=hint)
        chosen = conversation.lang if conversation is not None and conversation.lang_chosen \
            else None
        previous = conversation.lang if conversation is not None else None
        data["parsed"] = parsed
        data["lang"] = choose_language(chosen=chosen, parsed=parsed, previous=previous,
                                       interface=interface)
        return await handler(event, data)
