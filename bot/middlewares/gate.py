"""The door of every update: duplicates dropped, floods calmed, the record loaded — one Redis call.

- Duplicate updates: Telegram redelivers a webhook update it got no answer
  for, and two replicas may poll the same one; an update id seen before is
  dropped (a per-person sorted set of recent ids; SET NX for updates from no
  one). If handling fails, the mark is removed so a redelivery is processed.
- Flood control: more than ``FLOOD_LIMIT`` updates a minute from one person
  gets ONE calm notice, then silence until the window ends — not a reply per
  message, which would only feed the flood.
- The conversation record is loaded by the same Lua call (see bot/store.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update
from redis.exceptions import RedisError

from bot.conversation import Conversation
from bot.dialogue import notice
from bot.middlewares.identity import Person
from bot.store import ConversationStore
from bot.texts import T, text
from bot.turns import Turns
from bot.understanding import from_telegram
from flows.schema import Lang
from handoff.ownership import BOT, HolderKind

log = logging.getLogger(__name__)


class GateMiddleware(BaseMiddleware):
    def __init__(self, store: ConversationStore, turns: Turns) -> None:
        self._store = store
        self._turns = turns

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        person = data.get("person")
        if person is None or not person.private:
            if not await self._store.first_time(event.update_id):
                return None
            data["holder"] = BOT
            return await handler(event, data)
        intake = await self._store.intake(person.pseudonym, event.update_id, person.chat_id)
        if intake.duplicate:
            log.info("duplicate update dropped")
            return None
        held = intake.holder.kind is HolderKind.advisor
        if intake.flooded:
            # While an advisor holds the chat the bot says nothing by itself, not even this.
            if intake.first_flooded and not held:
                await self._calm(event, person, intake.conversation)
            return None
        conversation = intake.conversation
        if conversation is not None:
            conversation = conversation.reconcile(intake.holder.kind is not HolderKind.bot,
                                                  dt.datetime.now(dt.UTC))
        data["conversation"] = conversation
        data["holder"] = intake.holder
        try:
            return await handler(event, data)
        except Exception:
            try:
                await self._store.release(person.pseudonym, event.update_id)
            except RedisError:
                log.warning("duplicate mark not released: Redis unreachable")
            raise

    async def _calm(
        self, update: Update, person: Person, conversation: Conversation | None,
    ) -> None:
        lang = conversation.lang if conversation is not None else (
            from_telegram(person.language_code) or Lang.ru)
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(text(T.flood, lang)[:200])
            except TelegramAPIError as exc:
                log.info("flood notice not shown on the button: %s", type(exc).__name__)
        await self._turns.commit(person, [notice(T.flood, lang)], context=conversation,
                                 save=False, said=None, update_id=update.update_id, record=False)
