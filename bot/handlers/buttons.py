"""Taps on flow buttons: the compact action is expanded against the current bundle.

A stale or forged reference expands to an action that matches no button, and
the engine answers it with "please choose one of the options" where the
person is — never an exception.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Update

from bot.callbacks import ActionCb
from bot.conversation import Conversation
from bot.handlers.common import acknowledge, pressed_label, working_copy
from bot.handlers.filters import tapped_with_bot
from bot.middlewares.identity import Person
from bot.turns import Turns
from flows.outcome import ButtonInput
from flows.schema import Lang


async def tapped(query: CallbackQuery, callback_data: ActionCb, event_update: Update,
                 person: Person, conversation: Conversation | None, lang: Lang,
                 turns: Turns) -> None:
    action = callback_data.action(turns.engines.current.refs)
    await turns.run(person, working_copy(conversation, lang), ButtonInput(action=action),
                    said=pressed_label(query), update_id=event_update.update_id)
    await acknowledge(query)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="buttons")
    router.callback_query.register(tapped, tapped_with_bot, ActionCb.filter())
    return router
