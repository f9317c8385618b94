"""Watching the queue: a person's place and an honest wait estimate, and overdue alerts.

The estimate is the median of how long people in the same language actually
waited before a claim, over recent claims only. With too few of them it says
"unknown" rather than invent a number: telling a frightened person "five
minutes" and leaving them an hour is worse than saying nothing.

Overdue alerts pop from an index of due times, inside a script, so each
ticket is reported once even with several api replicas asking.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from handoff import keys, lua, scripts
from handoff.config import QueueConfig
from handoff.tickets import Language, Priority, Ticket, to_ms


class Estimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Recent claims the figure rests on.
    samples: int
    #: Median wait of those claims in seconds; None = unknown (too little data).
    typical_wait: float | None = None

    @property
    def known(self) -> bool:
        return self.typical_wait is not None


class Position(BaseModel):
    """Where a waiting conversation stands in its language's queue."""

    model_config = ConfigDict(frozen=True)

    ticket_id: str
    language: Language
    priority: Priority
    #: 1 = next to be served in this language (higher priorities counted first).
    position: int
    #: Tickets waiting in this language in all.
    waiting: int
    estimate: Estimate


class QueueWatch:
    def __init__(self, redis: Redis, config: QueueConfig | None = None) -> None:
        self.redis = redis
        self.config = config or QueueConfig()
        self._position = lua.register(redis, self.config, scripts.POSITION)
        self._overdue = lua.register(redis, self.config, scripts.OVERDUE)

    async def position(self, conversation: str, *, now: float | None = None) -> Position | None:
        """The conversation's place in the queue; None when it is not waiting."""
        result = await self._position(args=[conversation])
        if _text(result[0]) != "queued":
            return None
        _, ticket_id, language, priority, rank, waiting, waits = result
        return Position(ticket_id=_text(ticket_id), language=Language(_text(language)),
                        priority=Priority(_text(priority)), position=int(rank) + 1,
                        waiting=int(waiting), estimate=self._estimate(waits, now))

    async def estimate(self, language: Language, *, now: float | None = None) -> Estimate:
        """How long people in this language recently waited (for the console and /status)."""
        waits = await self.redis.lrange(keys.handoff_waits(Language(language).value), 0, -1)  # type: ignore[misc]
        return self._estimate(waits, now)

    async def overdue(self, *, now: float | None = None, limit: int = 100) -> list[Ticket]:
        """Tickets unclaimed longer than their priority allows, each reported only once."""
        result = await self._overdue(args=[to_ms(now if now is not None else time.time()),
                                           limit])
        return [Ticket.from_hash(fields) for fields in result]

    def _estimate(self, waits: list[Any], now: float | None) -> Estimate:
        since = to_ms(now if now is not None else time.time()) - int(
            self.config.estimate_window * 1000)
        recent: list[float] = []
        for entry in waits:
            claimed, _, waited = _text(entry).partition(":")
            if claimed.isdigit() and waited.isdigit() and int(claimed) >= since:
                recent.append(int(waited) / 1000)
        if len(recent) < self.config.min_samples:
            return Estimate(samples=len(recent))
        return Estimate(samples=len(recent), typical_wait=statistics.median(recent))


def describe(estimate: Estimate) -> dt.timedelta | None:
    """The estimate as a duration rounded to whole minutes (None = unknown)."""
    if estimate.typical_wait is None:
        return None
    return dt.timedelta(minutes=max(1, round(estimate.typical_wait / 60)))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
