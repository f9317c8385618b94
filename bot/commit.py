"""A Telegram turn's writes as ONE Lua call: ticket, record, events, outbox, the person's message.

A MULTI pipeline did the same atomically, but redis-py sends ``SCRIPT EXISTS``
first for any pipeline holding a Script (the outbox's enqueue), one more round
trip per update, and packs and parses every command of the pipeline apart
(PERFORMANCE.md: each costs CPU in the handler). One EVALSHA does it all:
a Lua script runs atomically, and redis-py's Script reloads it on NOSCRIPT and
retries, so the turn is written whole or not at all, as before. The enqueue
and remember logic is the outbox's own (``handoff.outbox``), not a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.lane import ScriptLane
from handoff import keys
from handoff.events import FIELD as EVENT_FIELD
from handoff.events import ConversationEvent
from handoff.outbox import (
    CHAT_STATE_TTL,
    ENQUEUE_LUA,
    ENQUEUED_TTL,
    OUTBOX_STREAM,
    REMEMBER_LUA,
    Ready,
    enqueue_keys,
    remember_args,
    remember_keys,
)

# KEYS: handoff stream, conversation record, events stream, outbox stream, the chat's
#       messages, delete-due, then per outgoing message: enqueued marker, chat state, blocked.
# ARGV: 1 ticket field, 2 ticket JSON ('' = none), 3 record ('' = keep), 4 record TTL s,
#       5 remembered message id ('' = none), 6-10 the rest of remember's arguments,
#       11 marker TTL ms, 12 chat TTL ms, 13 event field, 14 event count n,
#       15..14+n events, then per outgoing message: id, chat id, JSON.
# Returns {ticket stream id or '', enqueue status per message...}.
_COMMIT = ENQUEUE_LUA + REMEMBER_LUA + """
local result = {''}
if ARGV[2] ~= '' then result[1] = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4]) end
local n = tonumber(ARGV[14])
for i = 1, n do redis.call('XADD', KEYS[3], '*', ARGV[13], ARGV[14 + i]) end
local a, k = 15 + n, 7
while a + 2 <= #ARGV do
  result[#result + 1] = enqueue(KEYS[4], KEYS[k], KEYS[k + 1], KEYS[k + 2],
                                ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[11], ARGV[12])
  a, k = a + 3, k + 3
end
if ARGV[5] ~= '' then
  remember(KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
end
return result
"""


@dataclass(frozen=True, slots=True)
class Remembered:
    """The person's own message, noted so /forget and auto-delete remove it too."""

    chat_id: int
    message_id: int
    delete_after: int | None


class TurnCommit:
    """The one-call commit; built once at start-up with the Redis client."""

    def __init__(self, redis: Redis) -> None:
        self._script = ScriptLane.of(redis).register_batched(_COMMIT)

    async def __call__(
        self,
        *,
        pseudonym: str,
        chat_id: int,
        outgoing: Sequence[Ready],
        events: Sequence[ConversationEvent] = (),
        record: bytes | None = None,
        record_ttl: int = 0,
        ticket: tuple[str, str] | None = None,
        remembered: Remembered | None = None,
    ) -> str | None:
        """Write everything at once; returns the ticket's stream id when there was one.

        ``ticket`` is the ticket's (field, JSON); ``record`` the conversation
        record's bytes, kept ``record_ttl`` seconds.
        """
        keys_: list[str] = [keys.HANDOFF_STREAM, keys.bot_conversation(pseudonym),
                            keys.EVENTS_STREAM, OUTBOX_STREAM,
                            *remember_keys(remembered.chat_id if remembered else chat_id)]
        args: list[str | int | bytes] = [
            ticket[0] if ticket else "", ticket[1] if ticket else "",
            record if record is not None else "", record_ttl,
        ]
        if remembered is not None:
            args += remember_args(remembered.chat_id, remembered.message_id,
                                  remembered.delete_after)
        else:
            args += ["", "", "", "", "", ""]
        args += [ENQUEUED_TTL * 1000, CHAT_STATE_TTL * 1000, EVENT_FIELD, len(events)]
        args += [event.fields()[EVENT_FIELD] for event in events]
        for message in outgoing:  # the outbox's own keys and arguments, minus shared ones
            keys_ += enqueue_keys(message)[1:]
            args += [message.id, message.chat_id, message.data]
        result = await self._script(keys=keys_, args=args)
        stream_id = result[0] if result else ""
        stream_id = stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)
        return stream_id or None
