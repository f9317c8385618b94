"""The queue's Lua scripts: every change of queue and ownership is one of these, atomically.

Each script keeps the invariants together: a ticket is in exactly one place
(its language's waiting set, or one advisor's chats), the conversation's
holder says the same, and the alert index and the wait statistics follow. A
script runs alone on the server, so twenty advisors pressing "take" at once
are served one after another and only the first finds the ticket queued.
The names and helpers they use (``TICKET``, ``enter_queue``, ...) are defined
by the prologue in :mod:`handoff.lua`.
"""

from __future__ import annotations

# ARGV: id, conversation, language, priority, intent, reason, created ms, now ms, chat,
#       channel, flow, source, seen ttl ms, then stream, group, entry id to acknowledge
#       ('' = none). Returns {status, ticket id[, advisor]}.
ENQUEUE = r"""
local id, conv, lang, priority = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local created = tonumber(ARGV[7])
local function ack()
  if ARGV[14] ~= '' then
    redis.call('XACK', ARGV[14], ARGV[15], ARGV[16])
    redis.call('XDEL', ARGV[14], ARGV[16])
  end
end
local open = redis.call('GET', OPEN .. conv)
if not redis.call('SET', SEEN .. id, '1', 'NX', 'PX', ARGV[13]) then
  ack()
  return {'duplicate', open or id}
end
if open then
  local t = TICKET .. open
  local cur = redis.call('HMGET', t, 'state', 'priority', 'language', 'created', 'advisor')
  if cur[1] == 'held' then
    ack()
    return {'held', open, cur[5]}
  end
  if cur[1] == 'queued' then
    -- A less urgent request does not overwrite what the more urgent one said.
    if BANDS[priority] <= BANDS[cur[2]] then
      redis.call('HSET', t, 'reason', ARGV[6])
      if ARGV[5] ~= '' then redis.call('HSET', t, 'intent', ARGV[5]) end
    end
    if ARGV[9] ~= '' then redis.call('HSET', t, 'chat', ARGV[9]) end
    local raised = BANDS[priority] < BANDS[cur[2]]
    if raised or lang ~= cur[3] then
      local keep = raised and priority or cur[2]
      redis.call('ZREM', WAITING .. cur[3], open)
      redis.call('HSET', t, 'priority', keep, 'language', lang)
      redis.call('ZADD', WAITING .. lang, score(keep, tonumber(cur[4])), open)
      if raised then redis.call('ZADD', ALERTS, fmt(tonumber(cur[4]) + ALERT_MS[keep]), open) end
    end
    publish('updated', open, lang)
    ack()
    return {'updated', open}
  end
end
redis.call('HSET', TICKET .. id, 'id', id, 'conversation', conv, 'language', lang,
           'priority', priority, 'intent', ARGV[5], 'reason', ARGV[6], 'created', ARGV[7],
           'chat', ARGV[9], 'channel', ARGV[10], 'flow', ARGV[11], 'source', ARGV[12])
enter_queue(id, tonumber(ARGV[8]), created)
redis.call('SET', OPEN .. conv, id)
publish('queued', id, lang)
ack()
return {'queued', id}
"""

