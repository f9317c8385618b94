"""Queue objects on the run's real Redis, and a factory for ticket requests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from handoff.advisors import AdvisorPresence, Advisors
from handoff.config import QueueConfig
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Priority, TicketRequest
from handoff.watch import QueueWatch

#: A fixed clock (epoch seconds) so tests never depend on how fast they run.
T0 = 1_800_000_000.0
CONFIG = QueueConfig(alert_after={Priority.urgent: 120, Priority.high: 600, Priority.normal: 1800},
                     presence_ttl=30, absent_grace=120, min_samples=3)

RequestFactory = Callable[..., TicketRequest]
_counter = itertools.count()


@pytest.fixture
def queue(redis: Redis) -> HandoffQueue:
    return HandoffQueue(redis, CONFIG)


@pytest.fixture
def advisors(redis: Redis) -> Advisors:
    return Advisors(redis, CONFIG)


@pytest.fixture
def watch(redis: Redis) -> QueueWatch:
    return QueueWatch(redis, CONFIG)


@pytest.fixture
def make_request() -> RequestFactory:
    """A valid request; every call a new id, ``at`` = seconds after T0."""

    def make(conversation: str | None = None, *, at: float = 0.0, **changes: Any) -> TicketRequest:
        n = next(_counter)
        data: dict[str, Any] = {
            "id": f"req-{n}", "conversation": conversation or f"conv{n:06d}",
            "language": "ru", "priority": "normal", "reason": "asked for a person",
            "intent": "talk_to_human", "created": dt.datetime.fromtimestamp(T0 + at, dt.UTC),
        }
        data.update(changes)
        return TicketRequest.model_validate(data)

    return make


async def on_duty(advisors: Advisors, advisor: str, *languages: str, capacity: int = 3,
                  now: float = T0) -> None:
    await advisors.register(AdvisorPresence(
        id=advisor, languages=frozenset(Language(x) for x in languages or ("ru",)),
        capacity=capacity), now=now)
