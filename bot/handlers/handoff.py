"""While a person waits for an advisor or talks with one, the bot steps back.

The holder (handoff/ownership.py) comes with the gate's one Redis call. This
router sits before the commands and decides by it:

- **held by an advisor** — the bot says NOTHING by itself. The person's text
  and button taps are recorded as sealed ``message_in`` events (the advisor's
  console shows them live) and that is all; media and edits are passed over
  silently too (an attachment is noted as such, never read).
- **queued** — the message is recorded just the same and the engine does not
  run; the bot answers at most once per few minutes with the place in the
  queue, an honest estimate and a "back to the bot" button. One exception:
  a text the classifier reads as urgent danger goes to the engine, so the
  emergency guidance is shown at once and the ticket's priority raised.
- /start and /menu ask first whether to leave the queue or the advisor.
  /forget, /language, /privacy and /help keep working (their routers follow).

Also here: the person's queue moves (withdraw, leave, stay) and the answer to
the closing question.
"""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message, Update

from bot.callbacks import ActionCb, HandoffCb, SurveyCb
from bot.conversation import Conversation
from bot.dialogue import BotButton, notice
from bot.dialogue import Message as BotMessage
from bot.handlers.common import acknowledge, pressed_label, working_copy
from bot.handlers.filters import has_no_text, has_text
from bot.middlewares.identity import Person
from bot.queueing import QueueDesk
from bot.texts import T, text
from bot.turns import Turns
from bot.understanding import Parsed, to_understanding
from flows.outcome import Command as EngineCommand
from flows.outcome import CommandInput, TextInput
from flows.schema import Lang
from handoff.ownership import BOT, Holder, HolderKind
from handoff.queue import HandoffQueue

log = logging.getLogger(__name__)

#: Commands that keep working whoever holds the conversation (their own routers answer).
ALWAYS = frozenset({"forget", "language", "privacy", "help"})
#: What the transcript shows for an attachment sent while held (its content is never read).
ATTACHMENT = "[attachment — not read by the system]"
URGENT_INTENT = "urgent_danger"
_LEAVE_TO = {"start": EngineCommand.start, "menu": EngineCommand.menu}


async def handed_off(_: object, holder: Holder = BOT) -> bool:
    return holder.kind is not HolderKind.bot


async def held(_: object, holder: Holder = BOT) -> bool:
    return holder.kind is HolderKind.advisor


async def not_always_command(message: Message) -> bool:
    """Text that is not one of the commands that keep working (/forget, /help, …)."""
    raw = message.text or ""
    if not raw.startswith("/"):
        return True
    return raw.split()[0][1:].split("@")[0].lower() not in ALWAYS


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def ask_leave(message: Message, event_update: Update, person: Person,
                    conversation: Conversation | None, lang: Lang, turns: Turns,
                    holder: Holder) -> None:
    """/start or /menu while queued or held: leave only if the person confirms."""
    name = (message.text or "/").split()[0][1:].split("@")[0].lower()
    key = T.leave_confirm_held if holder.kind is HolderKind.advisor else T.leave_confirm_queued
    question = BotMessage(text=text(key, lang), buttons=(
        BotButton(label=text(T.leave_yes, lang), handoff=f"leave:{name}"),
        BotButton(label=text(T.leave_no, lang), handoff="stay"),
    ))
    await turns.commit(person, [question], context=working_copy(conversation, lang), save=True,
                       said=f"/{name}", update_id=event_update.update_id,
                       message_id=message.message_id)


async def while_handed_off(message: Message, event_update: Update, person: Person,
                           conversation: Conversation | None, lang: Lang, turns: Turns,
                           desk: QueueDesk, holder: Holder, parsed: Parsed | None = None) -> None:
    """Text (and commands other than the ones that always work) while queued or held."""
    said = message.text or ""
    record = working_copy(conversation, lang)
    if holder.kind is HolderKind.queued and parsed is not None \
            and parsed.intent == URGENT_INTENT and not parsed.needs_clarification:
        await turns.run(person, record, TextInput(text=said, understanding=to_understanding(
            parsed)), said=said, update_id=event_update.update_id, message_id=message.message_id)
        return
    await _keep(person, record, said, event_update.update_id, turns, desk, holder,
                message_id=message.message_id)


async def attachment_while_held(message: Message, event_update: Update, person: Person,
                                conversation: Conversation | None, lang: Lang,
                                turns: Turns) -> None:
    """Media while an advisor holds the chat: silence; the transcript notes that something
    came, never what."""
    await turns.commit(person, [], context=working_copy(conversation, lang), save=False,
                       said=ATTACHMENT, update_id=event_update.update_id,
                       message_id=message.message_id)


