"""What the bot does not read: media, locations, contacts, and edits of earlier messages.

Photos, voice, video, stickers, documents, locations and contacts get one
short note that the bot reads text only. None of it is downloaded, stored,
recorded as an event or logged — a location or a phone number is exactly
what must never leak. (Their message ids are remembered, so /forget and
auto-delete remove them from the chat too.)

Edited messages are answered with a note, deliberately not treated as new
text: re-running the flow on a corrected typo would repeat answers out of
order, and silently ignoring the edit would leave the person thinking the bot
read it. The note asks them to send the changed question as a new message.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message, Update

from bot.conversation import Conversation
from bot.dialogue import notice
from bot.handlers.common import working_copy
from bot.handlers.filters import has_no_text, in_private
from bot.middlewares.identity import Person
from bot.texts import T
from bot.turns import Turns
from flows.schema import Lang


async def edited(message: Message, event_update: Update, person: Person,
                 conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    await turns.commit(person, [notice(T.edited, lang)], context=working_copy(conversation, lang),
                       save=False, said=None, update_id=event_update.update_id, record=False)


async def not_text(message: Message, event_update: Update, person: Person,
                   conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    """Anything but text: photos, voice, video, stickers, files, locations, contacts, polls…"""
    await turns.commit(person, [notice(T.text_only, lang)],
                       context=working_copy(conversation, lang), save=False, said=None,
                       update_id=event_update.update_id, record=False,
                       message_id=message.message_id)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="media")
    router.edited_message.filter(in_private)
    router.edited_message.register(edited)
    router.message.register(not_text, has_no_text)
    return router
