"""Who holds a conversation: the bot, the queue, or one advisor — the one source of truth.

The value lives in :func:`handoff.keys.handoff_holder` and is changed only by
the queue's Lua scripts, together with the queue itself (enqueue sets
``queued``, a claim ``advisor:<id>``, close and hand-back delete it, which
means ``bot``). Reading it is one GET, cheap enough for the bot's hot path:
while an advisor holds a conversation the bot says nothing by itself and
passes the person's messages on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff import keys

ADVISOR_PREFIX = "advisor:"


class HolderKind(StrEnum):
    bot = "bot"
    queued = "queued"
    advisor = "advisor"


class Holder(BaseModel):
    """The holder of one conversation; ``str(holder)`` is "bot", "queued" or "advisor:<id>"."""

    model_config = ConfigDict(frozen=True)

    kind: HolderKind
    advisor: str | None = None

    @property
    def bot_may_answer(self) -> bool:
        """False while a person holds the conversation (the bot must stay silent)."""
        return self.kind is not HolderKind.advisor

    def __str__(self) -> str:
        return f"{ADVISOR_PREFIX}{self.advisor}" if self.advisor else self.kind.value

    @classmethod
    def parse(cls, raw: Any) -> Holder:
        """From the stored value; a missing (or unreadable) value means the bot."""
        value = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        if value == HolderKind.queued.value:
            return QUEUED
        if isinstance(value, str) and value.startswith(ADVISOR_PREFIX) and \
                len(value) > len(ADVISOR_PREFIX):
            return cls(kind=HolderKind.advisor, advisor=value[len(ADVISOR_PREFIX):])
        return BOT


BOT = Holder(kind=HolderKind.bot)
QUEUED = Holder(kind=HolderKind.queued)


async def holder(redis: Redis, conversation: str) -> Holder:
    """The conversation's holder, in one GET."""
    return Holder.parse(await redis.get(keys.handoff_holder(conversation)))


def read_holder(pipe: Pipeline, conversation: str) -> None:
    """Queue the GET on the caller's pipeline; parse its result with :meth:`Holder.parse`."""
    pipe.get(keys.handoff_holder(conversation))


async def holders(redis: Redis, conversations: list[str]) -> dict[str, Holder]:
    """Holders of many conversations in one MGET (the console's list)."""
    if not conversations:
        return {}
    values = await redis.mget([keys.handoff_holder(c) for c in conversations])
    return {c: Holder.parse(v) for c, v in zip(conversations, values, strict=True)}
