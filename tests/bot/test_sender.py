"""The outbox sender against the fake Bot API and a real Redis: order, limits, retries."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.ratelimit import RateLimits
from handoff import keys
from handoff.outbox import OUTBOX_GROUP, OUTBOX_STREAM, Outbox, OutgoingMessage
from tests.fakes import FakeBotAPI
from tests.fakes.sender_harness import eventually, fast, msg, running_sender

KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "flow:yes"}]]}


async def test_sends_in_order_and_leaves_nothing_behind(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    first = msg(1, "one", reply_markup=KEYBOARD, protect_content=True, parse_mode="HTML")
    await outbox.enqueue_many([first, msg(1, "two"), msg(1, "three")])
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(1)) == 3)
        await eventually(lambda: sender.held == 0)
    assert api.texts(1) == ["one", "two", "three"]
    call = api.calls("sendMessage")[0]
    assert call.reply_markup == KEYBOARD and call.protect_content
    assert call.params["parse_mode"] == "HTML"
    assert await redis.xlen(OUTBOX_STREAM) == 0  # acknowledged and deleted: no text left
    assert (await redis.xpending(OUTBOX_STREAM, OUTBOX_GROUP))["pending"] == 0
    assert await redis.get(keys.outbox_done(first.id)) == b"sent:1"
    assert await redis.zrange(keys.outbox_messages(1), 0, -1) == [b"1", b"2", b"3"]
    assert sender.stats.sent == 3


async def test_a_waiting_chat_holds_up_only_itself(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    # Chat 1 may get one message per 0.25 s with no burst; chat 2's one message must not
    # queue behind it.
    config = fast(limits=RateLimits(global_rate=200, per_chat_rate=4, chat_burst=1, headroom=1))
    await outbox.enqueue_many([msg(1, f"a{i}") for i in range(6)])
    await outbox.enqueue(msg(2, "b0"))
    api.fail_next("sendMessage", 429, retry_after=1)  # chat 1's first try is refused
    async with running_sender(bot, redis, config):
        await eventually(lambda: len(api.texts(1)) == 6)
    assert api.texts(1) == [f"a{i}" for i in range(6)]
    order = [call.text for call in api.calls("sendMessage")]
    assert order.index("b0") < order.index("a5")


async def test_limits_are_kept(bot: Any, redis: Redis) -> None:
    """Telegram's limits at a small scale: 10/s overall, 1/s per chat after a burst of 3."""
    outbox = Outbox(redis)
    limits = RateLimits(global_rate=10, per_chat_rate=1, chat_burst=3, headroom=0.8)
    async with FakeBotAPI(global_rate=10, per_chat_rate=1, per_chat_burst=3) as strict:
        client = strict.make_bot()
        await outbox.enqueue_many([msg(100 + i, f"m{i}") for i in range(25)])
        await outbox.enqueue_many([msg(7, f"c{i}") for i in range(6)])
        try:
            async with running_sender(client, redis, fast(limits=limits)):
                await eventually(lambda: len(strict.calls("sendMessage")) == 31, within=60)
        finally:
            await client.session.close()
    assert strict.too_many_requests == 0
    assert strict.max_in_window(1.0) <= 10
    assert strict.max_in_window(1.0, chat_id=7) <= 3
    assert strict.texts(7) == [f"c{i}" for i in range(6)]


async def test_retry_after_is_obeyed(api: FakeBotAPI, bot: Any, redis: Redis) -> None:
    api.fail_next("sendMessage", 429, retry_after=1)
    await Outbox(redis).enqueue(msg(3, "patience"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(3) == ["patience"])
    refused, accepted = [c for c in api.requests if c.method == "sendMessage"]
    assert refused.status == 429 and accepted.status == 200
    assert accepted.at - refused.at >= 0.95  # waited as told (clocks differ by < 50 ms)
    assert sender.stats.too_many_requests == 1


async def test_server_and_network_errors_are_retried(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    api.fail_next("sendMessage", 502, times=2)
    api.fail_next("sendMessage", 502, html=True)
    api.disconnect_next("sendMessage")
    await Outbox(redis).enqueue(msg(4, "eventually"))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: api.texts(4) == ["eventually"])
    assert sender.stats.retried == 4 and sender.stats.failed == 0
    assert [c.status for c in api.requests] == [502, 502, 502, 499, 200]


async def test_edits_deletes_and_not_modified(api: FakeBotAPI, bot: Any, redis: Redis) -> None:
    outbox = Outbox(redis)
    await outbox.enqueue(msg(5, "question", reply_markup=KEYBOARD))
    async with running_sender(bot, redis) as sender:
        await eventually(lambda: len(api.texts(5)) == 1)
        await outbox.enqueue_many([
            OutgoingMessage(chat_id=5, method="editMessageText", message_id=1, text="answered"),
            OutgoingMessage(chat_id=5, method="editMessageText", message_id=1, text="answered"),
            OutgoingMessage(chat_id=5, method="editMessageReplyMarkup", message_id=1,
                            reply_markup=KEYBOARD),
            OutgoingMessage(chat_id=5, method="deleteMessage", message_id=1),
            OutgoingMessage(chat_id=5, method="deleteMessage", message_id=1),  # already gone
        ])
        await eventually(lambda: len(api.requests) == 6)
        await eventually(lambda: sender.held == 0)
    assert [c.status for c in api.requests] == [200, 200, 400, 200, 200, 400]
    assert api.state.messages[5] == {}
    assert sender.stats.failed == 0 and await redis.xlen(keys.OUTBOX_DEAD_STREAM) == 0
    assert await redis.zcard(keys.outbox_messages(5)) == 0


async def test_two_replicas_keep_order_and_send_once(
    api: FakeBotAPI, bot: Any, redis: Redis
) -> None:
    outbox = Outbox(redis)
    config = fast(limits=RateLimits(global_rate=200, per_chat_rate=20, chat_burst=1))
    chats = range(20, 26)
    for round_ in range(5):
        await outbox.enqueue_many([msg(chat, f"{chat}-{round_}") for chat in chats])
    async with running_sender(bot, redis, config, consumer="a"), \
            running_sender(bot, redis, config, consumer="b"):
        await eventually(lambda: len(api.calls("sendMessage")) >= 30)
        await eventually(lambda: sum(len(api.texts(c)) for c in chats) == 30)
    for chat in chats:
        assert api.texts(chat) == [f"{chat}-{r}" for r in range(5)]
    assert len(api.calls("sendMessage")) == 30
