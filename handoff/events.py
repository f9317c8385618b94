"""Conversation events: every message in and out, and erasures, from the channels to the api.

The bot never touches PostgreSQL. It XADDs one event per message to
:data:`handoff.keys.EVENTS_STREAM`; the api's recorder reads the stream with a
consumer group and writes transcripts. The contract is this model, carried as
JSON in the single stream field ``event``:

- ``conversation`` is the person's pseudonym, never a Telegram id;
- ``text`` is sealed (AES-GCM, purpose ``"text"``, context = the pseudonym)
  before it leaves the bot, so neither Redis nor PostgreSQL holds plain text;
- ``id`` makes the event idempotent: a redelivered update yields the same id
  for its ``message_in`` event, and the recorder skips ids it already stored;
- ``erase`` asks the recorder to delete everything of the conversation now.

Sealing is done by the caller's sealer (``hotline.crypto.Sealer`` in practice);
this module only needs its ``seal`` method, so ``handoff`` stays free of
anything but ``hotline.settings``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff import keys

#: The stream field holding the event's JSON.
FIELD = "event"
#: The Sealer purpose for message text (a key separate from chat ids).
TEXT_PURPOSE = "text"


class EventType(StrEnum):
    message_in = "message_in"
    message_out = "message_out"
    #: An advisor's message to the person (the transcript shows who wrote what).
    advisor_out = "advisor_out"
    erase = "erase"


Channel = Literal["telegram", "web"]


class TextSealer(Protocol):
    """What sealing needs: ``hotline.crypto.Sealer(secret, TEXT_PURPOSE)`` fits."""

    def seal(self, plaintext: str, *, context: str = "") -> str: ...


class ConversationEvent(BaseModel):
    """One thing that happened in a conversation, as the recorder stores it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        default_factory=lambda: uuid.uuid4().hex
    )
    type: EventType
    conversation: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    channel: Channel = "telegram"
    lang: str | None = None
    intent: str | None = None
    #: Sealed text (never plain); None for erase events and inputs without text.
    text: str | None = None
    #: True when the reply was sent with Telegram's protect_content.
    protected: bool = False
    at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {FIELD: self.model_dump_json(exclude_none=True)}

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> ConversationEvent:
        """Parse a stream entry written by :meth:`fields` (``ValidationError`` if foreign)."""
        raw = fields.get(FIELD, fields.get(FIELD.encode()))
        if raw is None:
            raise ValueError(f"stream entry has no {FIELD!r} field")
        return cls.model_validate_json(raw)


def message_event(
    sealer: TextSealer,
    *,
    type: EventType,
    conversation: str,
    text: str | None,
    channel: Channel = "telegram",
    lang: str | None = None,
    intent: str | None = None,
    protected: bool = False,
    id: str | None = None,
    at: dt.datetime | None = None,
) -> ConversationEvent:
    """A message event with its text sealed for ``conversation``."""
    sealed = None if text is None else sealer.seal(text, context=conversation)
    return ConversationEvent(
        id=id or uuid.uuid4().hex, at=at or dt.datetime.now(dt.UTC), type=type,
        conversation=conversation, channel=channel, lang=lang, intent=intent, text=sealed,
        protected=protected)


def erase_event(conversation: str, *, channel: Channel = "telegram") -> ConversationEvent:
    """Tell the recorder to delete every record of ``conversation``."""
    return ConversationEvent(type=EventType.erase, conversation=conversation, channel=channel)


def add_events(pipe: Pipeline, events: list[ConversationEvent]) -> None:
    """Queue XADDs of ``events`` on a pipeline (the caller executes it with its other writes)."""
    for event in events:
        pipe.xadd(keys.EVENTS_STREAM, event.fields())  # type: ignore[arg-type]


async def emit(redis: Redis, events: list[ConversationEvent]) -> None:
    """XADD ``events`` in one round trip."""
    if not events:
        return
    async with redis.pipeline(transaction=False) as pipe:
        add_events(pipe, events)
        await pipe.execute()
