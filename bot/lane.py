"""Connections of their own for the Redis calls every update and every message make.

Each update costs two Lua calls (the gate's intake, the turn's commit) and
each outgoing message two more (the sender's turn and finish) plus its share
of an outbox read. Through redis-py 8's client a call costs ~300 µs of CPU,
~40 % of it the pool's per-command bookkeeping (connection checks through the
retry wrapper, observability counters) rather than the call itself; on
connections held here, with commands packed by hiredis, it costs ~190 µs
(bench/bot_pipeline.py measures the whole path). :class:`BatchedScript`
then sends the calls made in one loop turn as one.

The connections are redis-py's own (same URL, database, password, TLS,
parser), taken from the client's pool and kept: the pool counts them as in
use, so closing the client closes them too. A connection whose state is
unknown — an error on the wire, a cancellation mid-call — is disconnected
and reconnects on its next use; a command error (``ResponseError``) leaves
it as it is. A call that finds its idle connection closed by the server is
retried once, as redis-py's client does. Scripts are called by SHA and
loaded on NOSCRIPT.
"""

from __future__ import annotations

import asyncio
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
        # Weakly: the lane is the pool's value in _LANES, and a strong reference back would
        # keep every pool (and its lane) alive for good.
        self._pool = weakref.ref(redis.connection_pool)
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

    def register_batched(self, lua: str) -> BatchedScript:
        """``lua`` with its concurrent calls sent together (see :class:`BatchedScript`)."""
        return BatchedScript(self, lua)

    async def evalsha(self, sha: str, lua: str, keys: Sequence[Arg],
                      args: Sequence[Arg]) -> Any:
        command = ("EVALSHA", sha, len(keys), *keys, *args)
        return await self._send(pack_command(command), lua)  # type: ignore[arg-type]  # stub: 1-tuple

    async def execute(self, *args: Arg) -> Any:
        """Any command, its reply as hiredis parsed it (no redis-py response callback)."""
        return await self._send(pack_command(args), None)  # type: ignore[arg-type]  # as above

    async def _send(self, command: bytes, lua: str | None) -> Any:
        reused = bool(self._idle)
        try:
            return await self._call(command, lua)
        except (RedisConnectionError, ConnectionError):
            if not reused:
                raise
            return await self._call(command, lua)  # the server had closed it

    async def _call(self, command: bytes, lua: str | None) -> Any:
        # The pool's sync half: a connection it counts as in use (and closes with the client).
        if self._idle:
            connection = self._idle.pop()
        elif (pool := self._pool()) is not None:
            connection = pool.get_available_connection()
        else:
            raise RedisConnectionError("the Redis client of this lane is gone")
        try:
            if not connection.is_connected:
                await connection.connect()
            try:
                await connection.send_packed_command(command, check_health=False)
                result = await connection.read_response()
            except NoScriptError:  # a restarted or flushed server: load, then once more
                if lua is None:
                    raise
                await connection.send_command("SCRIPT", "LOAD", lua)
                await connection.read_response()
                await connection.send_packed_command(command, check_health=False)
                result = await connection.read_response()
        except ResponseError:
            self._idle.append(connection)  # the command failed; the connection is fine
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


#: Loop turns a batch may wait while calls keep arriving, and its size that ends the wait.
MAX_EXTRA_TURNS = 3
MAX_BATCH = 64

_LANES: weakref.WeakKeyDictionary[Any, ScriptLane] = weakref.WeakKeyDictionary()


# The batch driver: ARGV[1] = n, then (key count, arg count) per call, then every call's
# arguments; KEYS are every call's keys in order. Each call runs the original script as a
# function of its own KEYS and ARGV, under pcall: a Lua error fails that call alone (its
# writes before the error stay, as they would on their own). A nil result becomes false.
_BATCH_DRIVER = """
local n = tonumber(ARGV[1])
local out = {}
local kpos, apos = 0, 1 + 2 * n
for i = 1, n do
  local nk, na = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local keys, args = {}, {}
  for j = 1, nk do keys[j] = KEYS[kpos + j] end
  for j = 1, na do args[j] = ARGV[apos + j] end
  kpos, apos = kpos + nk, apos + na
  local ok, result = pcall(one, keys, args)
  if not ok then
    if type(result) == 'table' and result.err then result = result.err end
    out[i] = {'__lane_error__', tostring(result)}
  elseif result == nil then
    out[i] = false
  else
    out[i] = {'__lane_ok__', result}
  end
end
return out
"""


class BatchedScript:
    """A hot script whose calls made in the same event-loop turn go to Redis as one.

    Under load many updates (and many sends) are in flight at once; each used
    to pay a round trip and ~190 µs of client CPU for its own Lua call. Calls
    queued before the loop's next turn are sent together through a driver
    that runs the unchanged script once per call, in order, inside one
    EVALSHA — atomic as a whole, each call seeing the effects of the ones
    before it exactly as if they had been sent one after another. A lone
    call goes out as the plain script. The wait is one loop turn, not a
    timer, so nothing is held back when the process is idle.
    """

    def __init__(self, lane: ScriptLane, lua: str) -> None:
        self._single = LaneScript(lane, lua)
        self._batch = LaneScript(lane, "local function one(KEYS, ARGV)\n" + lua
                                 + "\nend\n" + _BATCH_DRIVER)
        self._pending: list[tuple[Sequence[Arg], Sequence[Arg], asyncio.Future[Any]]] = []
        self._flushing: set[asyncio.Task[None]] = set()
        #: Calls pending when the flush last looked, and the loop turns it has waited.
        self._seen = self._turns = 0

    async def __call__(self, *, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((keys, args, future))
        if len(self._pending) == 1:
            self._seen, self._turns = 1, 0
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        # Calls still arriving: wait one more loop turn (a few at most), so the batch is
        # sent when the burst has passed rather than cut at its first turn.
        pending = len(self._pending)
        if pending > self._seen and self._turns < MAX_EXTRA_TURNS and pending < MAX_BATCH:
            self._seen, self._turns = pending, self._turns + 1
            asyncio.get_running_loop().call_soon(self._flush)
            return
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _run(self, batch: list[tuple[Sequence[Arg], Sequence[Arg],
                                          asyncio.Future[Any]]]) -> None:
        try:
            if len(batch) == 1:
                keys, args, _ = batch[0]
                results = [(b"__lane_ok__", await self._single(keys=keys, args=args))]
            else:
                counts: list[Arg] = [len(batch)]
                all_keys: list[Arg] = []
                all_args: list[Arg] = []
                for keys, args, _ in batch:
                    counts += [len(keys), len(args)]
                    all_keys += keys
                    all_args += args
                results = await self._batch(keys=all_keys, args=[*counts, *all_args])
        except Exception as error:  # the whole batch failed: every caller hears it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:  # the loop is going away: so are the callers
            for _, _, future in batch:
                future.cancel()
            raise
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():  # its caller was cancelled; the call itself was made
                continue
            if result is None:
                future.set_result(None)
            elif result[0] == b"__lane_error__":
                message = result[1]
                future.set_exception(ResponseError(
                    message.decode() if isinstance(message, bytes) else str(message)))
            else:
                future.set_result(result[1])
