"""The whole bot process runs the relay and the queue notifier beside polling, and stops them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from bot.main import serve_handoff
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from handoff.advisors import AdvisorPresence, Advisors
from handoff.intake import TicketIntake
from handoff.queue import HandoffQueue
from handoff.relay import PersonMessage, RelayKind, relay
from handoff.tickets import Language
from hotline.crypto import Pseudonymizer
from nlu.parser import NluParser
from tests.bot.conftest import SECRET, bot_settings
from tests.bot.test_main import eventually, running_bot
from tests.fakes import FakeBotAPI, make_message_update

CHAT = 6101


async def test_advisor_words_and_queue_news_reach_telegram_from_the_running_bot(
    redis: Redis, nlu: NluParser, tmp_path: Path,
) -> None:
    async with FakeBotAPI() as api, running_bot(redis, nlu, api, tmp_path):
        api.push_update(make_message_update(1, CHAT, "/advisor", language_code="en"))
        await eventually(lambda: len(api.texts(CHAT)) >= 1)
        # the handoff note and the triage question after it come as one message
        assert api.texts(CHAT) == [text(T.handoff_queued, Lang.en) + "\n\n[human/triage en]"]
        intake = TicketIntake(redis, HandoffQueue(redis), consumer="t")
        await intake.ensure_group()
        await intake.read_new(block_ms=0)
        # the notifier hears of the new ticket and tells the place in the queue
        await eventually(lambda: any(text(T.queue_position, Lang.en, position=1) in t
                                     for t in api.texts(CHAT)))
        who = Pseudonymizer(SECRET)("telegram", CHAT)
        await Advisors(redis).register(AdvisorPresence(id="adv", languages=frozenset(
            {Language.en}), capacity=1))
        ticket = await HandoffQueue(redis).claim(
            (await redis.get(keys.handoff_open(who))).decode(), "adv")
        await relay(redis, PersonMessage.for_ticket(ticket, RelayKind.advisor_text,
                                                    "Hi, I'm here."))
        expected = text(T.relay_advisor, Lang.en, service="Hotline") + "\nHi, I'm here."
        await eventually(lambda: expected in api.texts(CHAT))


async def test_serve_handoff_stops_when_told(redis: Redis) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve_handoff(redis, bot_settings(), stop))
    for _ in range(200):  # until the notifier listens
        if (await redis.pubsub_numsub(keys.QUEUE_CHANGED))[0][1]:
            break
        await asyncio.sleep(0.025)
    stop.set()
    await asyncio.wait_for(task, 10)  # both tasks end by themselves
    assert task.exception() is None
