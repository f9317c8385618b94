"""Advisor presence: who is on duty, in which languages, for how many chats at once.

A console registers its advisor and heartbeats while it is open; the
presence expires by itself when the browser (or the whole api) dies. The
queue offers and lets claim only tickets in the advisor's languages while
they hold fewer chats than their capacity. The chats outlive the presence:
:meth:`HandoffQueue.reap_absent_advisors` returns them to the queue only
after a grace period, so a reconnecting advisor keeps their conversations.
"""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from handoff import keys, lua, scripts
from handoff.config import QueueConfig
from handoff.tickets import AdvisorId, Language, to_ms

#: An advisor serves at most this many chats at once (a guard against typos, not a policy).
MAX_CAPACITY = 50


class AdvisorPresence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: AdvisorId
    languages: Annotated[frozenset[Language], Field(min_length=1)]
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] = 3


class Advisors:
    def __init__(self, redis: Redis, config: QueueConfig | None = None) -> None:
        self.redis = redis
        self.config = config or QueueConfig()
        self._heartbeat = lua.register(redis, self.config, scripts.HEARTBEAT)

    async def register(self, presence: AdvisorPresence, *, now: float | None = None) -> None:
        """Go on duty (or change languages/capacity); lasts ``presence_ttl`` without heartbeat."""
        ttl_ms = int(self.config.presence_ttl * 1000)
        key = keys.handoff_advisor(presence.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={
                "languages": ",".join(sorted(lang.value for lang in presence.languages)),
                "capacity": presence.capacity,
            })
            pipe.pexpire(key, ttl_ms)
            pipe.zadd(keys.HANDOFF_ADVISORS, {presence.id: self._expiry(now)})
            await pipe.execute()

    async def heartbeat(self, advisor: str, *, now: float | None = None) -> bool:
        """Keep the presence alive; False when it already expired (register again)."""
        ttl_ms = int(self.config.presence_ttl * 1000)
        return bool(await self._heartbeat(args=[advisor, ttl_ms, self._expiry(now)]))

    async def get(self, advisor: str) -> AdvisorPresence | None:
        """The advisor's live presence, or None."""
        raw = await self.redis.hgetall(keys.handoff_advisor(advisor))  # type: ignore[misc]
        if not raw:
            return None
        data = {_text(k): _text(v) for k, v in raw.items()}
        return AdvisorPresence(id=advisor, capacity=int(data["capacity"]),
                               languages=frozenset(Language(x) for x in
                                                   data["languages"].split(",") if x))

    async def chats(self, advisor: str) -> list[str]:
        """Ticket ids the advisor holds (also after their presence expired)."""
        members = await self.redis.smembers(keys.handoff_advisor_chats(advisor))  # type: ignore[misc]
        return sorted(_text(m) for m in members)

    def _expiry(self, now: float | None) -> int:
        return to_ms(now if now is not None else time.time()) + int(self.config.presence_ttl * 1000)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
