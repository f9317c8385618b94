"""What a handoff ticket is: the request that comes in, and the ticket the queue keeps.

A request arrives on :data:`handoff.keys.HANDOFF_STREAM` in one of two shapes,
both read here so producers need not change:

- the api's ``POST /api/v1/handoffs`` writes flat fields ``ticket_id``,
  ``conversation``, ``language``, ``intent``, ``reason``, ``priority``,
  ``source``, ``created_at`` (epoch seconds);
- the bot writes its ticket as JSON in the single field ``ticket`` (``id``,
  ``conversation``, ``lang``, ``intent``, ``priority``, ``reason``, ``flow``,
  ``channel``, ``chat`` — the sealed chat id —, ``at``).

Priorities and languages are redefined here (not imported from ``flows``)
because ``handoff`` depends on nothing of the project but its settings; the
values are the same strings, so ``flows.schema.Priority.urgent`` validates.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator


class Priority(StrEnum):
    """Urgent danger and serving soldiers, then summons with a deadline, then the rest."""

    urgent = "urgent"
    high = "high"
    normal = "normal"

    @property
    def band(self) -> int:
        """Sort band: lower is served first."""
        return _BANDS[self]


_BANDS = {Priority.urgent: 0, Priority.high: 1, Priority.normal: 2}


class Language(StrEnum):
    ru = "ru"
    uk = "uk"
    be = "be"
    en = "en"
    de = "de"


class TicketState(StrEnum):
    queued = "queued"
    held = "held"


TicketId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9:_.\-]{1,128}$")]
ConversationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{8,128}$")]
AdvisorId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
Intent = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: The sealed chat reference the bot gives; opaque here.
ChatRef = Annotated[str, StringConstraints(min_length=1, max_length=1024,
                                           pattern=r"^[A-Za-z0-9_\-=+/.:]+$")]
Channel = Literal["telegram", "web"]
#: The stream field of the bot's JSON ticket.
BOT_FIELD = "ticket"
#: Bounds of a readable entry (anything larger is malformed, not parsed).
MAX_FIELDS = 32
MAX_FIELD_CHARS = 16_384
#: Epoch seconds beyond any plausible time (year 5138).
MAX_EPOCH = 1e11


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class TicketRequest(BaseModel):
    """One escalation as a producer asked for it; ``id`` makes it idempotent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: TicketId
    conversation: ConversationId
    language: Language
    priority: Priority = Priority.normal
    reason: Reason
    intent: Intent | None = None
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    chat: ChatRef | None = None
    channel: Channel = "telegram"
    flow: Intent | None = None
    source: Annotated[str, StringConstraints(max_length=32)] | None = None

    @field_validator("created")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return _utc(value)

    @classmethod
    def from_stream(cls, fields: Mapping[Any, Any]) -> TicketRequest:
        """Read a stream entry in either producer's shape.

        Raises ``ValueError`` (pydantic's ``ValidationError`` is one) for anything
        malformed: undecodable bytes, broken JSON, missing or invalid fields.
        """
        flat = {_text(k): _text(v) for k, v in fields.items()}
        if len(flat) > MAX_FIELDS or any(len(v) > MAX_FIELD_CHARS for v in flat.values()):
            raise ValueError("entry too large")
        if BOT_FIELD in flat:
            raw = json.loads(flat[BOT_FIELD])
            if not isinstance(raw, dict):
                raise ValueError("the ticket field is not a JSON object")
            data: dict[str, Any] = {
                "id": raw.get("id"), "conversation": raw.get("conversation"),
                "language": raw.get("lang", raw.get("language")),
                "priority": raw.get("priority", "normal"), "reason": raw.get("reason"),
                "intent": raw.get("intent") or None, "chat": raw.get("chat") or None,
                "channel": raw.get("channel", "telegram"), "flow": raw.get("flow") or None,
                "source": "bot",
            }
            if raw.get("at") is not None:
                data["created"] = raw["at"]
        else:
            data = {
                "id": flat.get("ticket_id"), "conversation": flat.get("conversation"),
                "language": flat.get("language"), "priority": flat.get("priority") or "normal",
                "reason": flat.get("reason"), "intent": flat.get("intent") or None,
                "chat": flat.get("chat") or None, "source": flat.get("source") or None,
            }
            if flat.get("created_at"):
                seconds = float(flat["created_at"])
                if not 0 < seconds < MAX_EPOCH:
                    raise ValueError("created_at out of range")
                data["created"] = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return cls.model_validate(data)


class Ticket(BaseModel):
    """A ticket as the queue holds it: waiting (``queued``) or with an advisor (``held``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    conversation: str
    language: Language
    priority: Priority
    reason: str
    intent: str | None = None
    created: dt.datetime
    #: When this stay in the queue began (differs from ``created`` after a requeue).
    queued_at: dt.datetime
    state: TicketState
    advisor: str | None = None
    claimed_at: dt.datetime | None = None
    chat: str | None = None
    channel: Channel = "telegram"
    flow: str | None = None
    source: str | None = None

    @classmethod
    def from_hash(cls, raw: Mapping[Any, Any] | list[Any]) -> Ticket:
        """Build from HGETALL (a mapping, or the flat list a Lua script returns)."""
        if isinstance(raw, list):
            raw = dict(zip(raw[::2], raw[1::2], strict=True))
        data = {_text(k): _text(v) for k, v in raw.items()}
        return cls(
            id=data["id"], conversation=data["conversation"], language=Language(data["language"]),
            priority=Priority(data["priority"]), reason=data["reason"],
            intent=data.get("intent") or None, created=from_ms(data["created"]),
            queued_at=from_ms(data["queued_at"]), state=TicketState(data["state"]),
            advisor=data.get("advisor") or None,
            claimed_at=from_ms(data["claimed_at"]) if data.get("claimed_at") else None,
            chat=data.get("chat") or None, channel=data.get("channel") or "telegram",  # type: ignore[arg-type]
            flow=data.get("flow") or None, source=data.get("source") or None,
        )


def to_ms(moment: dt.datetime | float) -> int:
    """Epoch milliseconds (the queue's clock unit)."""
    seconds = moment.timestamp() if isinstance(moment, dt.datetime) else moment
    return int(seconds * 1000)


def from_ms(value: str | int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()  # strict: undecodable bytes are malformed input
    return str(value)
