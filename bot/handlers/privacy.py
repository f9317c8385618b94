"""/privacy (what is kept, auto-delete) and /forget (erase everything, now).

/forget erases the open ticket, the holder and pending stream entries naming the
person (bot/erasure.py), then, in one transaction: the record (state, language,
settings, ticket ids), the duplicate and flood keys, the person's handoff tickets; it
emits an ``erase`` event so the api deletes their transcripts, and queues the
outbox's ``deleteRecent`` for this chat — behind anything already queued, so
those messages are deleted too — and then the confirmation, which is the only
message left and is not recorded anywhere.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, Update

from bot.callbacks import AutoDeleteCb, ForgetCb
from bot.conversation import Conversation
from bot.dialogue import forget_question, notice, privacy_message
from bot.erasure import erase_handoff
from bot.handlers.common import acknowledge, pressed_label, working_copy
from bot.handlers.filters import is_command
from bot.middlewares.identity import Person
from bot.outgoing import render
from bot.texts import AUTODELETE_HOURS, T, text
from bot.turns import Turns
from flows.schema import Lang
from handoff.events import add_events, erase_event
from handoff.outbox import OutgoingMessage
from handoff.queue import HandoffQueue

log = logging.getLogger(__name__)


async def privacy(message: Message, event_update: Update, person: Person,
                  conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    record = working_copy(conversation, lang)
    await turns.commit(person, [privacy_message(lang, record.autodelete_hours)], context=record,
                       save=True, said="/privacy", update_id=event_update.update_id,
                       message_id=message.message_id)


async def set_autodelete(query: CallbackQuery, callback_data: AutoDeleteCb, event_update: Update,
                         person: Person, conversation: Conversation | None, lang: Lang,
                         turns: Turns) -> None:
    record = working_copy(conversation, lang)
    hours = callback_data.hours
    if hours not in AUTODELETE_HOURS:  # forged: show the choices again
        reply = privacy_message(lang, record.autodelete_hours)
    else:
        record = record.model_copy(update={"autodelete_hours": hours})
        reply = (notice(T.autodelete_set, lang, hours=hours) if hours
                 else notice(T.autodelete_cleared, lang))
    await turns.commit(person, [reply], context=record, save=True, said=pressed_label(query),
                       update_id=event_update.update_id)
    await acknowledge(query)


async def ask_forget(message: Message, event_update: Update, person: Person,
                     conversation: Conversation | None, lang: Lang, turns: Turns) -> None:
    await turns.commit(person, [forget_question(lang)], context=working_copy(conversation, lang),
                       save=True, said="/forget", update_id=event_update.update_id,
                       message_id=message.message_id)


async def forget(query: CallbackQuery, callback_data: ForgetCb, event_update: Update,
                 person: Person, conversation: Conversation | None, lang: Lang,
                 turns: Turns, queue: HandoffQueue) -> None:
    if not callback_data.confirm:
        await turns.commit(person, [notice(T.forget_cancelled, lang)],
                           context=working_copy(conversation, lang), save=True,
                           said=pressed_label(query), update_id=event_update.update_id)
        await acknowledge(query)
        return
    await acknowledge(query, text(T.done, lang))
    # The queue and pending stream entries first: the erase event must come after them.
    await erase_handoff(turns.redis, queue, person.pseudonym)
    base = f"tg:{person.pseudonym[:12]}:{event_update.update_id}"
    async with turns.redis.pipeline(transaction=True) as pipe:
        tickets = turns.store.erase(pipe, person.pseudonym, conversation)
        add_events(pipe, [erase_event(person.pseudonym)])
        await turns.outbox.queue(pipe, OutgoingMessage(id=f"{base}:erase", chat_id=person.chat_id,
                                                       method="deleteRecent"))
        extra = text(T.forget_tickets, lang, count=tickets) if tickets else ""
        done = notice(T.forget_done, lang, tickets=extra)
        await turns.outbox.queue(pipe, render(person.chat_id, done, turns.engines.current.refs,
                                              id=f"{base}:0"))
        await turns.outbox.queue(pipe, OutgoingMessage(id=f"{base}:forget",
                                                       chat_id=person.chat_id,
                                                       method="forgetChat"))
        await pipe.execute()
    log.info("conversation erased on request (%d tickets)", tickets)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="privacy")
    router.message.filter(is_command)
    router.message.register(privacy, Command("privacy"))
    router.callback_query.register(set_autodelete, AutoDeleteCb.filter())
    router.message.register(ask_forget, Command("forget"))
    router.callback_query.register(forget, ForgetCb.filter())
    return router
