"""The aiogram Dispatcher, assembled in one place from resources built at start-up.

Nothing here creates a client: Redis, the engine holder, the classifier,
the pseudonymizer and the sealers come in as arguments and reach handlers by
keyword through ``workflow_data`` (aiogram's dependency injection). The
routers are included in one fixed order, the catch-all last.
"""

from __future__ import annotations

from aiogram import Dispatcher
from redis.asyncio import Redis

from bot.engines import EngineHolder
from bot.handlers import (
    buttons,
    commands,
    errors,
    fallback,
    groups,
    handoff,
    language,
    media,
    privacy,
    text,
)
from bot.middlewares.chain import MiddlewareChain
from bot.middlewares.gate import GateMiddleware
from bot.middlewares.identity import IdentityMiddleware
from bot.middlewares.language import LanguageMiddleware
from bot.pinning import pin_response_models
from bot.queueing import QueueDesk
from bot.store import ConversationStore
from bot.turns import Turns
from bot.understanding import Classifier
from handoff import hours
from handoff.outbox import Outbox
from handoff.queue import HandoffQueue
from hotline.crypto import Pseudonymizer, Sealer
from hotline.settings import BotSettings


def build_dispatcher(
    *,
    redis: Redis,
    engines: EngineHolder,
    nlu: Classifier,
    pseudonymize: Pseudonymizer,
    text_sealer: Sealer,
    chat_sealer: Sealer,
    settings: BotSettings,
    desk: QueueDesk | None = None,
) -> Dispatcher:
    """A Dispatcher with the middlewares and routers of the bot, ready to feed updates."""
    pin_response_models()
    store = ConversationStore(redis)
    outbox = Outbox(redis)
    desk = desk or make_desk(redis, settings)
    queue = HandoffQueue(redis)
    turns = Turns(redis=redis, store=store, engines=engines, text_sealer=text_sealer,
                  chat_sealer=chat_sealer, outbox=outbox, desk=desk)
    # The conversation record replaces aiogram's FSM (one Lua call instead of its GET + SET).
    dp = Dispatcher(
        disable_fsm=True,
        redis=redis, engines=engines, nlu=nlu, pseudonymize=pseudonymize,
        sealer=text_sealer, chat_sealer=chat_sealer, settings=settings,
        store=store, outbox=outbox, turns=turns, desk=desk, queue=queue,
    )
    dp.update.outer_middleware(MiddlewareChain(
        IdentityMiddleware(pseudonymize), GateMiddleware(store, turns), LanguageMiddleware(nlu)))
    # Free text and menu taps — most updates — come first: their filters take only a private
    # chat the bot holds (bot/handlers/filters.py), so groups and a chat held by an advisor
    # still reach their own routers. aiogram copies every update's data for each router it
    # passes (~15 µs each), so the common case passes one. Commands come after: free text
    # takes no command, buttons no message. Errors reach the errors router wherever it is.
    dp.include_routers(
        text.build(),
        buttons.build(),
        errors.build(),
        groups.build(),
        handoff.build(),
        commands.build(),
        language.build(),
        privacy.build(),
        media.build(),
        fallback.build(),  # the catch-all, last
    )
    return dp


def make_desk(redis: Redis, settings: BotSettings) -> QueueDesk:
    """The queue desk from the settings (service hours parsed here: a bad value fails the
    start-up, not a person's handoff)."""
    return QueueDesk(redis, secret=settings.secret_key.get_secret_value(),
                     hours=hours.parse(settings.service_hours, settings.service_tz),
                     service_name=settings.service_name, note_every=settings.queue_note_every)
