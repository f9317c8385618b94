"""Writing conversation events: one transaction per batch, Core statements, idempotent by id.

The hot write path of the api (PERFORMANCE.md: the ORM's per-row commit costs
~3.5× raw asyncpg), so a batch is planned in Python first — erasures applied in
stream order, conversations aggregated per person, since one ``ON CONFLICT DO
UPDATE`` may not touch a row twice — and then written with at most three
statements per table. Messages are unique by event id: a redelivered event is
skipped by ``ON CONFLICT DO NOTHING``.

An erase deletes every row of every table that has a ``pseudonym`` column, so
a table added later is covered without anyone remembering to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.models import Base, Conversation, ConversationMessage
from handoff.events import ConversationEvent, EventType

#: Bounds of the columns; an event beyond them is malformed, not a reason to fail a batch.
MAX_LANGUAGE = 16
MAX_INTENT = 64
MAX_PSEUDONYM = 64
#: A 4,096-character Telegram message sealed is ~22k characters; far more is not ours.
MAX_SEALED_CHARS = 65_536


class UnrecordableEvent(ValueError):
    """An event that parsed but cannot be stored; the message names the field, never its value."""


def check(event: ConversationEvent) -> ConversationEvent:
    """The event if it fits the tables (times made aware), else :class:`UnrecordableEvent`."""
    limits = {"conversation": MAX_PSEUDONYM, "lang": MAX_LANGUAGE, "intent": MAX_INTENT,
              "text": MAX_SEALED_CHARS}
    for name, limit in limits.items():
        value = getattr(event, name)
        if value is None:
            continue
        if len(value) > limit:
            raise UnrecordableEvent(f"{name}: longer than {limit} characters")
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise UnrecordableEvent(f"{name}: contains NUL")
    if event.at.tzinfo is None:
        return event.model_copy(update={"at": event.at.replace(tzinfo=dt.UTC)})
    return event


@dataclass
class _Person:
    channel: str
    started_at: dt.datetime
    last_event_at: dt.datetime
    language: str | None = None
    intents: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """What a batch does, in the order it is written: erase, upsert people, insert messages."""

    erased: set[str] = field(default_factory=set)
    people: dict[str, _Person] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.erased or self.messages)


def plan(events: list[ConversationEvent], *, not_before: dt.datetime | None = None) -> Plan:
    """Apply ``events`` in order; messages older than ``not_before`` are already expired."""
    result = Plan()
    for event in events:
        who = event.conversation
        if event.type is EventType.erase:
            result.erased.add(who)
            result.people.pop(who, None)
            result.messages = [m for m in result.messages if m["pseudonym"] != who]
            continue
        if not_before is not None and event.at < not_before:
            continue
        person = result.people.get(who)
        if person is None:
            person = result.people[who] = _Person(event.channel, event.at, event.at)
        person.started_at = min(person.started_at, event.at)
        person.last_event_at = max(person.last_event_at, event.at)
        person.language = event.lang or person.language
        if event.intent and event.intent not in person.intents:
            person.intents.append(event.intent)
        result.messages.append({
            "event_id": event.id, "pseudonym": who, "direction": event.type.value,
            "at": event.at, "language": event.lang, "intent": event.intent,
            "text_sealed": event.text, "protected": event.protected,
        })
    return result


def pseudonym_tables() -> list[Any]:
    """Every table keyed by a person, children before parents (foreign keys)."""
    return [t for t in reversed(Base.metadata.sorted_tables) if "pseudonym" in t.c]


async def erase(conn: AsyncConnection, pseudonyms: set[str] | list[str]) -> int:
    """Delete every row of these people from every table; returns rows deleted."""
    if not pseudonyms:
        return 0
    deleted = 0
    for table in pseudonym_tables():
        result = await conn.execute(delete(table).where(table.c.pseudonym.in_(list(pseudonyms))))
        deleted += result.rowcount or 0
    return deleted


async def write(conn: AsyncConnection, batch: Plan) -> None:
    """Write a planned batch on ``conn`` (the caller holds the transaction)."""
    await erase(conn, batch.erased)
    if batch.people:
        table = Conversation.__table__
        stmt = insert(table).values([
            {"pseudonym": who, "channel": p.channel, "language": p.language,
             "intents": p.intents, "started_at": p.started_at, "last_event_at": p.last_event_at}
            for who, p in batch.people.items()
        ])
        ex = stmt.excluded
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.pseudonym],
            set_={
                "language": func.coalesce(ex.language, table.c.language),
                "started_at": func.least(table.c.started_at, ex.started_at),
                "last_event_at": func.greatest(table.c.last_event_at, ex.last_event_at),
                "intents": literal_column(
                    "conversations.intents || ARRAY(SELECT unnest(excluded.intents) "
                    "EXCEPT SELECT unnest(conversations.intents))"),
            },
        ))
    if batch.messages:
        await conn.execute(
            insert(ConversationMessage.__table__).values(batch.messages)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
