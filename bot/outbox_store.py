"""The sender's Redis side: each step of sending one outbox entry is one atomic Lua call.

*Turn* decides whether an entry may be sent now — not already done (by id),
chat not blocked, its chat's earlier messages sent (sequence numbers), no
other replica working on the chat, Telegram's limits and pauses kept — and if
so takes the chat's lease and a rate slot, all at once. *Finish* acknowledges
and deletes the entry (the text leaves Redis once sent), records the outcome
by id so a redelivery is never sent twice, advances the chat's sequence,
remembers the Telegram message id for later deletion, and writes the
dead-letter entry when the sender gave up — again all at once, so a crash
leaves either the entry pending or everything recorded.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import from_json
from redis.asyncio import Redis

from bot.lane import ScriptLane
from bot.memo import Memo
from bot.ratelimit import GATE_FUNCTION_LUA, GATE_LUA, RESERVE_LUA, RateLimits
from handoff import keys
from handoff.outbox import (
    BLOCKED_TTL,
    DELETE_WINDOW,
    ID_MAX_LENGTH,
    ID_PATTERN,
    OUTBOX_DEAD_STREAM,
    OUTBOX_GROUP,
    OUTBOX_STREAM,
    OutgoingMessage,
    due_member,
)

#: How long an outcome is remembered by message id (the redelivery window).
DONE_TTL = 7 * 24 * 3600
#: Dead letters kept (approximately); older ones are trimmed.
DEAD_MAXLEN = 10_000

# KEYS: done marker, blocked, chat state, chat lock, global tat, chat tat, global pause, chat pause,
#       window log.
# ARGV: seq, token, lock ms, ignore order (0/1), global interval, chat interval, chat tolerance,
#       max ahead, gate member, window limit. Returns {status, microseconds, gate}: when the
#       reserved slot is now, the window check (GATE_LUA) is made in the same call — there
#       is no wait between — and gate is 0 (recorded: send now) or µs until the window has
#       room; -1 when the slot is later and the sender checks the window after its sleep.
_TURN = RESERVE_LUA + GATE_FUNCTION_LUA + """
if redis.call('EXISTS', KEYS[1]) == 1 then return {'done', 0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'blocked', 0} end
local seq = tonumber(ARGV[1])
if seq > 0 and ARGV[4] == '0' then
  local state = redis.call('HMGET', KEYS[3], 'next', 'done')
  if state[1] and seq > tonumber(state[2] or '0') + 1 then return {'order', 0} end
end
local holder = redis.call('GET', KEYS[4])
if holder and holder ~= ARGV[2] then
  return {'busy', math.max(redis.call('PTTL', KEYS[4]), 1) * 1000}
end
local now = now_us()
local ok, us = reserve(now, KEYS[5], KEYS[6], KEYS[7], KEYS[8], tonumber(ARGV[5]),
                       tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]))
if not ok then return {'wait', us, -1} end
redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
if us > 0 then return {'go', us, -1} end
return {'go', 0, gate(KEYS[9], ARGV[9], tonumber(ARGV[10]), now)}
"""

# KEYS: stream, chat state, chat lock, done marker, chat messages, delete-due, blocked, dead.
# ARGV: entry id, group, seq, token, outcome ('' = just acknowledge), telegram message id,
#       done ttl ms, delete_after s, chat id, blocked ttl ms, keep window ms, dead maxlen,
#       then field/value pairs for the dead letter (none = no dead letter).
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
local seq = tonumber(ARGV[3])
if seq > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  if seq > tonumber(redis.call('HGET', KEYS[2], 'done') or '0') then
    redis.call('HSET', KEYS[2], 'done', seq)
  end
end
if #ARGV > 12 then
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[12], '*', unpack(ARGV, 13))
end
if ARGV[5] == '' then return 0 end
redis.call('SET', KEYS[4], ARGV[5] .. ':' .. ARGV[6], 'PX', ARGV[7])
if ARGV[5] == 'sent' and ARGV[6] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[5], now, ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[11]))
  redis.call('PEXPIRE', KEYS[5], ARGV[11])
  if tonumber(ARGV[8]) > 0 then
    redis.call('ZADD', KEYS[6], now + tonumber(ARGV[8]) * 1000, ARGV[9] .. ':' .. ARGV[6])
  end
elseif ARGV[5] == 'blocked' then
  redis.call('SET', KEYS[7], '1', 'PX', ARGV[10])
end
return 1
"""

# KEYS: chat state, chat rate, chat pause, chat messages. The order state goes only when
# nothing was queued after this entry (next <= done + 1): a message the person sent after
# /forget keeps its place.
_FORGET_CHAT = """
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
local done = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if nxt <= done + 1 then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return 1
"""