# ARGV: ticket id ('' = the best ticket this advisor can serve), advisor, now ms.
CLAIM = r"""
local id, advisor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local langs, capacity = presence(advisor)
if not langs then return {'absent'} end
if id ~= '' then
  local f = redis.call('HMGET', TICKET .. id, 'state', 'advisor', 'language')
  if not f[1] then return {'missing'} end
  if f[1] == 'held' then
    if f[2] == advisor then return {'claimed', redis.call('HGETALL', TICKET .. id)} end
    return {'taken'}
  end
  if not serves(langs, f[3]) then return {'language'} end
end
if redis.call('SCARD', CHATS .. advisor) >= capacity then return {'capacity'} end
if id == '' then
  local best_score
  for _, lang in ipairs(langs) do
    local head = redis.call('ZRANGE', WAITING .. lang, 0, 0, 'WITHSCORES')
    if head[1] and (best_score == nil or tonumber(head[2]) < best_score) then
      id, best_score = head[1], tonumber(head[2])
    end
  end
  if id == '' then return {'empty'} end
end
local t = TICKET .. id
local f = redis.call('HMGET', t, 'conversation', 'language', 'queued_at')
redis.call('ZREM', WAITING .. f[2], id)
redis.call('ZREM', ALERTS, id)
redis.call('HSET', t, 'state', 'held', 'advisor', advisor, 'claimed_at', fmt(now))
redis.call('SADD', CHATS .. advisor, id)
redis.call('SET', HOLDER .. f[1], 'advisor:' .. advisor)
local w = WAITS .. f[2]
redis.call('LPUSH', w, fmt(now) .. ':' .. fmt(math.max(now - tonumber(f[3]), 0)))
redis.call('LTRIM', w, 0, WAITS_KEEP - 1)
publish('claimed', id, f[2], advisor)
return {'claimed', redis.call('HGETALL', t)}
"""

# ARGV: ticket id, advisor, target advisor.
TRANSFER = r"""
local id, advisor, target = ARGV[1], ARGV[2], ARGV[3]
local f, err = held_by(id, advisor)
if not f then return {err} end
if target ~= advisor then
  local langs, capacity = presence(target)
  if not langs then return {'absent'} end
  if not serves(langs, f[4]) then return {'language'} end
  if redis.call('SCARD', CHATS .. target) >= capacity then return {'capacity'} end
  redis.call('SMOVE', CHATS .. advisor, CHATS .. target, id)
  redis.call('HSET', TICKET .. id, 'advisor', target)
  redis.call('SET', HOLDER .. f[3], 'advisor:' .. target)
  publish('transferred', id, f[4], target)
end
return {'ok', redis.call('HGETALL', TICKET .. id)}
"""

# ARGV: ticket id, advisor, language ('' = the same), now ms.
REQUEUE = r"""
local id, advisor, now = ARGV[1], ARGV[2], tonumber(ARGV[4])
local f, err = held_by(id, advisor)
if not f then return {err} end
redis.call('SREM', CHATS .. advisor, id)
if ARGV[3] ~= '' then redis.call('HSET', TICKET .. id, 'language', ARGV[3]) end
local g = enter_queue(id, now, now)
publish('requeued', id, g[2])
return {'ok', redis.call('HGETALL', TICKET .. id)}
"""

# ARGV: ticket id, advisor, outcome label, now ms.
CLOSE = r"""
local id, advisor = ARGV[1], ARGV[2]
local f, err = held_by(id, advisor)
if not f then return {err} end
record_closed(id, ARGV[3], advisor, tonumber(ARGV[4]))
discard(id, f[3], f[4], advisor)
publish('closed', id, f[4], advisor)
return {'ok'}
"""

# ARGV: conversation, mode ('withdraw': only while queued, recorded; 'leave': queued or
#       held, recorded — the person went back to the bot; 'forget': any state, nothing
#       kept), now ms.
DROP = r"""
local conv, mode = ARGV[1], ARGV[2]
local open = redis.call('GET', OPEN .. conv)
if not open then
  if mode == 'forget' then redis.call('DEL', HOLDER .. conv) end
  return {'none'}
end
local f = redis.call('HMGET', TICKET .. open, 'state', 'advisor', 'language')
local event = 'forgotten'
if mode == 'withdraw' then
  if f[1] ~= 'queued' then return {f[1] or 'none'} end
  record_closed(open, 'withdrawn', '', tonumber(ARGV[3]))
  event = 'withdrawn'
elseif mode == 'leave' then
  if f[1] ~= 'queued' and f[1] ~= 'held' then return {'none'} end
  record_closed(open, f[1] == 'held' and 'left_by_person' or 'withdrawn', f[2] or '',
                tonumber(ARGV[3]))
  event = f[1] == 'held' and 'closed' or 'withdrawn'
end
if f[1] then
  discard(open, conv, f[3], f[2])
else
  redis.call('DEL', OPEN .. conv, HOLDER .. conv)
end
publish(event, open, f[3], (mode == 'leave' and f[2] ~= '') and f[2] or nil)
return {'ok', open}
"""

