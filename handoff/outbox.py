"""The outbox: every message for Telegram is queued here and sent by the bot's one sender.

Producers — the bot's handlers, the api's advisor console — never call
Telegram themselves: Telegram's limits (~30 messages/s per bot, ~1/s per chat)
hold for the whole deployment, and only one place can keep them. A producer
builds an :class:`OutgoingMessage` and enqueues it; ``bot/sender.py`` sends it
under the shared limits, retries, and acknowledges only after Telegram
accepted it.

Enqueueing is one Lua call, so it is atomic and idempotent by the message's
``id``: a producer that retries after a timeout does not queue the message
twice. It also gives the message its chat's next sequence number, which is how
several sender replicas keep one chat's messages in order.

Stream entry fields: ``id``, ``chat``, ``seq`` and ``data`` (the message as
JSON). The raw chat id lives only here, in Redis, and in the bot process. The
stream has one consumer group, the sender's: it deletes each entry once
handled, so message text does not stay in Redis after it was sent.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from handoff import keys

OUTBOX_STREAM = keys.OUTBOX_STREAM
OUTBOX_GROUP = keys.OUTBOX_GROUP
OUTBOX_DEAD_STREAM = keys.OUTBOX_DEAD_STREAM

#: Telegram lets a bot delete a message for 48 hours after it was sent.
DELETE_WINDOW = 48 * 3600
#: How long an enqueued id is remembered: a producer's retry within it is a no-op.
ENQUEUED_TTL = 7 * 24 * 3600
#: How long a chat's sequence numbers live after its last message.
CHAT_STATE_TTL = 30 * 24 * 3600
#: How long a "blocked the bot" mark lives unless the person writes again.
BLOCKED_TTL = 90 * 24 * 3600
#: Generous cap on the raw text (Telegram's 4,096 count the visible text, after tags).
MAX_RAW_TEXT = 16_384

OutboxMethod = Literal[
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    # Not a Telegram method: delete the bot's messages of the last 48 h in this chat,
    # evaluated when its turn comes, so messages queued before it are deleted too.
    "deleteRecent",
    # Not a Telegram method: the last entry /forget queues for a chat. When its turn comes
    # (after the deletions and the goodbye), the sender drops its own per-chat bookkeeping —
    # pacing, order, the list of recent messages — whose key names carry the chat id.
    "forgetChat",
]
#: An outgoing message's id: what the enqueue marker's key may hold.
ID_MAX_LENGTH = 128
ID_PATTERN = r"^[A-Za-z0-9:_.\-]+$"
_NEEDS_MESSAGE_ID = frozenset({"editMessageText", "editMessageReplyMarkup", "deleteMessage"})


class OutgoingMessage(BaseModel):
    """One call the sender makes to Telegram on a producer's behalf."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Idempotency key: a uuid, or a deterministic id when the producer may retry.
    id: str = Field(
        default_factory=lambda: uuid.uuid4().hex,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=ID_PATTERN,
    )
    #: The raw Telegram chat id (Redis and the bot process only).
    chat_id: int
    method: OutboxMethod = "sendMessage"
    text: str | None = Field(default=None, max_length=MAX_RAW_TEXT)
    parse_mode: Literal["HTML", "MarkdownV2"] | None = None
    #: Telegram's reply_markup JSON (inline keyboard, reply keyboard, remove, force reply).
    reply_markup: dict[str, Any] | None = None
    #: The message to edit or delete.
    message_id: int | None = None
    message_ids: list[int] | None = Field(default=None, min_length=1, max_length=100)
    #: A forum topic in the advisors' group.
    message_thread_id: int | None = None
    protect_content: bool = False
    disable_notification: bool = False
    disable_link_preview: bool = False
    #: The person's "delete the bot's messages after N hours" option, in seconds.
    delete_after: int | None = Field(default=None, gt=0, le=DELETE_WINDOW)

    @model_validator(mode="after")
    def _fits_method(self) -> Self:
        if self.method in {"sendMessage", "editMessageText"} and not (self.text or "").strip():
            raise ValueError(f"{self.method} needs a non-empty text")
        if self.method in _NEEDS_MESSAGE_ID and self.message_id is None:
            raise ValueError(f"{self.method} needs message_id")
        if self.method == "deleteMessages" and not self.message_ids:
            raise ValueError("deleteMessages needs message_ids")
        if self.delete_after is not None and self.method != "sendMessage":
            raise ValueError("delete_after applies to sendMessage only")
        return self


