"""The frame every queue script runs in: key names, numbers and shared Lua helpers.

Key names come from :mod:`handoff.keys` and the numbers from
:class:`QueueConfig`; both are written into a prologue as Lua locals when the
scripts are built, so no name is repeated in Lua. Scripts derive a ticket's
other keys (its conversation's holder, its advisor's chats) at run time, hence
one Redis server, no Cluster. Only Redis 6.2 commands are used (the embedded
server is 6.2).
"""

from __future__ import annotations

import json

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from handoff import keys
from handoff.config import QueueConfig
from handoff.tickets import Priority

_HELPERS = r"""
local BAND_WIDTH = 10000000000000
local BANDS = {urgent = 0, high = 1, normal = 2}

local function fmt(n) return string.format('%d', n) end
local function score(priority, created) return fmt(BANDS[priority] * BAND_WIDTH + created) end

local function publish(event, id, language, advisor)
  redis.call('PUBLISH', CHANGED, cjson.encode(
    {event = event, ticket = id, language = language, advisor = advisor}))
end

local function split(s)
  local out = {}
  for part in string.gmatch(s or '', '[^,]+') do out[#out + 1] = part end
  return out
end

local function serves(langs, lang)
  for _, l in ipairs(langs) do if l == lang then return true end end
  return false
end

-- The advisor's languages and capacity, or nil when their presence expired.
local function presence(advisor)
  local p = redis.call('HMGET', ADVISOR .. advisor, 'languages', 'capacity')
  if not p[1] then return nil end
  return split(p[1]), tonumber(p[2])
end

-- Put a ticket (back) in its language's queue. Its created time, hence its
-- place among equals, is kept; the alert is due ALERT_MS after due_from.
local function enter_queue(id, now, due_from)
  local t = TICKET .. id
  local f = redis.call('HMGET', t, 'conversation', 'language', 'priority', 'created')
  redis.call('HSET', t, 'state', 'queued', 'queued_at', fmt(now), 'advisor', '', 'claimed_at', '')
  redis.call('ZADD', WAITING .. f[2], score(f[3], tonumber(f[4])), id)
  redis.call('SET', HOLDER .. f[1], 'queued')
  redis.call('ZADD', ALERTS, fmt(due_from + ALERT_MS[f[3]]), id)
  return f
end

-- The ticket's fields when the advisor holds it, else nil and the reason.
local function held_by(id, advisor)
  local f = redis.call('HMGET', TICKET .. id, 'state', 'advisor', 'conversation', 'language')
  if not f[1] then return nil, 'missing' end
  if f[1] ~= 'held' or f[2] ~= advisor then return nil, 'not_holder' end
  return f
end

-- Remove an open ticket everywhere; the conversation goes back to the bot.
local function discard(id, conversation, language, advisor)
  redis.call('ZREM', WAITING .. language, id)
  if advisor and advisor ~= '' then redis.call('SREM', CHATS .. advisor, id) end
  redis.call('ZREM', ALERTS, id)
  redis.call('DEL', TICKET .. id)
  if redis.call('GET', OPEN .. conversation) == id then
    redis.call('DEL', OPEN .. conversation, HOLDER .. conversation)
  end
end

local function record_closed(id, outcome, advisor, now)
  local f = redis.call('HMGET', TICKET .. id, 'conversation', 'language', 'priority', 'intent',
                       'created', 'claimed_at')
  redis.call('XADD', CLOSED, 'MAXLEN', '~', STREAM_MAXLEN, '*', 'ticket_id', id,
             'conversation', f[1], 'language', f[2], 'priority', f[3], 'intent', f[4] or '',
             'outcome', outcome, 'advisor', advisor or '', 'created_ms', f[5],
             'claimed_ms', f[6] or '', 'closed_ms', fmt(now))
end
"""

def prologue(config: QueueConfig) -> str:
    """Key names and numbers as Lua locals (JSON string literals are valid Lua strings)."""
    names = {
        "TICKET": keys.HANDOFF_TICKET, "WAITING": keys.HANDOFF_WAITING,
        "OPEN": keys.HANDOFF_OPEN, "HOLDER": keys.HANDOFF_HOLDER, "SEEN": keys.HANDOFF_SEEN,
        "ADVISOR": keys.HANDOFF_ADVISOR, "CHATS": keys.HANDOFF_ADVISOR_CHATS,
        "WAITS": keys.HANDOFF_WAITS, "ADVISORS": keys.HANDOFF_ADVISORS,
        "ALERTS": keys.HANDOFF_ALERTS, "CHANGED": keys.QUEUE_CHANGED,
        "CLOSED": keys.HANDOFF_CLOSED_STREAM,
    }
    lines = [f"local {name} = {json.dumps(value)}" for name, value in names.items()]
    alerts = ", ".join(f"{p.value} = {config.alert_ms(p)}" for p in Priority)
    lines += [f"local ALERT_MS = {{{alerts}}}", f"local WAITS_KEEP = {config.waits_keep}",
              f"local STREAM_MAXLEN = {config.stream_maxlen}"]
    return "\n".join(lines) + "\n" + _HELPERS


def register(redis: Redis, config: QueueConfig, body: str) -> AsyncScript:
    """A script object (EVALSHA, loaded on first use); no I/O happens here."""
    return redis.register_script(prologue(config) + body)