# ARGV: now ms, grace ms, max advisors, advisor ('' = every one absent longer than the
#       grace). Returns the requeued ticket ids.
REAP = r"""
local now = tonumber(ARGV[1])
local advisors
if ARGV[4] ~= '' then
  advisors = {ARGV[4]}
else
  advisors = redis.call('ZRANGEBYSCORE', ADVISORS, '-inf', fmt(now - tonumber(ARGV[2])),
                        'LIMIT', 0, tonumber(ARGV[3]))
end
local requeued = {}
for _, advisor in ipairs(advisors) do
  for _, id in ipairs(redis.call('SMEMBERS', CHATS .. advisor)) do
    local f = redis.call('HMGET', TICKET .. id, 'state', 'advisor')
    if f[1] == 'held' and f[2] == advisor then
      local g = enter_queue(id, now, now)
      publish('requeued', id, g[2])
      requeued[#requeued + 1] = id
    end
  end
  redis.call('DEL', CHATS .. advisor, ADVISOR .. advisor)
  redis.call('ZREM', ADVISORS, advisor)
  publish('advisor_gone', nil, nil, advisor)
end
return requeued
"""

# ARGV: limit per language, advisor ('' = the languages that follow), languages...
# Returns {'ok', capacity, open chats, {{score, ticket fields}, ...}} or {'absent'}.
LIST = r"""
local limit, advisor = tonumber(ARGV[1]), ARGV[2]
local langs, capacity, open_chats = {}, 0, 0
if advisor ~= '' then
  langs, capacity = presence(advisor)
  if not langs then return {'absent'} end
  open_chats = redis.call('SCARD', CHATS .. advisor)
else
  for i = 3, #ARGV do langs[#langs + 1] = ARGV[i] end
end
local items = {}
for _, lang in ipairs(langs) do
  local ids = redis.call('ZRANGE', WAITING .. lang, 0, limit - 1, 'WITHSCORES')
  for i = 1, #ids, 2 do
    items[#items + 1] = {ids[i + 1], redis.call('HGETALL', TICKET .. ids[i])}
  end
end
return {'ok', capacity, open_chats, items}
"""

# ARGV: conversation. Returns {'none'} | {'held', id, language, advisor} |
#       {'queued', id, language, priority, rank, waiting, recent waits...}.
POSITION = r"""
local open = redis.call('GET', OPEN .. ARGV[1])
if not open then return {'none'} end
local f = redis.call('HMGET', TICKET .. open, 'state', 'language', 'advisor', 'priority')
if not f[1] then return {'none'} end
if f[1] == 'held' then return {'held', open, f[2], f[3]} end
local rank = redis.call('ZRANK', WAITING .. f[2], open)
if not rank then return {'none'} end
return {'queued', open, f[2], f[4], rank, redis.call('ZCARD', WAITING .. f[2]),
        redis.call('LRANGE', WAITS .. f[2], 0, -1)}
"""

# ARGV: now ms, limit. Pops due alerts; returns the still-waiting tickets' fields.
OVERDUE = r"""
local due = redis.call('ZRANGEBYSCORE', ALERTS, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(due) do
  redis.call('ZREM', ALERTS, id)
  if redis.call('HGET', TICKET .. id, 'state') == 'queued' then
    out[#out + 1] = redis.call('HGETALL', TICKET .. id)
  end
end
return out
"""

# ARGV: advisor, ttl ms, expiry ms. Returns 1, or 0 when the presence already expired.
HEARTBEAT = r"""
if redis.call('PEXPIRE', ADVISOR .. ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', ADVISORS, ARGV[3], ARGV[1])
return 1
"""
