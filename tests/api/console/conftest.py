"""The console under test: the api with its queue workers on, advisors with tokens, tickets.

Tickets are put in the queue directly (the queue is the shared contract the
bot writes through its stream); messages are recorded by the app's own
recorder from events sealed with the test secret.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from api.models import Role
from handoff import keys
from handoff.events import TEXT_PURPOSE, EventType, emit, message_event
from handoff.queue import HandoffQueue
from handoff.relay import PersonMessage
from handoff.tickets import TicketRequest
from hotline.crypto import Sealer
from hotline.settings import ApiSettings
from tests.api.conftest import StaffFactory, bearer

SECRET = "a-console-test-secret-long-enough-for-the-sealer-0123456789"
SEALER = Sealer(SECRET, TEXT_PURPOSE)
CONSOLE = "/api/v1/console"
Headers = dict[str, str]


@pytest.fixture
def settings(database_url: str, redis_url: str) -> ApiSettings:
    return ApiSettings.model_validate({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "HOTLINE_SECRET_KEY": SECRET, "HOTLINE_RUN_QUEUE": True,
    })


def person() -> str:
    return "p" + uuid.uuid4().hex[:24]


Enqueue = Callable[..., Awaitable[tuple[str, str]]]


@pytest.fixture
def enqueue(redis: Redis) -> Enqueue:
    """``await enqueue("ru", priority="urgent")`` → (ticket id, conversation)."""
    queue = HandoffQueue(redis)

    async def put(language: str = "ru", *, priority: str = "normal", channel: str = "telegram",
                  created: dt.datetime | None = None) -> tuple[str, str]:
        conversation = person()
        request = TicketRequest(
            id=uuid.uuid4().hex, conversation=conversation, language=language,  # type: ignore[arg-type]
            priority=priority, reason="asked for a person", intent="summons",  # type: ignore[arg-type]
            chat=None if channel == "web" else "sealed-chat-ref", channel=channel,  # type: ignore[arg-type]
            created=created or dt.datetime.now(dt.UTC))
        result = await queue.enqueue(request)
        return result.ticket_id, conversation

    return put


Advisor = Callable[..., Awaitable[Headers]]


@pytest.fixture
def advisor(make_staff: StaffFactory, client: httpx.AsyncClient) -> Advisor:
    """``await advisor(["ru"])`` → Bearer headers of a new advisor, online in these languages
    (``None``: not online); ``role`` for an admin."""

    async def make(languages: list[str] | None = None, *, capacity: int = 3,
                   role: Role = Role.advisor) -> Headers:
        _, token = await make_staff(role)
        headers = bearer(token)
        if languages is not None:
            r = await client.put(f"{CONSOLE}/presence", headers=headers,
                                 json={"languages": languages, "capacity": capacity})
            assert r.status_code == 200, r.text
        return headers

    return make


async def relayed(redis: Redis) -> list[PersonMessage]:
    """Everything the api asked the bot to tell people, oldest first."""
    return [PersonMessage.from_fields(fields)
            for _, fields in await redis.xrange(keys.TO_PERSON_STREAM)]


async def said_by_person(redis: Redis, conversation: str, text: str, **kw: Any) -> str:
    """The bot's event for a person's message (the app's recorder stores it)."""
    event = message_event(SEALER, type=EventType.message_in, conversation=conversation,
                          text=text, lang="ru", **kw)
    await emit(redis, [event])
    return event.id


def frame(raw: str | bytes) -> dict[str, Any]:
    data = json.loads(raw)
    assert isinstance(data, dict)
    return data



async def until(check: Callable[[], Awaitable[Any]], *, tries: int = 500) -> Any:
    """What ``check`` returns once it is truthy: work another task does (the recorder, the
    feedback reader), waited for up to ~10 s."""
    for _ in range(tries):
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")