# KEYS: chat lock, chat pause, global pause. ARGV: token, chat pause ms, global pause ms.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
if tonumber(ARGV[3]) > 0 and redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
end
return 1
"""


@dataclass
class Entry:
    """One outbox stream entry held by this sender, with its progress."""

    stream_id: str
    fields: dict[str, str]
    chat_id: int | None
    seq: int
    message: OutgoingMessage | None
    #: Why the entry cannot be sent at all (malformed), if so.
    problem: str | None = None
    attempts: int = 0
    waiting_since: float | None = None
    ignore_order: bool = False
    #: The chat lease's value while this sender works on the entry.
    token: str = ""
    #: Telegram accepted it (outcome, message id) but recording failed: record, never resend.
    unrecorded: tuple[str, int | None] | None = None

    def sort_key(self) -> tuple[int, int, int]:
        ms, _, n = self.stream_id.partition("-")
        return (self.seq, int(ms or 0), int(n or 0))


@dataclass(frozen=True, slots=True)
class Turn:
    status: str
    #: Seconds to wait: before sending ("go") or before asking again.
    seconds: float
    #: For "go" with no wait: the window check was made in the same call — 0.0 means the
    #: send was recorded (go now), more means wait that long and check again. None: the
    #: sender checks the window itself after waiting (:meth:`SenderStore.gate`).
    gate: float | None = None


class SenderStore:
    """The sender's atomic steps, bound to one Redis client and the shared limits."""

    def __init__(self, redis: Redis, limits: RateLimits, *, lock_ms: int) -> None:
        self.redis = redis
        self.limits = limits
        self.lock_ms = lock_ms
        lane = ScriptLane.of(redis)
        self._turn = lane.register_batched(_TURN)
        self._finish = lane.register_batched(_FINISH)
        self._forget_chat = redis.register_script(_FORGET_CHAT)
        self._release = redis.register_script(_RELEASE)
        self._gate = redis.register_script(GATE_LUA)
        self._gate_serial = 0

    async def turn(self, entry: Entry) -> Turn:
        message = entry.message
        assert message is not None and entry.chat_id is not None
        chat = entry.chat_id
        limit = self.limits.for_chat(chat, message.method)
        result = await self._turn(
            keys=[keys.outbox_done(message.id), keys.outbox_blocked(chat), keys.outbox_chat(chat),
                  keys.outbox_chat_lock(chat), keys.OUTBOX_RATE_GLOBAL,
                  keys.outbox_chat_rate(chat), keys.OUTBOX_PAUSE_GLOBAL,
                  keys.outbox_chat_pause(chat), keys.OUTBOX_RATE_WINDOW],
            args=[entry.seq, entry.token, self.lock_ms, int(entry.ignore_order),
                  self.limits.global_interval_us, limit.interval_us, limit.tolerance_us,
                  self.limits.max_ahead_us, self._gate_member(entry), self.limits.window_limit],
        )
        status = result[0].decode() if isinstance(result[0], bytes) else str(result[0])
        gate = int(result[2]) if len(result) > 2 else -1
        return Turn(status, max(int(result[1]), 0) / 1_000_000,
                    None if gate < 0 else gate / 1_000_000)

    async def gate(self, entry: Entry) -> float:
        """Record a send that leaves now, or return seconds to wait (the window is full)."""
        waited = await self._gate(keys=[keys.OUTBOX_RATE_WINDOW],
                                  args=[self._gate_member(entry), self.limits.window_limit])
        return int(waited) / 1_000_000

    def _gate_member(self, entry: Entry) -> str:
        """A window-log member unique to this attempt."""
        self._gate_serial += 1
        return f"{entry.token}/{self._gate_serial}"

    async def finish(
        self, entry: Entry, outcome: str, *, telegram_id: int | None = None,
        dead_reason: str | None = None, error: str = "",
    ) -> None:
        """Acknowledge the entry and record ``outcome`` ('' = already recorded elsewhere)."""
        message = entry.message
        chat = entry.chat_id
        message_id = message.id if message is not None else f"malformed:{entry.stream_id}"
        dead: list[str] = []
        if dead_reason is not None:
            dead = _dead_letter(entry, dead_reason, error)
        await self._finish(
            keys=[OUTBOX_STREAM, keys.outbox_chat(chat or 0), keys.outbox_chat_lock(chat or 0),
                  keys.outbox_done(message_id), keys.outbox_messages(chat or 0),
                  keys.OUTBOX_DELETE_DUE, keys.outbox_blocked(chat or 0), OUTBOX_DEAD_STREAM],
            args=[entry.stream_id, OUTBOX_GROUP, entry.seq if chat is not None else 0,
                  entry.token, outcome if chat is not None else "",
                  "" if telegram_id is None else telegram_id, DONE_TTL * 1000,
                  (message.delete_after or 0) if message is not None else 0, chat or 0,
                  BLOCKED_TTL * 1000, DELETE_WINDOW * 1000, DEAD_MAXLEN, *dead],
        )

    async def release(self, entry: Entry, *, chat_pause: float = 0.0,
                      global_pause: float = 0.0) -> None:
        """Give the chat's lease back after a failed attempt, pausing as Telegram asked."""
        chat = entry.chat_id or 0
        await self._release(
            keys=[keys.outbox_chat_lock(chat), keys.outbox_chat_pause(chat),
                  keys.OUTBOX_PAUSE_GLOBAL],
            args=[entry.token, int(chat_pause * 1000), int(global_pause * 1000)],
        )

    async def recent_message_ids(self, chat_id: int) -> list[int]:
        """Message ids in this chat from the last 48 h (Telegram's deletion window)."""
        since = int((time.time() - DELETE_WINDOW) * 1000)
        members = await self.redis.zrangebyscore(keys.outbox_messages(chat_id), since, "+inf")
        return [int(m) for m in members]

    async def forget_chat(self, chat_id: int) -> None:
        """Drop the sender's per-chat keys (/forget's last entry; see ``forgetChat``)."""
        await self._forget_chat(keys=[keys.outbox_chat(chat_id), keys.outbox_chat_rate(chat_id),
                                      keys.outbox_chat_pause(chat_id),
                                      keys.outbox_messages(chat_id)])

    async def forget_messages(self, chat_id: int, message_ids: list[int]) -> None:
        """Drop deleted messages from the bookkeeping (the chat's list and the due set)."""
        if not message_ids:
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.outbox_messages(chat_id), *[str(m) for m in message_ids])
            pipe.zrem(keys.OUTBOX_DELETE_DUE, *[due_member(chat_id, m) for m in message_ids])
            await pipe.execute()


