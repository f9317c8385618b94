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
from redis.exceptions import ResponseError

from bot.lane import ScriptLane

ECHO = "return {KEYS[1], ARGV[1], ARGV[2], #ARGV}"
SLOW = ("local s = tonumber(redis.call('TIME')[1]) "
        "while tonumber(redis.call('TIME')[1]) < s + 1 do end return 1")


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
