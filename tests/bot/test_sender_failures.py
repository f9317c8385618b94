"""The sender when things go wrong: blocked chats, dead letters, bad entries, crashes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.ratelimit import RateLimits
from bot.sender import Sender
from handoff import keys
from handoff.outbox import (
    OUTBOX_DEAD_STREAM,
    OUTBOX_GROUP,
    OUTBOX_STREAM,
    EnqueueStatus,
    Outbox,
)
from tests.fakes import FakeBotAPI
from tests.fakes.sender_harness import FAST, eventually, fast, msg, running_sender, stop


async def dead_letters(redis: Redis) -> list[dict[str, str]]:
    return [{k.decode(): v.decode() for k, v in fields.items()}
            for _, fields in await redis.xrange(OUTBOX_DEAD_STREAM)]


async def test_blocked_chat_is_marked_and_its_queue_dropped(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    api.blocked.add(6)
    await outbox.enqueue_many([msg(6, "one"), msg(6, "two"), msg(6, "three"), msg(8, "other")])
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(8) == ["other"])
        await eventually(lambda: sender.held == 0)
        assert await outbox.is_blocked(6)
        assert await outbox.enqueue(msg(6, "refused")) is EnqueueStatus.BLOCKED
        assert [c.status for c in api.requests if c.chat_id == 6] == [403]  # one try only
        assert sender.stats.blocked == 1 and sender.stats.dropped == 2
        api.blocked.discard(6)
        await outbox.unblock(6)  # the person wrote to the bot again
        assert await outbox.enqueue(msg(6, "welcome back")) is EnqueueStatus.QUEUED
        await eventually(lambda: api.texts(6) == ["welcome back"])
    assert await redis.xlen(OUTBOX_STREAM) == 0 and await dead_letters(redis) == []


async def test_permanent_failures_go_to_the_dead_letter_stream(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    api.fail_next("sendMessage", 500, times=FAST.max_attempts)
    await outbox.enqueue_many([
        msg(9, "never"),
        msg(9, "<b>broken</i>", parse_mode="HTML"),
        msg(9, "bad keyboard", reply_markup={"inline_keyboard": "not a list"}),
        msg(9, "after them"),
    ])
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(9) == ["after them"])
        await eventually(lambda: sender.held == 0)
    reasons = [d["reason"] for d in await dead_letters(redis)]
    assert reasons == ["server_error", "bad_request", "invalid"]
    dead = await dead_letters(redis)
    assert dead[0]["chat"] == "9" and dead[0]["method"] == "sendMessage"
    assert dead[0]["text_chars"] == "5"
    for letter in dead:  # a person's words never outlive the attempt to send them
        assert not any(word in value for value in letter.values()
                       for word in ("never", "broken", "bad keyboard", "not a list"))
    assert sender.stats.failed == 3 and await redis.xlen(OUTBOX_STREAM) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "x1", "chat": "11", "seq": "0"},  # no data
        {"id": "x2", "chat": "11", "seq": "0", "data": "{not json"},
        {"id": "x3", "chat": "11", "seq": "0", "data": "[1, 2]"},
        {"id": "x4", "chat": "11", "seq": "0", "data": '{"method": "sendPhoto", "text": "x"}'},
        {"id": "x5", "chat": "eleven", "seq": "0", "data": '{"text": "x"}'},
        {"id": "bad id!", "chat": "11", "seq": "0", "data": '{"text": "x"}'},
        {"chat": "11", "data": '{"text": "x"}'},
        {"id": "x8", "chat": "11", "seq": "zero", "data": '{"text": "x"}'},
        {"id": "x9", "chat": "11", "seq": "0", "data": json.dumps({"text": "x" * 20_000})},
    ],
)
async def test_malformed_entries_are_dead_lettered_not_fatal(
    api: FakeBotAPI, bot: Any, redis: Redis, fields: dict[str, str]
) -> None:
    outbox = Outbox(redis)
    await outbox.ensure_group()
    await redis.xadd(OUTBOX_STREAM, fields)  # type: ignore[arg-type]
    await outbox.enqueue(msg(11, "still working"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(11) == ["still working"])
        await eventually(lambda: sender.held == 0)
    [dead] = await dead_letters(redis)
    assert dead["reason"] == "malformed" and sender.stats.malformed == 1
    assert await redis.xlen(OUTBOX_STREAM) == 0


async def test_a_malformed_entry_does_not_hold_up_its_chat(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.enqueue(msg(12, "first"))
    seq = await redis.hincrby(keys.outbox_chat(12), "next", 1)  # a producer bug takes seq 2
    await redis.xadd(OUTBOX_STREAM, {"id": "broken", "chat": "12", "seq": seq, "data": "{"})
    await outbox.enqueue(msg(12, "third"))
    async with running_sender(bot, redis, fast(order_timeout=600.0)):
        await eventually(lambda: api.texts(12) == ["first", "third"])


async def test_redelivered_entry_is_not_sent_twice(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    message = msg(13, "once")
    outbox = Outbox(redis)
    assert await outbox.enqueue(message) is EnqueueStatus.QUEUED
    assert await outbox.enqueue(message) is EnqueueStatus.DUPLICATE
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(13) == ["once"])
        # The same entry again, as a crash after Telegram's answer would redeliver it.
        await redis.xadd(OUTBOX_STREAM, {"id": message.id, "chat": "13", "seq": "1",
                                         "data": json.dumps({"text": "once"})})
        await eventually(lambda: sender.stats.duplicates == 1)
    assert api.texts(13) == ["once"]


async def test_crash_mid_work_loses_and_duplicates_nothing(bot: Any, redis: Redis) -> None:
    """Cancel a sender while it holds entries — some waiting for their chat's turn, some
    in flight to a slow Telegram — then let another sender take over."""
    outbox = Outbox(redis)
    limits = RateLimits(global_rate=200, per_chat_rate=5, chat_burst=1, headroom=1.0)
    config = fast(limits=limits, min_idle_ms=300)
    expected = {chat: [f"{chat}-{i}" for i in range(4)] for chat in range(30, 38)}
    async with FakeBotAPI(global_rate=None, per_chat_rate=None, latency=0.15) as slow:
        client = slow.make_bot()
        await outbox.enqueue_many([msg(c, t) for c, texts in expected.items() for t in texts])
        first = Sender(client, redis, config, consumer="first")
        task = asyncio.create_task(first.run())
        try:
            await eventually(lambda: len(slow.calls("sendMessage")) >= 8)
            assert first.held > 0
            await stop(task)
            pending = (await redis.xpending(OUTBOX_STREAM, OUTBOX_GROUP))["pending"]
            assert pending > 0  # read, not acknowledged: the next sender must take them over
            async with running_sender(client, redis, config, consumer="second") as second:
                await eventually(lambda: second.stats.claimed > 0 and second.held == 0)
                await eventually(lambda: sum(len(slow.texts(c)) for c in expected) >= 32)
        finally:
            await stop(task)
            await client.session.close()
        for chat, texts in expected.items():
            assert slow.texts(chat) == texts  # each once, in order
    assert second.stats.claimed > 0
    assert await redis.xlen(OUTBOX_STREAM) == 0


async def test_entries_of_a_dead_consumer_are_reclaimed(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.ensure_group()
    await outbox.enqueue_many([msg(40 + i, f"m{i}") for i in range(5)])
    # A consumer that read everything and died before doing anything.
    await redis.xreadgroup(OUTBOX_GROUP, "died", {OUTBOX_STREAM: ">"}, count=10)
    async with running_sender(bot, redis, fast(min_idle_ms=200)) as sender:
        await eventually(lambda: len(api.calls("sendMessage")) == 5)
        await eventually(lambda: sender.held == 0)
    assert sorted(c.text or "" for c in api.calls("sendMessage")) == [f"m{i}" for i in range(5)]
    assert sender.stats.claimed == 5


async def test_dead_consumers_holding_nothing_are_forgotten(bot: Any, redis: Redis) -> None:
    outbox = Outbox(redis)
    await outbox.ensure_group()
    await outbox.enqueue(msg(50, "held by the one that died"))
    await redis.xreadgroup(OUTBOX_GROUP, "holding", {OUTBOX_STREAM: ">"}, count=1)
    for name in ("long-gone", "alive"):
        await redis.xgroup_createconsumer(OUTBOX_STREAM, OUTBOX_GROUP, name)
    sender = Sender(bot, redis, fast(forget_after_ms=0), consumer="alive")
    await asyncio.sleep(0.01)
    await sender.reader.forget_dead_consumers()
    names = [c["name"] for c in await redis.xinfo_consumers(OUTBOX_STREAM, OUTBOX_GROUP)]
    assert sorted(names) == [b"alive", b"holding"]  # "holding" still has an entry
