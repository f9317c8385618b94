"""bot/lane.py: the hot Lua calls' own connections, against the real Redis.

What must hold: results as redis-py's own ``Script`` gives them, a flushed
script cache survived, a Lua error raised without losing the connection, a
connection killed by the server replaced, a cancelled call's connection never
reused mid-answer, and closing the client closing the lane's connections.
"""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from bot.lane import BatchedScript, ScriptLane

ECHO = "return {KEYS[1], ARGV[1], ARGV[2], #ARGV}"
#: Busy for 0.6 s (TIME's seconds and microseconds), then answers 1.
SLOW = ("local function now() local t = redis.call('TIME') "
        "return tonumber(t[1]) + tonumber(t[2]) / 1e6 end "
        "local s = now() while now() < s + 0.6 do end return 1")


async def test_results_match_redis_py_and_arguments_keep_their_bytes(redis: Redis) -> None:
    script = ScriptLane.of(redis).register(ECHO)
    args = ["привет", b"\x00\xff", 42, 1.5]
    mine = await script(keys=["hotline:test:k"], args=args)
    theirs = await redis.register_script(ECHO)(keys=["hotline:test:k"], args=args)
    assert mine == theirs == [b"hotline:test:k", "привет".encode(), b"\x00\xff", 4]


async def test_one_lane_per_client_pool(redis: Redis) -> None:
    assert ScriptLane.of(redis) is ScriptLane.of(redis)
    other = Redis(connection_pool=redis.connection_pool)
    assert ScriptLane.of(other) is ScriptLane.of(redis)


async def test_flushed_script_cache_is_reloaded(redis: Redis) -> None:
    script = ScriptLane.of(redis).register(ECHO)
    await script(keys=["a"], args=["1", "2"])
    await redis.script_flush()
    assert await script(keys=["a"], args=["1", "2"]) == [b"a", b"1", b"2", 2]


