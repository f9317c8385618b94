"""The catch-all, included last: whatever no other router took gets a polite answer.

A callback whose data parses as none of our factories (forged, from an old
version of the bot, or truncated) goes to the engine as an action matching no
button, so the person sees "please choose one of the options" where they are.
A command no router knows ("/foo", "/start@otherbot") is read as free text.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Update

from bot.conversation import Conversation
from bot.handlers.common import acknowledge, working_copy
from bot.handlers.filters import has_text
from bot.handlers.text import free_text
from bot.middlewares.identity import Person
from bot.refs import forged
from bot.turns import Turns
from flows.outcome import ButtonInput
from flows.schema import Lang
from handoff.ownership import BOT, Holder, HolderKind


async def unknown_button(query: CallbackQuery, event_update: Update, person: Person | None,
                         conversation: Conversation | None, lang: Lang, turns: Turns,
                         holder: Holder = BOT) -> None:
    if person is None or holder.kind is HolderKind.advisor:  # held: the bot stays silent
        await acknowledge(query)
        return
    await turns.run(person, working_copy(conversation, lang), ButtonInput(action=forged()),
                    said="[button]", update_id=event_update.update_id)
    await acknowledge(query)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="fallback")
    router.callback_query.register(unknown_button)
    router.message.register(free_text, has_text)
    return router
