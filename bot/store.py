"""Redis access for a person's updates: one round trip in, one transaction out.

Every Redis round trip inside an update costs ~150–200 µs of CPU
(PERFORMANCE.md), so the intake folds three jobs into one Lua call —
duplicate-update detection, the flood-control counter and loading the
conversation record — and a turn's writes (record, events, outbox, ticket)
go out in one Lua call too (bot/commit.py). aiogram's RedisStorage would
cost a GET and a SET per update on top (~590 µs measured), so the record is
our own compact key instead (bench/bot_pipeline.py measures the whole path).
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.conversation import CONVERSATION_TTL, Conversation
from bot.lane import ScriptLane
from handoff import keys
from handoff.ownership import BOT, Holder

#: Recent update ids remembered per person, and for how long.
SEEN_KEEP = 64
SEEN_TTL = 24 * 3600
#: Flood control: at most FLOOD_LIMIT updates per person per FLOOD_WINDOW seconds.
FLOOD_LIMIT = 20
FLOOD_WINDOW = 60

# KEYS: seen, flood, conversation, the outbox's blocked mark of the chat, the holder.
# ARGV: update id ("" if none), seen ttl, keep, flood window.
# Returns {1, count, record, holder} for a new update, {0} for one seen before. A
# person who writes has unblocked the bot, so the outbox's blocked mark goes. The
# holder (handoff/ownership.py) rides along: knowing whether an advisor holds the
# conversation costs no extra round trip.
_INTAKE = """
if ARGV[1] ~= '' then
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {0} end
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
redis.call('DEL', KEYS[4])
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return {1, n, redis.call('GET', KEYS[3]) or false, redis.call('GET', KEYS[5]) or false}
"""


@dataclass(frozen=True, slots=True)
class Intake:
    """What the intake found: a duplicate, or the person's count and record."""

    duplicate: bool
    #: Updates from this person in the current flood window, this one included.
    count: int = 0
    conversation: Conversation | None = None
    #: Who holds the conversation: the bot, the queue or an advisor.
    holder: Holder = BOT

    @property
    def flooded(self) -> bool:
        return self.count > FLOOD_LIMIT

    @property
    def first_flooded(self) -> bool:
        """The one update that gets the calm flood notice; later ones are skipped silently."""
        return self.count == FLOOD_LIMIT + 1


class ConversationStore:
    """The per-person keys of :mod:`handoff.keys`, read and written in as few trips as possible."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._lane = ScriptLane.of(redis)
        self._intake = self._lane.register_batched(_INTAKE)

    async def intake(self, pseudonym: str, update_id: int | None, chat_id: int) -> Intake:
        keys_ = [keys.bot_seen(pseudonym), keys.bot_flood(pseudonym),
                 keys.bot_conversation(pseudonym), keys.outbox_blocked(chat_id),
                 keys.handoff_holder(pseudonym)]
        args = ["" if update_id is None else update_id, SEEN_TTL, SEEN_KEEP, FLOOD_WINDOW]
        result = await self._intake(keys=keys_, args=args)
        if not result or int(result[0]) == 0:
            return Intake(duplicate=True)
        raw = result[2] if len(result) > 2 and result[2] else None
        held = Holder.parse(result[3]) if len(result) > 3 and result[3] else BOT
        return Intake(duplicate=False, count=int(result[1]), conversation=Conversation.load(raw),
                      holder=held)

    async def first_time(self, update_id: int) -> bool:
        """Deduplicate an update that comes from no person (SET NX with a TTL)."""
        return bool(await self.redis.set(f"{keys.BOT_SEEN_ANON}{update_id}", 1, nx=True,
                                         ex=SEEN_TTL))

    async def release(self, pseudonym: str | None, update_id: int) -> None:
        """Forget that an update was seen, after it failed: a redelivery is then processed."""
        if pseudonym is None:
            await self.redis.delete(f"{keys.BOT_SEEN_ANON}{update_id}")
        else:
            await self.redis.zrem(keys.bot_seen(pseudonym), update_id)

    @staticmethod
    def write(pipe: Pipeline, pseudonym: str, conversation: Conversation, *,
              ttl: int = CONVERSATION_TTL) -> None:
        """Queue the record's write (with its TTL) on the caller's transaction."""
        pipe.set(keys.bot_conversation(pseudonym), conversation.dump(), ex=ttl)

    async def save(self, pseudonym: str, conversation: Conversation) -> None:
        """Through the lane: after every handoff, at a third of redis-py's client CPU."""
        await self._lane.execute("SET", keys.bot_conversation(pseudonym), conversation.dump(),
                                 "EX", CONVERSATION_TTL)

    async def load(self, pseudonym: str) -> Conversation | None:
        return Conversation.load(await self.redis.get(keys.bot_conversation(pseudonym)))

    async def load_with_holder(self, pseudonym: str) -> tuple[Conversation | None, Holder]:
        """The record and the holder in one MGET (the web chat's read per frame)."""
        raw, held = await self.redis.mget([keys.bot_conversation(pseudonym),
                                           keys.handoff_holder(pseudonym)])
        return Conversation.load(raw), Holder.parse(held)

    @staticmethod
    def erase(pipe: Pipeline, pseudonym: str, conversation: Conversation | None) -> int:
        """Queue the deletion of every per-person key and ticket; returns the tickets deleted."""
        pipe.delete(keys.bot_conversation(pseudonym), keys.bot_seen(pseudonym),
                    keys.bot_flood(pseudonym))
        tickets = conversation.tickets if conversation is not None else []
        if tickets:
            pipe.xdel(keys.HANDOFF_STREAM, *tickets)
        return len(tickets)