async def test_lua_error_is_raised_and_the_connection_kept(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    failing = lane.register("return redis.call('INCR', KEYS[1])")
    await redis.set("hotline:test:text", "not a number")
    with pytest.raises(ResponseError):
        await failing(keys=["hotline:test:text"])
    kept = lane._idle[-1]
    assert kept.is_connected
    assert await lane.register(ECHO)(keys=["b"], args=["x", "y"]) == [b"b", b"x", b"y", 2]
    assert lane._idle[-1] is kept


async def test_connection_killed_by_the_server_is_replaced(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    script = lane.register(ECHO)
    await script(keys=["a"], args=["1", "2"])
    (connection,) = lane._idle
    where = connection._writer.get_extra_info("sockname")
    if isinstance(where, tuple):  # TCP: exactly this client
        await redis.execute_command("CLIENT", "KILL", "ADDR", f"{where[0]}:{where[1]}")
    else:  # a unix socket (the embedded server): every other client of this test run
        await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    await asyncio.sleep(0.05)
    assert await script(keys=["a"], args=["3", "4"]) == [b"a", b"3", b"4", 2]


async def test_cancelled_call_does_not_leave_its_answer_for_the_next(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    slow = lane.register(SLOW)
    call = asyncio.create_task(slow())
    await asyncio.sleep(0.2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    # The slow script's late "1" must not be read as this call's answer.
    assert await lane.register(ECHO)(keys=["c"], args=["p", "q"]) == [b"c", b"p", b"q", 2]


async def test_closing_the_client_closes_the_lane(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    lane = ScriptLane.of(client)
    await asyncio.gather(*(lane.register(ECHO)(keys=["d"], args=["1", "2"]) for _ in range(5)))
    connections = list(lane._idle)
    assert connections and all(c.is_connected for c in connections)
    await client.aclose()
    assert not any(c.is_connected for c in connections)


# ---------------------------------------------------------------- batched calls

COUNTER = "return redis.call('INCR', KEYS[1])"
PAIR = "return {ARGV[1], tonumber(ARGV[2]) * 2, redis.call('INCR', KEYS[1])}"


@pytest.fixture
def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch the lane sends, in order."""
    sizes: list[int] = []
    run = BatchedScript._run

    async def recording(self: BatchedScript, batch: list) -> None:  # type: ignore[type-arg]
        sizes.append(len(batch))
        await run(self, batch)

    monkeypatch.setattr(BatchedScript, "_run", recording)
    return sizes


async def test_concurrent_calls_go_as_one_batch_in_order(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    counter = lane.register_batched(COUNTER)
    sent = 0
    original = lane.evalsha

    async def counting(*a, **k):  # type: ignore[no-untyped-def]
        nonlocal sent
        sent += 1
        return await original(*a, **k)

    lane.evalsha = counting  # type: ignore[method-assign]
    results = await asyncio.gather(*(counter(keys=["hotline:test:n"]) for _ in range(20)))
    assert results == list(range(1, 21))  # each saw the ones before it, in call order
    assert sent == 1


async def test_a_batch_waits_while_calls_keep_arriving_and_a_lone_call_does_not(
        redis: Redis, batch_sizes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls arriving over the next few loop turns join the batch; the wait ends when a turn
    brings none, after MAX_EXTRA_TURNS turns, or at MAX_BATCH calls — never by a timer."""
    from bot import lane as lane_module

    counter = ScriptLane.of(redis).register_batched(COUNTER)
    sizes = batch_sizes

    async def after_turns(turns: int) -> int:
        for _ in range(turns):
            await asyncio.sleep(0)
        return int(await counter(keys=["hotline:test:w"]))

    # Two calls now, then one in each of the next two loop turns: one batch.
    assert sorted(await asyncio.gather(*(after_turns(t) for t in (0, 0, 1, 2)))) == [1, 2, 3, 4]
    assert sizes == [4]
    # A lone call goes out after one turn, alone.
    sizes.clear()
    assert await counter(keys=["hotline:test:w"]) == 5
    assert sizes == [1]
    # Calls that keep coming are cut after MAX_EXTRA_TURNS turns of waiting.
    sizes.clear()
    assert lane_module.MAX_EXTRA_TURNS == 3
    await asyncio.gather(*(after_turns(t) for t in (0, 0, 1, 2, 3, 4, 5)))
    assert sizes[0] == 5 and sum(sizes) == 7
    # And a batch of MAX_BATCH calls goes at once.
    sizes.clear()
    monkeypatch.setattr(lane_module, "MAX_BATCH", 3)
    await asyncio.gather(*(after_turns(t) for t in (0, 0, 0, 1, 2)))
    assert sizes[0] == 3 and sum(sizes) == 5


async def test_batched_results_equal_single_results(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    batched, single = lane.register_batched(PAIR), lane.register(PAIR)
    many = await asyncio.gather(*(batched(keys=["hotline:test:p"], args=[f"x{i}", i])
                                  for i in range(5)))
    alone = await batched(keys=["hotline:test:p"], args=["y", 7])
    plain = await single(keys=["hotline:test:p"], args=["z", 8])
    assert many == [[f"x{i}".encode(), 2 * i, i + 1] for i in range(5)]
    assert alone == [b"y", 14, 6] and plain == [b"z", 16, 7]


async def test_lua_error_fails_only_its_own_call(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    counter = lane.register_batched(COUNTER)
    await redis.set("hotline:test:text", "not a number")
    outcomes = await asyncio.gather(
        counter(keys=["hotline:test:a"]), counter(keys=["hotline:test:text"]),
        counter(keys=["hotline:test:a"]), return_exceptions=True)
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], ResponseError) and "not an integer" in str(outcomes[1])


async def test_nil_and_false_results_are_none(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    nothing = lane.register_batched("if ARGV[1] == 'f' then return false end return nil")
    assert await asyncio.gather(nothing(args=["n"]), nothing(args=["f"])) == [None, None]
    assert await nothing(args=["n"]) is None


async def test_cancelled_caller_does_not_cancel_the_others(redis: Redis) -> None:
    lane = ScriptLane.of(redis)
    counter = lane.register_batched(COUNTER)
    calls = [asyncio.create_task(counter(keys=["hotline:test:c"])) for _ in range(3)]
    calls[1].cancel()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert outcomes[0] == 1 and outcomes[2] in {2, 3}
    assert int(await redis.get("hotline:test:c")) in {2, 3}


async def test_connection_failure_reaches_every_caller_of_the_batch(redis_url: str) -> None:
    client = Redis.from_url(redis_url.rsplit(":", 1)[0] + ":1")  # nothing listens on port 1
    counter = ScriptLane.of(client).register_batched(COUNTER)
    try:
        outcomes = await asyncio.gather(*(counter(keys=["k"]) for _ in range(3)),
                                        return_exceptions=True)
        assert all(isinstance(o, RedisConnectionError) for o in outcomes)
    finally:
        await client.aclose()


async def test_many_people_at_once_each_get_their_own_answer(
        bot_env, redis: Redis, batch_sizes: list[int]) -> None:
    """The real gate, commit, turn and finish scripts, batched under concurrency: 60 people
    write at once (and twice more), the sender runs, and each chat receives exactly the
    replies queued for it, in order, once."""
    from handoff import keys
    from tests.fakes import make_message_update
    from tests.fakes.sender_harness import eventually, running_sender

    api = bot_env.api
    api.global_rate = api.per_chat_rate = None  # this test is about batching, not pacing
    sizes = batch_sizes

    people = [50_000 + i for i in range(60)]
    for round_ in range(3):
        await asyncio.gather(*(
            bot_env.feed(make_message_update(bot_env.next_id(), chat,
                                             "как уехать из России?" if round_ else "/start"))
            for chat in people))
    queued = await bot_env.outbox()
    assert {r.chat_id for r in queued} == set(people)
    expected = {chat: [r.text for r in queued if r.chat_id == chat] for chat in people}
    assert all(len(texts) >= 3 for texts in expected.values())
    async with running_sender(bot_env.bot, redis):
        await eventually(lambda: sum(len(api.texts(c)) for c in people) >= len(queued))
    assert {chat: api.texts(chat) for chat in people} == expected
    assert await redis.xlen(keys.OUTBOX_STREAM) == 0  # each entry deleted once sent
    assert max(sizes) >= 10  # the scripts did run batched