async def edited_while_held(message: Message) -> None:
    """An edit while held: silence (the advisor reads the conversation as it was sent)."""


async def button_while_handed_off(query: CallbackQuery, event_update: Update, person: Person,
                                  conversation: Conversation | None, lang: Lang, turns: Turns,
                                  desk: QueueDesk, holder: Holder) -> None:
    """A flow button while queued or held: recorded (its label), the engine does not run."""
    await _keep(person, working_copy(conversation, lang), pressed_label(query),
                event_update.update_id, turns, desk, holder)
    await acknowledge(query)


async def _keep(person: Person, record: Conversation, said: str, update_id: int, turns: Turns,
                desk: QueueDesk, holder: Holder, *, message_id: int | None = None) -> None:
    """Record what the person said; while queued, answer with the queue note when it is due."""
    messages: list[BotMessage] = []
    now = _now()
    if holder.kind is HolderKind.queued and desk.note_due(record.queue_note_at, now):
        messages.append(await desk.note(person.pseudonym, record.lang, now))
        record = record.model_copy(update={"queue_note_at": now})
    await turns.commit(person, messages, context=record, save=True, said=said,
                       update_id=update_id, message_id=message_id)


async def queue_move(query: CallbackQuery, callback_data: HandoffCb, event_update: Update,
                     person: Person, conversation: Conversation | None, lang: Lang,
                     turns: Turns, queue: HandoffQueue, holder: Holder) -> None:
    """withdraw / leave / stay, decided against the holder now (a button may be old)."""
    record = working_copy(conversation, lang)
    said = pressed_label(query)
    move = callback_data.a
    if move == "stay":
        await turns.commit(person, [notice(T.leave_stay, lang)], context=record, save=True,
                           said=said, update_id=event_update.update_id)
    elif move == "withdraw" or (move == "leave" and holder.kind is HolderKind.queued):
        if await queue.withdraw(person.pseudonym):
            log.info("the person left the queue")
            await _back_to_bot(person, record, T.withdrawn, callback_data.then, said,
                               event_update.update_id, turns)
        else:
            await turns.commit(person, [notice(T.withdraw_late, lang)], context=record,
                               save=True, said=said, update_id=event_update.update_id)
    elif move == "leave" and holder.kind is HolderKind.advisor:
        await queue.leave(person.pseudonym)
        log.info("the person left the advisor's chat")
        await _back_to_bot(person, record, T.left_advisor, callback_data.then, said,
                           event_update.update_id, turns)
    elif move == "leave":  # already back with the bot: just do what they asked
        await _back_to_bot(person, record, None, callback_data.then, said,
                           event_update.update_id, turns)
    else:  # forged
        await turns.commit(person, [notice(T.leave_stay, lang)], context=record, save=False,
                           said=None, update_id=event_update.update_id, record=False)
    await acknowledge(query)


async def _back_to_bot(person: Person, record: Conversation, key: T | None, then: str,
                       said: str, update_id: int, turns: Turns) -> None:
    before = [notice(key, record.lang)] if key is not None else []
    command = _LEAVE_TO.get(then, EngineCommand.menu)
    await turns.run(person, record.back_with_bot(), CommandInput(command=command), said=said,
                    update_id=update_id, before=before)


async def survey_answer(query: CallbackQuery, callback_data: SurveyCb, event_update: Update,
                        person: Person, conversation: Conversation | None, lang: Lang,
                        turns: Turns, desk: QueueDesk) -> None:
    """The one-tap closing question: a genuine first answer becomes Feedback; a forged, foreign
    or repeated one gets a polite note and counts for nothing."""
    result = await desk.answer_survey(callback_data, person.pseudonym)
    await acknowledge(query, text(result, lang))
    await turns.commit(person, [notice(result, lang)], context=working_copy(conversation, lang),
                       save=False, said=None, update_id=event_update.update_id, record=False)


def build() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="handoff")
    router.callback_query.register(queue_move, HandoffCb.filter())
    router.callback_query.register(survey_answer, SurveyCb.filter())
    # Every message handler here is for a chat the bot does not hold: checked once, first
    # (the Command filters below parse the text; most messages never need it).
    router.message.filter(handed_off)
    router.message.register(ask_leave, CommandStart())
    router.message.register(ask_leave, Command("menu"))
    router.message.register(while_handed_off, has_text, not_always_command)
    router.message.register(attachment_while_held, has_no_text, held)
    router.edited_message.register(edited_while_held, held)
    router.callback_query.register(button_while_handed_off, ActionCb.filter(), handed_off)
    return router
