"""The intake: stream entries into the queue, nothing lost, nothing duplicated, bad ones aside."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.intake import TicketIntake
from handoff.queue import EnqueueResult, HandoffQueue, QueueChange, StreamAck
from handoff.tickets import Language, Priority, TicketRequest
from tests.handoff.conftest import CONFIG

#: Producers' times in the past (the intake runs on the real clock and clamps the future).
PAST = 1_700_000_000.0


def api_fields(n: int, **changes: str) -> dict[str, str]:
    """What ``POST /api/v1/handoffs`` writes."""
    fields = {"ticket_id": f"api-key-{n:04d}", "conversation": f"person-{n:04d}",
              "language": "uk", "intent": "summons", "reason": "wants a person",
              "priority": "high", "source": "service", "created_at": f"{PAST + n:.3f}"}
    fields.update(changes)
    return fields


def bot_fields(n: int, **changes: Any) -> dict[str, str]:
    """What the bot writes: its ticket as JSON in one field."""
    ticket = {"id": f"bot{n:04d}", "conversation": f"botperson{n:04d}", "channel": "telegram",
              "lang": "ru", "intent": "urgent_danger", "priority": "urgent",
              "reason": "danger", "chat": "c2VhbGVkLWNoYXQ", "update": False,
              "at": "2023-11-14T22:13:20+00:00"}
    ticket.update(changes)
    return {"ticket": json.dumps(ticket)}


async def _intake(redis: Redis, queue: HandoffQueue, name: str, **options: Any) -> TicketIntake:
    intake = TicketIntake(redis, queue, consumer=name, block_ms=0, **options)
    await intake.ensure_group()
    return intake


async def _pending(redis: Redis) -> int:
    return int((await redis.xpending(keys.HANDOFF_STREAM, keys.HANDOFF_GROUP))["pending"])


async def test_both_producer_shapes_are_queued_and_acknowledged(
        redis: Redis, queue: HandoffQueue) -> None:
    intake = await _intake(redis, queue, "c1")
    await redis.xadd(keys.HANDOFF_STREAM, api_fields(1))  # type: ignore[arg-type]
    await redis.xadd(keys.HANDOFF_STREAM, bot_fields(2))  # type: ignore[arg-type]
    assert await intake.read_new() == 2
    api_ticket = await queue.ticket("api-key-0001")
    bot_ticket = await queue.ticket("bot0002")
    assert api_ticket is not None and bot_ticket is not None
    assert (api_ticket.language, api_ticket.priority, api_ticket.source) == (
        Language.uk, Priority.high, "service")
    assert api_ticket.created.timestamp() == PAST + 1
    assert bot_ticket.created.timestamp() == PAST
    assert (bot_ticket.conversation, bot_ticket.chat, bot_ticket.intent) == (
        "botperson0002", "c2VhbGVkLWNoYXQ", "urgent_danger")
    assert await _pending(redis) == 0
    assert await redis.xlen(keys.HANDOFF_STREAM) == 0  # the queue holds it now


async def test_redelivered_and_repeated_ids_make_one_ticket(
        redis: Redis, queue: HandoffQueue) -> None:
    intake = await _intake(redis, queue, "c1")
    for _ in range(3):  # the api retried with the same Idempotency-Key
        await redis.xadd(keys.HANDOFF_STREAM, api_fields(7))  # type: ignore[arg-type]
    await intake.read_new()
    assert [t.id for t in await queue.waiting()] == ["api-key-0007"]
    assert await _pending(redis) == 0


class StallingQueue(HandoffQueue):
    """Dies (hangs until cancelled) at the ``stall_at``-th entry; optionally after writing it."""

    def __init__(self, redis: Redis, stall_at: int, *, write_first: bool) -> None:
        super().__init__(redis, CONFIG)
        self.calls = 0
        self.stall_at = stall_at
        self.stalled = asyncio.Event()
        self.write_first = write_first

    async def enqueue(self, request: TicketRequest, *, now: float | None = None,
                      ack: StreamAck | None = None) -> EnqueueResult:
        self.calls += 1
        if self.calls == self.stall_at:
            if self.write_first:  # the queue write happened, the acknowledgement did not
                await super().enqueue(request, now=now)
            self.stalled.set()
            await asyncio.Event().wait()
        return await super().enqueue(request, now=now, ack=ack)


@pytest.mark.parametrize("write_first", [False, True])
async def test_a_consumer_killed_mid_work_loses_and_duplicates_nothing(
        redis: Redis, queue: HandoffQueue, write_first: bool) -> None:
    for n in range(10):
        await redis.xadd(keys.HANDOFF_STREAM, api_fields(n))  # type: ignore[arg-type]
    stalling = StallingQueue(redis, 4, write_first=write_first)
    dying = await _intake(redis, stalling, "dying", batch=6)
    task = asyncio.create_task(dying.read_new())
    await asyncio.wait_for(stalling.stalled.wait(), 10)  # read 6, handled 3, stuck on the 4th
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _pending(redis) == 3  # entries 4-6: read, never acknowledged
    survivor = await _intake(redis, queue, "survivor", min_idle_ms=0)
    assert await survivor.reclaim() == 3
    assert await survivor.read_new() == 4  # 7-10 were never read by anyone
    waiting = await queue.waiting()
    assert sorted(t.id for t in waiting) == [f"api-key-{n:04d}" for n in range(10)]
    assert await _pending(redis) == 0 and await redis.xlen(keys.HANDOFF_STREAM) == 0


async def test_reclaim_leaves_entries_that_are_not_idle_yet(
        redis: Redis, queue: HandoffQueue) -> None:
    await redis.xadd(keys.HANDOFF_STREAM, api_fields(1))  # type: ignore[arg-type]
    await _intake(redis, queue, "busy")
    await redis.xreadgroup(keys.HANDOFF_GROUP, "busy", {keys.HANDOFF_STREAM: ">"})
    other = await _intake(redis, queue, "other", min_idle_ms=3_600_000)
    assert await other.reclaim() == 0
    assert await _pending(redis) == 1


MALFORMED: list[dict[Any, Any]] = [
    {"conversation": "person-0001"},  # no id, no language
    api_fields(1, language="fr"),
    api_fields(2, priority="whenever"),
    api_fields(3, conversation="short"),
    api_fields(4, reason=""),
    api_fields(5, reason="x" * 201),
    api_fields(6, created_at="nan"),
    api_fields(7, created_at="1e30"),
    api_fields(8, created_at="yesterday"),
    api_fields(9, intent="Not An Intent"),
    api_fields(10, ticket_id="has spaces"),
    {"ticket": "{not json"},
    {"ticket": "[1, 2, 3]"},
    {"ticket": json.dumps({"id": "x"})},
    bot_fields(11, lang="klingon"),
    bot_fields(12, at="not a time"),
    bot_fields(13, chat="bad chat ref with spaces"),
    {b"ticket_id": b"\xff\xfe", b"conversation": b"\x80\x81"},  # not UTF-8
    {"reason": "y" * 100_000},
]


async def test_malformed_entries_are_dead_lettered_not_fatal(
        redis: Redis, queue: HandoffQueue) -> None:
    intake = await _intake(redis, queue, "c1", batch=100)
    for fields in MALFORMED[:5]:
        await redis.xadd(keys.HANDOFF_STREAM, fields)
    await redis.xadd(keys.HANDOFF_STREAM, api_fields(99))  # type: ignore[arg-type]
    for fields in MALFORMED[5:]:
        await redis.xadd(keys.HANDOFF_STREAM, fields)
    assert await intake.read_new() == len(MALFORMED) + 1
    assert [t.id for t in await queue.waiting()] == ["api-key-0099"]
    dead = await redis.xrange(keys.HANDOFF_DEAD_STREAM)
    assert len(dead) == len(MALFORMED)
    for _, fields in dead:
        assert fields[b"entry"] and fields[b"error"]
        assert len(fields[b"fields"]) < 40_000  # huge values are cut
    assert await _pending(redis) == 0 and await redis.xlen(keys.HANDOFF_STREAM) == 0


async def test_an_entry_erased_while_pending_does_not_stick(
        redis: Redis, queue: HandoffQueue) -> None:
    entry = await redis.xadd(keys.HANDOFF_STREAM, api_fields(1))  # type: ignore[arg-type]
    await _intake(redis, queue, "dying")
    await redis.xreadgroup(keys.HANDOFF_GROUP, "dying", {keys.HANDOFF_STREAM: ">"})
    await redis.xdel(keys.HANDOFF_STREAM, entry)  # the person said /forget meanwhile
    survivor = await _intake(redis, queue, "survivor", min_idle_ms=0)
    assert await survivor.reclaim() == 0
    assert await _pending(redis) == 0
    assert await queue.waiting() == []


async def test_run_consumes_until_stopped(redis: Redis, queue: HandoffQueue) -> None:
    intake = TicketIntake(redis, queue, consumer="runner", block_ms=50)
    stop = asyncio.Event()
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.QUEUE_CHANGED)
    task = asyncio.create_task(intake.run(stop))
    await redis.xadd(keys.HANDOFF_STREAM, api_fields(1))  # type: ignore[arg-type]
    await redis.xadd(keys.HANDOFF_STREAM, bot_fields(2))  # type: ignore[arg-type]
    events = []
    async with asyncio.timeout(10):  # consoles learn of each ticket as it is queued
        async for message in pubsub.listen():
            if message["type"] == "message":
                events.append(QueueChange.model_validate_json(message["data"]))
                if len(events) == 2:
                    break
    await pubsub.aclose()
    stop.set()
    await asyncio.wait_for(task, 10)
    assert [(e.event, e.ticket) for e in events] == [
        ("queued", "api-key-0001"), ("queued", "bot0002")]
    assert len(await queue.waiting()) == 2 and await _pending(redis) == 0