class EnqueueStatus(StrEnum):
    QUEUED = "queued"
    #: This id was enqueued before: nothing was added.
    DUPLICATE = "duplicate"
    #: The person blocked the bot: nothing was added (see :meth:`Outbox.unblock`).
    BLOCKED = "blocked"


# A Lua function, so a producer's own script (e.g. the bot's one-call turn commit) can
# enqueue inside it. Arguments: stream, enqueued marker, chat state, blocked mark (keys),
# then id, chat id, JSON, marker TTL ms, chat TTL ms — :func:`enqueue_keys`/:func:`enqueue_args`.
ENQUEUE_LUA = """
local function enqueue(stream, marker, chat, blocked, id, chat_id, data, marker_ms, chat_ms)
  if redis.call('EXISTS', blocked) == 1 then return 'blocked' end
  if not redis.call('SET', marker, '1', 'NX', 'PX', marker_ms) then return 'duplicate' end
  local seq = redis.call('HINCRBY', chat, 'next', 1)
  redis.call('PEXPIRE', chat, chat_ms)
  redis.call('XADD', stream, '*', 'id', id, 'chat', chat_id, 'seq', seq, 'data', data)
  return 'queued'
end
"""

# A Lua function noting a message for /forget and the delete-after option (see
# :meth:`Outbox.remember`); times are computed by the caller (:func:`remember_args`).
# Arguments: chat messages key, delete-due key, message id, now ms, cutoff ms, window ms,
# due ms ('' = no deletion due), due member.
REMEMBER_LUA = """
local function remember(messages, due_key, message_id, now_ms, cutoff_ms, window_ms, due_ms, member)
  redis.call('ZADD', messages, now_ms, message_id)
  redis.call('ZREMRANGEBYSCORE', messages, '-inf', cutoff_ms)
  redis.call('PEXPIRE', messages, window_ms)
  if due_ms ~= '' then redis.call('ZADD', due_key, due_ms, member) end
end
"""

# KEYS: stream, enqueued marker, chat state, blocked mark.
# ARGV: id, chat id, JSON, marker TTL ms, chat TTL ms.
_ENQUEUE = ENQUEUE_LUA + """
return enqueue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
"""


def due_member(chat_id: int, message_id: int) -> str:
    """Member of :data:`keys.OUTBOX_DELETE_DUE` for one message."""
    return f"{chat_id}:{message_id}"


def parse_due_member(member: bytes | str) -> tuple[int, int]:
    text = member.decode() if isinstance(member, bytes) else member
    chat, _, message = text.rpartition(":")
    return int(chat), int(message)


