"""Connections of their own for the Lua calls every update and every message make.

Each update costs two Lua calls (the gate's intake, the turn's commit) and
each outgoing message two more (the sender's turn and finish). Through
redis-py 8's client a call costs ~300 µs of CPU, ~40 % of it the pool's
per-command bookkeeping (connection checks through the retry wrapper,
observability counters) rather than the call itself; on connections held
here it costs ~190 µs (bench/bot_pipeline.py measures the whole path).

The connections are redis-py's own (same URL, database, password, TLS,
parser), taken once from the client's pool and kept: the pool counts them
as in use, so closing the client closes them too; only the per-call pool
dance is skipped. A connection whose state is unknown — an error on the
wire, a cancellation mid-call — is dropped, never reused; a Lua error
(``ResponseError``) leaves it usable. Commands are packed by hiredis (C) rather than
redis-py's Python packer, which cost half of a commit call's client time. A call that finds its idle
connection closed by the server is retried once on a fresh one, as
redis-py's client does. Scripts are called by SHA and loaded on NOSCRIPT.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence
from typing import Any

from hiredis import pack_command
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

Arg = str | bytes | int | float


class ScriptLane:
    """Connections for hot Lua scripts, as many as were ever busy at once; one per client."""

    def __init__(self, redis: Redis) -> None:
        self._pool = redis.connection_pool
        self._idle: list[AbstractConnection] = []

    @classmethod
    def of(cls, redis: Redis) -> ScriptLane:
        """The lane of this client's pool (made on first use): the stores share it."""
        lane = _LANES.get(redis.connection_pool)
        if lane is None:
            lane = _LANES[redis.connection_pool] = cls(redis)
        return lane

    def register(self, lua: str) -> LaneScript:
        return LaneScript(self, lua)

    async def evalsha(self, sha: str, lua: str, keys: Sequence[Arg],
                      args: Sequence[Arg]) -> Any:
        reused = bool(self._idle)
        try:
            return await self._call(sha, lua, keys, args)
        except (RedisConnectionError, ConnectionError):
            if not reused:
                raise
            return await self._call(sha, lua, keys, args)  # the server had closed it

    async def _call(self, sha: str, lua: str, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        # The pool's sync half: a connection it counts as in use (and closes with the client).
        connection = self._idle.pop() if self._idle else self._pool.get_available_connection()
        try:
            if not connection.is_connected:
                await connection.connect()
            try:
                command = pack_command(("EVALSHA", sha, len(keys), *keys, *args))
                await connection.send_packed_command(command, check_health=False)
                result = await connection.read_response()
            except NoScriptError:  # a restarted or flushed server: load, then once more
                await connection.send_command("SCRIPT", "LOAD", lua)
                await connection.read_response()
                await connection.send_packed_command(command, check_health=False)
                result = await connection.read_response()
        except ResponseError:
            self._idle.append(connection)  # the script failed; the connection is fine
            raise
        except BaseException:
            # State unknown (an error on the wire, cancelled mid-call): closed, and
            # reconnected on its next use.
            try:
                await connection.disconnect(nowait=True)
            finally:
                self._idle.append(connection)
            raise
        self._idle.append(connection)
        return result


class LaneScript:
    """A Lua script called through a :class:`ScriptLane`, like redis-py's ``Script``."""

    def __init__(self, lane: ScriptLane, lua: str) -> None:
        self._lane = lane
        self.lua = lua
        self.sha = hashlib.sha1(lua.encode()).hexdigest()

    async def __call__(self, *, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        return await self._lane.evalsha(self.sha, self.lua, keys, args)


_LANES: weakref.WeakKeyDictionary[Any, ScriptLane] = weakref.WeakKeyDictionary()
