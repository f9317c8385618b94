"""Who sent an update, as the rest of the bot may know them: a pseudonym and a chat to answer.

The Telegram user id is turned into a keyed hash here, once; handlers,
logs, events and Redis keys use the pseudonym. The raw chat id stays in this
process (and in the outbox entries the sender needs) and is sealed wherever
it is stored for later, such as a handoff ticket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User

from hotline.crypto import Pseudonymizer

CHANNEL = "telegram"


@dataclass(frozen=True, slots=True)
class Person:
    pseudonym: str
    chat_id: int
    #: Only private chats are conversations; in groups the bot just points to the private chat.
    private: bool
    #: Telegram's interface language tag ("ru", "en-US"), a hint only.
    language_code: str | None


class IdentityMiddleware(BaseMiddleware):
    """Puts ``person`` (or None for updates from no one, e.g. channel posts) into the data."""

    def __init__(self, pseudonymize: Pseudonymizer) -> None:
        self._pseudonymize = pseudonymize

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        person = None
        if user is not None and chat is not None and not user.is_bot:
            person = Person(
                pseudonym=self._pseudonymize(CHANNEL, user.id),
                chat_id=chat.id,
                private=chat.type == "private",
                language_code=user.language_code,
            )
        data["person"] = person
        return await handler(event, data)
