"""Running the real outbox sender in tests: short waits, start/stop, polling for results.

    async with running_sender(api.make_bot(), redis) as sender:
        await Outbox(redis).enqueue(OutgoingMessage(chat_id=1, text="hi"))
        await eventually(lambda: api.texts(1) == ["hi"])
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis

from bot.ratelimit import RateLimits
from bot.sender import Sender
from bot.sender_config import SenderConfig
from handoff.outbox import OutgoingMessage

#: Generous limits and short waits: functional tests should not wait for Telegram's pace.
FAST = SenderConfig(
    limits=RateLimits(global_rate=200.0, per_chat_rate=50.0, chat_burst=3, headroom=0.8),
    block_ms=100,
    min_idle_ms=500,
    claim_every=0.1,
    backoff_base=0.02,
    backoff_cap=0.1,
    order_poll=0.01,
    deletions_every=3600.0,
    shutdown_timeout=10.0,
)


def msg(chat_id: int, text: str, **extra: Any) -> OutgoingMessage:
    """An outgoing text message (a test shorthand)."""
    return OutgoingMessage(chat_id=chat_id, text=text, **extra)


def fast(**changes: Any) -> SenderConfig:
    return replace(FAST, **changes)


@asynccontextmanager
async def running_sender(
    bot: Any, redis: Redis, config: SenderConfig | None = None, *, consumer: str | None = None
) -> AsyncIterator[Sender]:
    """A sender consuming in the background; stopped (as on shutdown) on exit."""
    sender = Sender(bot, redis, config or FAST, consumer=consumer)
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        await stop(task)
        # A crash of the sender itself must fail the test, not vanish with the task.
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def stop(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def eventually(
    predicate: Callable[[], bool | Awaitable[bool]], within: float = 30.0
) -> None:
    """Poll until ``predicate`` holds; ``within`` only guards against a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
