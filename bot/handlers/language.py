"""/language and the language buttons: an explicit choice that detection no longer overrides."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, Update

from bot.callbacks import LanguageCb
from bot.conversation import Conversation
from bot.dialogue import language_picker, notice
from bot.handlers.common import acknowledge, pressed_label, working_copy
from bot.handlers.filters import is_command
from bot.middlewares.identity import Person
from bot.texts import T
from bot.turns import Turns
from flows.outcome import Command as EngineCommand
from flows.outcome import CommandInput
from flows.schema import Lang
from handoff.ownership import BOT, Holder, HolderKind


async def ask_language(message: Message, event_update: Update, person: Person,
                       conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    await turns.commit(person, [language_picker(lang)], context=working_copy(conversation, lang),
                       save=True, said="/language", update_id=event_update.update_id,
                       message_id=message.message_id)


async def set_language(query: CallbackQuery, callback_data: LanguageCb, event_update: Update,
                       person: Person, conversation: Conversation | None, lang: Lang,
                       turns: Turns, holder: Holder = BOT) -> None:
    """Keep the choice, confirm it in the new language, and show the menu in it (only the
    confirmation while queued or held: the engine does not run then)."""
    record = working_copy(conversation, lang).with_language(callback_data.lang, chosen=True)
    if holder.kind is not HolderKind.bot:
        await turns.commit(person, [notice(T.language_set, callback_data.lang)], context=record,
                           save=True, said=pressed_label(query),
                           update_id=event_update.update_id)
        await acknowledge(query)
        return
    await turns.run(person, record, CommandInput(command=EngineCommand.menu),
                    said=pressed_label(query), update_id=event_update.update_id,
                    before=[notice(T.language_set, callback_data.lang)])
    await acknowledge(query)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="language")
    router.message.filter(is_command)
    router.message.register(ask_language, Command("language"))
    router.callback_query.register(set_language, LanguageCb.filter())
    return router
