"""/start, /menu, /advisor and /help: the engine's commands, and the bot's own help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message, Update

from bot.conversation import Conversation
from bot.dialogue import notice
from bot.handlers.common import working_copy
from bot.handlers.filters import is_command
from bot.middlewares.identity import Person
from bot.texts import T
from bot.turns import Turns
from flows.outcome import Command as EngineCommand
from flows.outcome import CommandInput
from flows.schema import Lang

_ENGINE_COMMANDS = {"start": EngineCommand.start, "menu": EngineCommand.menu,
                    "advisor": EngineCommand.human, "back": EngineCommand.back}


async def engine_command(message: Message, event_update: Update, person: Person,
                         conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    """The engine's commands; a /start deep-link payload is ignored (it could carry anything)."""
    name = (message.text or "/").split()[0][1:].split("@")[0].lower()
    await turns.run(person, working_copy(conversation, lang),
                    CommandInput(command=_ENGINE_COMMANDS[name]), said=f"/{name}",
                    update_id=event_update.update_id, message_id=message.message_id)


async def help_(message: Message, event_update: Update, person: Person,
                conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    await turns.commit(person, [notice(T.help, lang)], context=working_copy(conversation, lang),
                       save=True, said="/help", update_id=event_update.update_id,
                       message_id=message.message_id)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="commands")
    router.message.filter(is_command)
    router.message.register(engine_command, CommandStart())
    router.message.register(engine_command, Command("menu", "advisor", "back"))
    router.message.register(help_, Command("help"))
    return router
