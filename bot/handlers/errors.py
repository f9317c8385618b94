"""A handler that fails still owes the person an answer: an apology and the way to a human.

Redis being unreachable is not apologised for — nothing could be queued
anyway; the error propagates so a webhook answers 500 and Telegram
redelivers the update later (the duplicate mark was released by the gate).
Only the exception's type and traceback are logged: its message may quote
what the person wrote.
"""

from __future__ import annotations

import logging
import traceback

from aiogram import Router
from aiogram.types import ErrorEvent
from redis.exceptions import RedisError

from bot.conversation import Conversation
from bot.dialogue import notice
from bot.middlewares.identity import Person
from bot.texts import T
from bot.turns import Turns
from flows.schema import Lang

log = logging.getLogger(__name__)


async def failed(event: ErrorEvent, turns: Turns, person: Person | None = None,
                 conversation: Conversation | None = None, lang: Lang = Lang.ru) -> bool:
    exc = event.exception
    log.error("update failed: %s\n%s", type(exc).__name__,
              "".join(traceback.format_tb(exc.__traceback__)))
    if isinstance(exc, RedisError | OSError) or person is None or not person.private:
        raise exc
    context = (conversation or Conversation()).with_language(lang, chosen=False)
    await turns.commit(person, [notice(T.sorry, lang)], context=context, save=False,
                       said=None, update_id=event.update.update_id, record=False)
    return True


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="errors")
    router.errors.register(failed)
    return router