class Outbox:
    """The producer's side of the outbox, bound to one Redis client."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._enqueue = redis.register_script(_ENQUEUE)

    async def ensure_group(self) -> None:
        """Create the sender's consumer group (from the stream's start, so nothing queued
        before the first sender started is skipped)."""
        try:
            await self.redis.xgroup_create(OUTBOX_STREAM, OUTBOX_GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def queue(self, pipe: Pipeline, message: OutgoingMessage) -> None:
        """Add the enqueue to the caller's pipeline (e.g. its MULTI with a turn's other writes);
        the pipeline's result for it is an :class:`EnqueueStatus` value (as bytes or str)."""
        await self._enqueue(keys=enqueue_keys(message), args=enqueue_args(message), client=pipe)

    async def enqueue(self, message: OutgoingMessage) -> EnqueueStatus:
        status = await self._enqueue(keys=enqueue_keys(message), args=enqueue_args(message))
        return EnqueueStatus(_text(status))

    async def enqueue_many(self, messages: list[OutgoingMessage]) -> list[EnqueueStatus]:
        """Enqueue in order in one round trip (the three messages of one answer)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for message in messages:
                await self.queue(pipe, message)
            results = await pipe.execute()
        return [EnqueueStatus(_text(result)) for result in results]

    async def delete_recent(self, chat_id: int) -> EnqueueStatus:
        """Delete the bot's messages of the last 48 h in this chat (for /forget), after the
        messages already queued to it: the deletion is queued behind them."""
        return await self.enqueue(OutgoingMessage(chat_id=chat_id, method="deleteRecent"))

    async def remember(self, chat_id: int, message_id: int, *, delete_after: int | None = None,
                       pipe: Pipeline | None = None) -> None:
        """Note a message in this chat (e.g. the person's own) so /forget and the
        delete-after option can delete it later too."""
        if pipe is None:
            async with self.redis.pipeline(transaction=True) as own:
                _remember(own, chat_id, message_id, delete_after)
                await own.execute()
        else:
            _remember(pipe, chat_id, message_id, delete_after)

    async def enqueue_due_deletions(self, *, now: float | None = None, limit: int = 500) -> int:
        """Queue deletions whose time came (the delete-after option); returns messages queued.

        Ids are deterministic, so two replicas running this at once queue each
        deletion once.
        """
        now_ms = int((now if now is not None else time.time()) * 1000)
        members = await self.redis.zrangebyscore(keys.OUTBOX_DELETE_DUE, "-inf", now_ms,
                                                 start=0, num=limit)
        if not members:
            return 0
        by_chat: dict[int, list[int]] = {}
        for member in members:
            chat_id, message_id = parse_due_member(member)
            by_chat.setdefault(chat_id, []).append(message_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for chat_id, ids in by_chat.items():
                for start in range(0, len(ids), 100):
                    chunk = sorted(ids[start:start + 100])
                    await self.queue(pipe, OutgoingMessage(
                        id=f"expire:{chat_id}:{chunk[0]}:{chunk[-1]}:{len(chunk)}",
                        chat_id=chat_id, method="deleteMessages", message_ids=chunk,
                    ))
            pipe.zrem(keys.OUTBOX_DELETE_DUE, *members)
            await pipe.execute()
        return len(members)

    async def is_blocked(self, chat_id: int) -> bool:
        return bool(await self.redis.exists(keys.outbox_blocked(chat_id)))

    async def unblock(self, chat_id: int) -> None:
        """The person wrote again, so they unblocked the bot: their messages are sent again."""
        await self.redis.delete(keys.outbox_blocked(chat_id))


async def enqueue(redis: Redis, message: OutgoingMessage) -> EnqueueStatus:
    """Queue one message for Telegram; idempotent by ``message.id``."""
    return await Outbox(redis).enqueue(message)


def _remember(pipe: Any, chat_id: int, message_id: int, delete_after: int | None) -> None:
    now_ms = int(time.time() * 1000)
    pipe.zadd(keys.outbox_messages(chat_id), {str(message_id): now_ms})
    pipe.zremrangebyscore(keys.outbox_messages(chat_id), "-inf", now_ms - DELETE_WINDOW * 1000)
    pipe.pexpire(keys.outbox_messages(chat_id), DELETE_WINDOW * 1000)
    if delete_after is not None:
        due = now_ms + min(delete_after, DELETE_WINDOW) * 1000
        pipe.zadd(keys.OUTBOX_DELETE_DUE, {due_member(chat_id, message_id): due})


def remember_keys(chat_id: int) -> list[str]:
    """Keys of :data:`REMEMBER_LUA`'s ``remember``, in order."""
    return [keys.outbox_messages(chat_id), keys.OUTBOX_DELETE_DUE]


def remember_args(chat_id: int, message_id: int, delete_after: int | None) -> list[str | int]:
    """Arguments of :data:`REMEMBER_LUA`'s ``remember`` after its keys: the same writes as
    :meth:`Outbox.remember`, timed by this process's clock."""
    now_ms = int(time.time() * 1000)
    due: str | int = ""
    if delete_after is not None:
        due = now_ms + min(delete_after, DELETE_WINDOW) * 1000
    return [message_id, now_ms, now_ms - DELETE_WINDOW * 1000, DELETE_WINDOW * 1000, due,
            due_member(chat_id, message_id)]


@dataclass(frozen=True, slots=True)
class Ready:
    """An outgoing message as the enqueue script takes it: its id, its chat and the entry's JSON.

    A producer that sends the same few texts again and again (the bot's menus
    and steps) validates and dumps each one once and queues ``Ready`` copies
    with fresh ids (``bot/outgoing.py``).
    """

    id: str
    chat_id: int
    data: str

    @classmethod
    def of(cls, message: OutgoingMessage) -> Ready:
        return cls(message.id, message.chat_id, entry_data(message))


def entry_data(message: OutgoingMessage) -> str:
    """The stream entry's ``data``: the message without what the entry carries apart."""
    return message.model_dump_json(exclude_defaults=True, exclude={"id", "chat_id"})


def enqueue_keys(message: OutgoingMessage | Ready) -> list[str]:
    """Keys of :data:`ENQUEUE_LUA`'s ``enqueue``, in order."""
    return [OUTBOX_STREAM, keys.outbox_enqueued(message.id), keys.outbox_chat(message.chat_id),
            keys.outbox_blocked(message.chat_id)]


def enqueue_args(message: OutgoingMessage) -> list[str | int]:
    """Arguments of :data:`ENQUEUE_LUA`'s ``enqueue`` after its keys."""
    return [message.id, message.chat_id, entry_data(message), ENQUEUED_TTL * 1000,
            CHAT_STATE_TTL * 1000]



def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
