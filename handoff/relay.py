"""What the advisor side says to a person: the api writes it, the bot delivers it.

The api never learns a chat id. A ticket carries the chat only sealed (by the
bot, purpose ``"chat"``), so an advisor's reply, the "an advisor is with you"
notice, the hand-back and the closing question travel as a
:class:`PersonMessage` on :data:`handoff.keys.TO_PERSON_STREAM`; the bot's
relay (consumer group :data:`handoff.keys.TO_PERSON_GROUP`) opens the chat ref,
renders the message in the person's language and channel under the service's
name — never the advisor's — and queues it on the outbox (Telegram) or
publishes it to the open web chat. Entries are acknowledged and deleted once
queued, and the message id makes a redelivery harmless (the outbox is
idempotent by id).

The advisor's words are recorded by the api itself, as an
:data:`handoff.events.EventType.advisor_out` event with the same id, written
in the same MULTI as the stream entry (:func:`relay`), so the transcript and
the delivery never disagree.

The satisfaction answer goes the other way, as a :class:`Feedback` on
:data:`handoff.keys.FEEDBACK_STREAM`: ticket id and score only, nothing that
names the person.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from redis.asyncio import Redis

from handoff import keys
from handoff.events import ConversationEvent
from handoff.tickets import Channel, ChatRef, ConversationId, Language, Ticket, TicketId

#: The stream field holding the message's JSON.
FIELD = "msg"
#: Telegram's limit for one message, in characters (the relay splits nothing).
MAX_TEXT = 4096
#: Approximate cap of the stream (entries are deleted once delivered; this only bounds a backlog).
STREAM_MAXLEN = 100_000


class RelayKind(StrEnum):
    #: An advisor's words (``text``).
    advisor_text = "advisor_text"
    #: An advisor took the chat ("a person is with you now").
    claimed = "claimed"
    #: The chat went back to the bot.
    handed_back = "handed_back"
    #: The advisor closed the chat.
    closed = "closed"
    #: After closing: the optional one-tap "did this help?" question (callback carries ``ticket``).
    survey = "survey"
    #: The chat went back to the queue (transfer to another language, advisor gone).
    requeued = "requeued"


class PersonMessage(BaseModel):
    """One message for a person; ``id`` makes delivery idempotent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:_.\-]{1,100}$")] = Field(
        default_factory=lambda: "adv:" + uuid.uuid4().hex)
    kind: RelayKind
    ticket: TicketId
    conversation: ConversationId
    channel: Channel = "telegram"
    #: The ticket's sealed chat ref (None on the web chat).
    chat: ChatRef | None = None
    language: Language
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT)] | None = None

    @classmethod
    def for_ticket(cls, ticket: Ticket, kind: RelayKind, text: str | None = None,
                   *, id: str | None = None) -> PersonMessage:
        data: dict[str, Any] = {
            "kind": kind, "ticket": ticket.id, "conversation": ticket.conversation,
            "channel": ticket.channel, "chat": ticket.chat, "language": ticket.language,
            "text": text,
        }
        if id is not None:
            data["id"] = id
        return cls.model_validate(data)

    def fields(self) -> dict[str, str]:
        return {FIELD: self.model_dump_json(exclude_none=True)}

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> PersonMessage:
        """Parse a stream entry (``ValueError``/``ValidationError`` when malformed)."""
        raw = fields.get(FIELD, fields.get(FIELD.encode()))
        if raw is None:
            raise ValueError(f"stream entry has no {FIELD!r} field")
        return cls.model_validate_json(raw)


async def relay(redis: Redis, message: PersonMessage,
                event: ConversationEvent | None = None) -> None:
    """Queue ``message`` for the bot, with its transcript ``event``, in one MULTI."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(keys.TO_PERSON_STREAM, message.fields(),  # type: ignore[arg-type]
                  maxlen=STREAM_MAXLEN, approximate=True)
        if event is not None:
            pipe.xadd(keys.EVENTS_STREAM, event.fields())  # type: ignore[arg-type]
        await pipe.execute()


class Score(StrEnum):
    helped = "helped"
    not_helped = "not_helped"


class Feedback(BaseModel):
    """The person's answer to the closing question: the ticket and a score, nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: TicketId
    score: Score

    def fields(self) -> dict[str, str]:
        return {"ticket": self.ticket, "score": self.score.value}

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Feedback:
        flat = {(k.decode() if isinstance(k, bytes) else str(k)):
                (v.decode() if isinstance(v, bytes) else str(v)) for k, v in fields.items()}
        return cls.model_validate({"ticket": flat.get("ticket"), "score": flat.get("score")})


async def send_feedback(redis: Redis, feedback: Feedback) -> None:
    await redis.xadd(keys.FEEDBACK_STREAM, feedback.fields(),  # type: ignore[arg-type]
                     maxlen=STREAM_MAXLEN, approximate=True)
