"""The outbox contract (handoff/outbox.py) and deleting what the bot sent."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from bot.ratelimit import RateLimits
from handoff import keys
from handoff.outbox import OUTBOX_STREAM, EnqueueStatus, Outbox, OutgoingMessage, enqueue
from hotline.settings import BotSettings
from tests.fakes import FakeBotAPI
from tests.fakes.sender_harness import eventually, running_sender


async def test_enqueue_is_idempotent_and_numbers_each_chat(redis: Redis) -> None:
    message = OutgoingMessage(id="answer:update-17:0", chat_id=5, text="hi")
    assert await enqueue(redis, message) is EnqueueStatus.QUEUED
    assert await enqueue(redis, message) is EnqueueStatus.DUPLICATE
    statuses = await Outbox(redis).enqueue_many(
        [OutgoingMessage(chat_id=5, text="a"), OutgoingMessage(chat_id=6, text="b"), message]
    )
    assert statuses == [EnqueueStatus.QUEUED, EnqueueStatus.QUEUED, EnqueueStatus.DUPLICATE]
    entries = await redis.xrange(OUTBOX_STREAM)
    assert [(f[b"chat"], f[b"seq"]) for _, f in entries] == [(b"5", b"1"), (b"5", b"2"),
                                                            (b"6", b"1")]
    assert json.loads(entries[0][1][b"data"]) == {"text": "hi"}  # id and chat live beside it


async def test_enqueue_joins_the_callers_transaction(redis: Redis) -> None:
    outbox = Outbox(redis)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set("hotline:test:turn", "saved")
        await outbox.queue(pipe, OutgoingMessage(chat_id=5, text="with the turn"))
        results = await pipe.execute()
    assert results[0] is True and results[1] in (b"queued", "queued")
    assert await redis.xlen(OUTBOX_STREAM) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"chat_id": 1, "text": ""},
        {"chat_id": 1, "text": "   "},
        {"chat_id": 1},
        {"chat_id": 1, "text": "x" * 16_385},
        {"chat_id": 1, "text": "x", "id": "has space"},
        {"chat_id": 1, "text": "x", "id": "x" * 129},
        {"chat_id": "one", "text": "x"},
        {"chat_id": 1, "text": "x", "method": "sendPhoto"},
        {"chat_id": 1, "method": "editMessageText", "text": "x"},
        {"chat_id": 1, "method": "deleteMessage"},
        {"chat_id": 1, "method": "deleteMessages", "message_ids": []},
        {"chat_id": 1, "method": "deleteMessages", "message_ids": list(range(101))},
        {"chat_id": 1, "text": "x", "delete_after": 0},
        {"chat_id": 1, "text": "x", "delete_after": 48 * 3600 + 1},
        {"chat_id": 1, "method": "deleteRecent", "delete_after": 60},
        {"chat_id": 1, "text": "x", "unknown": True},
        {"chat_id": 1, "text": "x", "parse_mode": "Markdown"},
    ],
)
def test_outgoing_message_refuses_bad_input(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OutgoingMessage.model_validate(fields)


async def test_delete_recent_deletes_what_was_sent_and_queued(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.enqueue_many([OutgoingMessage(chat_id=9, text=f"m{i}") for i in range(3)])
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(9)) == 3)
        await outbox.enqueue(OutgoingMessage(chat_id=9, text="queued just before /forget"))
        await sender.delete_recent(9)
        await outbox.enqueue(OutgoingMessage(chat_id=9, text="Your data is erased."))
        await eventually(lambda: len(api.texts(9)) == 5)
        await eventually(lambda: sender.held == 0)
    remaining = [m["text"] for m in api.state.messages[9].values()]
    assert remaining == ["Your data is erased."]
    assert [c.params["message_ids"] for c in api.calls("deleteMessages")] == [[1, 2, 3, 4]]
    assert await redis.zrange(keys.outbox_messages(9), 0, -1) == [b"5"]


async def test_forget_chat_drops_the_senders_keys_of_that_chat(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.enqueue(OutgoingMessage(chat_id=11, text="hello"))
    await outbox.enqueue(OutgoingMessage(chat_id=12, text="someone else"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(11)) == 1 and len(api.texts(12)) == 1)
        await outbox.delete_recent(11)
        await outbox.enqueue(OutgoingMessage(chat_id=11, text="Your data is erased."))
        await outbox.enqueue(OutgoingMessage(chat_id=11, method="forgetChat"))
        await eventually(lambda: len(api.texts(11)) == 2)
        await eventually(lambda: sender.held == 0)
    assert api.calls("forgetChat") == []  # not a Telegram method: never sent there
    names = [k.decode() async for k in redis.scan_iter("hotline:outbox:*")]
    assert not [n for n in names if n.endswith(":11")], names
    assert await redis.exists(keys.outbox_chat(12))  # other chats keep theirs


async def test_forget_chat_keeps_the_order_of_a_message_sent_after_it(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    """The person writes again at once: the chat's numbering must survive for that message."""
    outbox = Outbox(redis)
    await outbox.enqueue(OutgoingMessage(chat_id=13, text="Your data is erased."))
    await outbox.enqueue(OutgoingMessage(chat_id=13, method="forgetChat"))
    await outbox.enqueue(OutgoingMessage(chat_id=13, text="Hello again"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(13)) == 2)
        await eventually(lambda: sender.held == 0)
    assert api.texts(13) == ["Your data is erased.", "Hello again"]
    assert await redis.hget(keys.outbox_chat(13), "done") == b"3"


async def test_delete_after_removes_the_message_when_due(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.enqueue(OutgoingMessage(chat_id=10, text="ephemeral", delete_after=3600))
    await outbox.enqueue(OutgoingMessage(chat_id=10, text="kept"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(10)) == 2)
        await eventually(lambda: sender.held == 0)
        assert await outbox.enqueue_due_deletions() == 0  # not due yet
        assert await redis.zcard(keys.OUTBOX_DELETE_DUE) == 1
        assert await outbox.enqueue_due_deletions(now=time.time() + 3601) == 1
        assert await outbox.enqueue_due_deletions(now=time.time() + 3601) == 0
        await eventually(lambda: len(api.calls("deleteMessages")) == 1)
        await eventually(lambda: sender.held == 0)
    assert [m["text"] for m in api.state.messages[10].values()] == ["kept"]
    assert await redis.zcard(keys.OUTBOX_DELETE_DUE) == 0


async def test_remembered_incoming_messages_are_deleted_too(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    await outbox.remember(11, 500)  # the person's own message, noted by the bot
    async with running_sender(bot, redis) as sender:
        await outbox.delete_recent(11)
        await eventually(lambda: len(api.calls("deleteMessages")) == 1)
        await eventually(lambda: sender.held == 0)
    assert api.calls("deleteMessages")[0].params["message_ids"] == [500]


def test_rate_limits_from_settings_and_per_chat_kind() -> None:
    settings = BotSettings(_env_file=None, HOTLINE_GLOBAL_RATE=20,  # type: ignore[call-arg]
                           HOTLINE_PER_CHAT_RATE=0.5)
    limits = RateLimits.from_settings(settings)
    assert limits.global_rate == 20 and limits.per_chat_rate == 0.5
    private = limits.for_chat(42, "sendMessage")
    group = limits.for_chat(-100, "sendMessage")
    assert private.tolerance_us == 2 * private.interval_us  # a burst of three
    assert group.interval_us > private.interval_us / 2 * 3  # 20 per minute is slower
    assert limits.for_chat(42, "deleteMessages").interval_us == 0
    with pytest.raises(ValueError):
        _ = RateLimits(global_rate=0).global_interval_us