def parse_entry(stream_id: str, fields: dict[str, str]) -> Entry:
    """An entry as the producer wrote it, or one marked malformed (dead-lettered, not a crash)."""
    chat_id: int | None = None
    seq = 0
    try:
        chat_id = int(fields["chat"])
        seq = int(fields.get("seq", "0"))
        message = _message(fields["id"], chat_id, fields["data"])
    except (KeyError, ValueError, ValidationError) as error:
        # ValidationError's text would quote the message: keep only where it failed.
        if isinstance(error, ValidationError):
            problem = "invalid " + ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
        elif isinstance(error, KeyError):
            problem = f"missing field {error}"
        else:
            problem = type(error).__name__
        # The chat (when readable) keeps its sequence: its next messages must not wait.
        return Entry(stream_id, fields, chat_id, seq, None, problem=problem[:200])
    return Entry(stream_id, fields, chat_id, seq, message)


def _message(entry_id: str, chat_id: int, data: str) -> OutgoingMessage:
    """The entry's message; one whose ``data`` was read before is a copy with its id and chat.

    Producers queue the same menus and steps again and again (bot/outgoing.py
    ``ready``), so a message body is parsed and validated once; only the id —
    the one field the body does not hold that has rules — is checked anew.
    """
    template = _TEMPLATES.get(data)
    if template is not None and len(entry_id) <= ID_MAX_LENGTH and _ID.fullmatch(entry_id):
        return template.model_copy(update={"id": entry_id, "chat_id": chat_id})
    payload = from_json(data)
    if not isinstance(payload, dict):
        raise ValueError("data is not a JSON object")
    payload.update(id=entry_id, chat_id=chat_id)
    return _TEMPLATES.put(data, OutgoingMessage.model_validate(payload))


#: Validated messages by their entry's ``data``: the read-only bodies of their copies.
_TEMPLATES: Memo[str, OutgoingMessage] = Memo(1024)
#: OutgoingMessage's own rule for ids.
_ID = re.compile(ID_PATTERN)


def _dead_letter(entry: Entry, reason: str, error: str) -> list[str]:
    """Field/value pairs of a dead letter: enough to find and judge the failure, but no
    message text — it may be a person's words, and dead letters outlive /forget."""
    fields = ["reason", reason, "error", error[:500], "stream_id", entry.stream_id,
              "at", str(int(time.time()))]
    for name in ("id", "chat", "seq"):
        if name in entry.fields:
            fields += [name, entry.fields[name][:128]]
    if entry.message is not None:
        fields += ["method", entry.message.method,
                   "text_chars", str(len(entry.message.text or ""))]
    return fields
