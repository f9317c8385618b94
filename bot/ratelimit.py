"""Telegram's sending limits, kept for the whole deployment by one Lua function in Redis.

Telegram allows a bot about 30 messages per second overall, about one per
second per chat (a short burst — the three messages of one answer — is
tolerated) and 20 per minute per group; beyond that it answers 429. Every
sender replica asks the same Redis, so the limits hold however many replicas
run; Redis's own clock (``TIME``) is the one clock they share.

The algorithm is GCRA (the "theoretical arrival time" form of a token
bucket): one key per limit holding the time the next message is due. A chat
that is not ready is told how long to wait and reserves nothing. A chat that
is ready *reserves* the next global slot — possibly a few hundred
milliseconds ahead — and sleeps until then, so concurrent senders never poll
for global capacity. Reservations are capped at :attr:`RateLimits.max_ahead`.

Telegram's counters and ours do not share a clock and requests take a
variable time to arrive, so the rates are multiplied by ``headroom`` (a few
per cent below the limit) to keep arrivals inside Telegram's windows.

Pacing alone is not enough: when a sender process stalls (a busy machine, a
GC pause), the slots it reserved come due together and would leave as one
burst. So right before each request a second check, :data:`GATE_LUA`, counts
the bot's *actual* sends in the last second (a sliding-window log) and holds
the request back if the window is full. On a quiet machine it never waits.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.settings import BotSettings

#: Methods limited per chat; deletions are not messages and only take a global slot.
PER_CHAT_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})

# A Lua function for the sender's turn script. Times are microseconds.
# reserve(now, global tat key, chat tat key, global pause key, chat pause key,
#         global interval, chat interval (0 = no per-chat limit), chat tolerance, max ahead)
# returns (true, delay until the reserved slot) or (false, time to wait first).
RESERVE_LUA = """
local function fmt(x) return string.format('%.0f', x) end
local function reserve(now, gkey, ckey, gpause, cpause, gint, cint, ctau, ahead)
  local paused = math.max(redis.call('PTTL', gpause), redis.call('PTTL', cpause))
  if paused > 0 then return false, paused * 1000 end
  local ctat = now
  if cint > 0 then
    ctat = math.max(tonumber(redis.call('GET', ckey) or '0'), now)
    if ctat - ctau > now then return false, ctat - ctau - now end
  end
  local at = math.max(tonumber(redis.call('GET', gkey) or '0'), now)
  if at - now > ahead then return false, at - now - ahead end
  redis.call('SET', gkey, fmt(at + gint), 'PX', fmt(math.ceil((at + gint - now) / 1000) + 1000))
  if cint > 0 then
    local nxt = math.max(ctat, at) + cint
    redis.call('SET', ckey, fmt(nxt), 'PX', fmt(math.ceil((nxt - now) / 1000) + 1000))
  end
  return true, at - now
end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""


# A Lua function for the window check: gate(window log key, member unique per attempt,
# window limit, now in µs) returns 0 (recorded: send now) or µs until the window has room.
# The sender's turn script calls it too when the reserved slot is now (no sleep between).
GATE_FUNCTION_LUA = """
local function gate(wkey, member, limit, now)
  redis.call('ZREMRANGEBYSCORE', wkey, '-inf', now - 1000000)
  if redis.call('ZCARD', wkey) >= limit then
    local oldest = redis.call('ZRANGE', wkey, 0, 0, 'WITHSCORES')
    return math.max(tonumber(oldest[2]) + 1000000 - now, 1)
  end
  redis.call('ZADD', wkey, now, member)
  redis.call('PEXPIRE', wkey, 2000)
  return 0
end
"""

# KEYS: the window log. ARGV: member (unique per attempt), window limit.
# Returns 0 (recorded: send now) or microseconds until the window has room.
GATE_LUA = GATE_FUNCTION_LUA + """
local t = redis.call('TIME')
return gate(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(t[1]) * 1000000 + tonumber(t[2]))
"""


@dataclass(frozen=True, slots=True)
class ChatLimit:
    """GCRA parameters for one chat, in microseconds (interval 0 = unlimited)."""

    interval_us: int
    tolerance_us: int


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The limits the sender keeps, shared by every replica through Redis."""

    #: Messages per second for the whole bot.
    global_rate: float = 30.0
    #: Messages per second to one private chat, sustained…
    per_chat_rate: float = 1.0
    #: …after a burst of this many.
    chat_burst: int = 3
    #: Messages per minute to one group (the advisors' group).
    group_per_minute: int = 20
    group_burst: int = 3
    #: Fraction of each limit actually used: margin for clock and network jitter. At 30/s,
    #: 0.95 paces at 28.5/s, so a second holds at most 29 sends: one spare below Telegram's 30.
    headroom: float = 0.95
    #: How far ahead a global slot may be reserved, in seconds.
    max_ahead: float = 1.0

    @classmethod
    def from_settings(cls, settings: BotSettings) -> RateLimits:
        return cls(global_rate=settings.global_rate, per_chat_rate=settings.per_chat_rate)

    @property
    def global_interval_us(self) -> int:
        return _interval_us(self.global_rate * self.headroom)

    @property
    def window_limit(self) -> int:
        """Actual sends allowed in any rolling second, all replicas together: the most the
        pacing itself ever puts in a second, so on a quiet machine the gate never waits."""
        return max(1, min(int(self.global_rate * self.headroom) + 1, int(self.global_rate)))

    @property
    def max_ahead_us(self) -> int:
        return int(self.max_ahead * 1_000_000)

    def for_chat(self, chat_id: int, method: str) -> ChatLimit:
        """Private chats are positive ids; groups and supergroups negative ones."""
        if method not in PER_CHAT_METHODS:
            return ChatLimit(0, 0)
        if chat_id < 0:
            # b + W/T ≤ N in any window W: 20 per minute with a burst of b.
            spare = max(self.group_per_minute - self.group_burst, 1)
            interval = _interval_us(spare / 60.0 * self.headroom)
            return ChatLimit(interval, (self.group_burst - 1) * interval)
        interval = _interval_us(self.per_chat_rate * self.headroom)
        return ChatLimit(interval, (max(self.chat_burst, 1) - 1) * interval)


def _interval_us(rate: float) -> int:
    if rate <= 0:
        raise ValueError("a rate limit must be positive")
    return int(1_000_000 / rate) + 1
