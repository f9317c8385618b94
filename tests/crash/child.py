"""A lossless consumer in a child process, for the kill tests: ``-m tests.crash.child ROLE``.

ROLE is ``recorder`` (events → PostgreSQL), ``intake`` (ticket requests → queue)
or ``sender`` (outbox → a Bot API at ``CRASH_BOT_API``). Each runs exactly the
production class, configured to reclaim a dead consumer's entries quickly, and
writes ``ready`` on stdout once started. The test SIGKILLs it mid-work: no
shutdown code runs, as when a machine dies.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

from redis.asyncio import Redis

#: A dead consumer's entries are taken over after this long (production: 30-60 s).
RECLAIM_MS = 300


async def run(role: str) -> None:
    redis = Redis.from_url(os.environ["REDIS_URL"])
    if role == "recorder":
        from sqlalchemy.ext.asyncio import create_async_engine

        from api.record.consumer import EventRecorder

        engine = create_async_engine(os.environ["DATABASE_URL"])
        worker = EventRecorder(redis, engine, batch=20, block_ms=100, min_idle_ms=RECLAIM_MS,
                               reclaim_every=0.1)
        runner = worker.run()
    elif role == "intake":
        from handoff.intake import TicketIntake
        from handoff.queue import HandoffQueue

        worker = TicketIntake(redis, HandoffQueue(redis), batch=5, block_ms=100,
                              min_idle_ms=RECLAIM_MS, reclaim_every=0.1)
        runner = worker.run()
    elif role == "sender":
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        from bot.sender import Sender
        from tests.fakes.sender_harness import FAST

        session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["CRASH_BOT_API"]))
        bot = Bot("123456:CRASH-test-token", session=session)
        config = replace(FAST, min_idle_ms=RECLAIM_MS, claim_every=0.1, concurrency=4,
                         lock_ms=2_000)  # a dead sender's chat leases expire (production: 90 s)
        runner = Sender(bot, redis, config).run()
    else:
        raise SystemExit(f"unknown role {role!r}")
    print("ready", flush=True)
    await runner


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1]))
