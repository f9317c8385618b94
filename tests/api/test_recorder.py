"""The conversation recorder: events become rows once, nothing is lost, erase and retention delete.

Real PostgreSQL and Redis. Each test uses fresh pseudonyms, since the run's
database is shared; the recorder's stream and group live in the test's Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.models import Conversation, ConversationMessage, ConversationStatus, Role
from api.record import store
from api.record.consumer import EventRecorder
from api.record.retention import purge_expired
from handoff import keys
from handoff.events import (
    TEXT_PURPOSE,
    ConversationEvent,
    EventType,
    emit,
    erase_event,
    message_event,
)
from hotline.crypto import Sealer
from hotline.settings import ApiSettings
from tests.api.conftest import StaffFactory, bearer, eventually

SECRET = "a-test-secret-that-is-long-enough-for-the-sealer-0123456789"
SEALER = Sealer(SECRET, TEXT_PURPOSE)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def person() -> str:
    return "p" + uuid.uuid4().hex[:20]


def msg(who: str, text: str | None = "hello", *, out: bool = False, at: dt.datetime | None = None,
        intent: str | None = None, lang: str | None = "ru", id: str | None = None
        ) -> ConversationEvent:
    return message_event(
        SEALER, type=EventType.message_out if out else EventType.message_in, conversation=who,
        text=text, lang=lang, intent=intent, at=at, id=id)


def recorder(redis: Redis, engine: AsyncEngine, **kw: Any) -> EventRecorder:
    kw.setdefault("block_ms", 0)
    return EventRecorder(redis, engine, **kw)


async def messages(sessions: async_sessionmaker[AsyncSession], who: str
                   ) -> list[ConversationMessage]:
    async with sessions() as s:
        rows = await s.scalars(select(ConversationMessage)
                               .where(ConversationMessage.pseudonym == who)
                               .order_by(ConversationMessage.at, ConversationMessage.id))
        return list(rows)


async def conversation(sessions: async_sessionmaker[AsyncSession], who: str
                       ) -> Conversation | None:
    async with sessions() as s:
        return await s.get(Conversation, who)


async def pending(redis: Redis) -> int:
    info = await redis.xpending(keys.EVENTS_STREAM, keys.EVENTS_GROUP)
    return int(info["pending"])


async def test_events_become_rows_with_sealed_text(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    events = [
        msg(who, "Мне пришла повестка", intent="summons", at=NOW - dt.timedelta(minutes=2)),
        msg(who, "Вот что можно сделать", out=True, at=NOW - dt.timedelta(minutes=1)),
        msg(who, "how do I leave", intent="leave", lang="en", at=NOW),
        msg(who, None, intent="summons", lang=None, at=NOW),  # a sticker: no text
    ]
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, events)
    assert await rec.read_new() == 4

    conv = await conversation(sessions, who)
    assert conv is not None
    assert (conv.channel, conv.language, conv.status) == ("telegram", "en",
                                                          ConversationStatus.open)
    assert conv.intents == ["summons", "leave"]
    assert conv.started_at == NOW - dt.timedelta(minutes=2) and conv.last_event_at == NOW
    rows = await messages(sessions, who)
    assert [r.event_id for r in rows] == [e.id for e in events]
    assert [r.direction for r in rows] == ["message_in", "message_out", "message_in",
                                           "message_in"]
    assert rows[0].text_sealed == events[0].text  # stored as sealed, as-is
    assert "повестка" not in (rows[0].text_sealed or "")
    assert SEALER.open(rows[0].text_sealed or "", context=who) == "Мне пришла повестка"
    assert rows[3].text_sealed is None
    # Acknowledged and gone from the stream: sealed text does not linger in Redis.
    assert await pending(redis) == 0 and await redis.xlen(keys.EVENTS_STREAM) == 0


async def test_a_later_batch_updates_the_conversation(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, [msg(who, intent="leave", lang="ru", at=NOW - dt.timedelta(hours=1))])
    await rec.read_new()
    await emit(redis, [msg(who, intent="asylum", lang=None, at=NOW),
                       msg(who, intent="leave", lang=None, at=NOW)])
    await rec.read_new()
    conv = await conversation(sessions, who)
    assert conv is not None
    assert conv.intents == ["leave", "asylum"] and conv.language == "ru"
    assert conv.last_event_at == NOW and conv.started_at == NOW - dt.timedelta(hours=1)


async def test_redelivery_does_not_duplicate(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    event = msg(who, intent="leave")
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, [event, event])  # twice in one batch
    await rec.read_new()
    await emit(redis, [event])  # and again later (the bot retried an update)
    await rec.read_new()
    assert [r.event_id for r in await messages(sessions, who)] == [event.id]
    conv = await conversation(sessions, who)
    assert conv is not None and conv.intents == ["leave"]
    assert not await redis.exists(keys.EVENTS_DEAD_STREAM)  # a repeat is not an error


@pytest.mark.parametrize("stage", ["_commit", "_ack"])
async def test_a_consumer_killed_mid_work_is_taken_over(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch, stage: str,
) -> None:
    """Killed after reading, before acknowledging (before or after the commit): nothing lost."""
    who = person()
    events = [msg(who, f"message {i}", at=NOW + dt.timedelta(seconds=i)) for i in range(5)]
    dying = recorder(redis, engine, consumer="dying")
    await dying.ensure_group()
    await emit(redis, events)

    reached = asyncio.Event()

    async def stuck(*args: Any) -> None:
        # "_commit": killed before writing; "_ack": written and committed, not acknowledged.
        reached.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(dying, stage, stuck)
    task = asyncio.create_task(dying.read_new())
    await eventually(reached.is_set)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pending(redis) == 5
    assert len(await messages(sessions, who)) == (5 if stage == "_ack" else 0)

    heir = recorder(redis, engine, consumer="heir", min_idle_ms=0)
    assert await heir.reclaim() == 5
    rows = await messages(sessions, who)
    assert [r.event_id for r in rows] == [e.id for e in events]
    assert await pending(redis) == 0
    assert await heir.reclaim() == 0
    assert not await redis.exists(keys.EVENTS_DEAD_STREAM)


async def test_the_run_loop_records_and_stops_cleanly(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    rec = EventRecorder(redis, engine, block_ms=50)
    task = asyncio.create_task(rec.run())
    await emit(redis, [msg(who), msg(who, out=True)])
    found: list[int] = []

    async def poll() -> None:
        found.append(len(await messages(sessions, who)))

    for _ in range(500):
        await poll()
        if found[-1] == 2:
            break
        await asyncio.sleep(0.02)
    assert found[-1] == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_erase_removes_every_row_of_that_person_and_no_other(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    gone, stays = person(), person()
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, [msg(gone), msg(gone, out=True), msg(stays), msg(stays, out=True)])
    await rec.read_new()
    await emit(redis, [erase_event(gone)])
    await rec.read_new()

    assert await conversation(sessions, gone) is None
    assert await messages(sessions, gone) == []
    for table in store.pseudonym_tables():  # any table keyed by a pseudonym, now or later
        async with sessions() as s:
            count = await s.scalar(select(func.count()).select_from(table)
                                   .where(table.c.pseudonym == gone))
        assert count == 0, table.name
    assert await conversation(sessions, stays) is not None
    assert len(await messages(sessions, stays)) == 2


async def test_erase_in_the_middle_of_a_batch_keeps_only_what_came_after(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    before, after = msg(who, "before"), msg(who, "after")
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, [msg(who, "earlier")])
    await rec.read_new()
    await emit(redis, [before, erase_event(who), after])
    await rec.read_new()
    assert [r.event_id for r in await messages(sessions, who)] == [after.id]


async def test_erase_of_an_unknown_person_is_harmless(
    redis: Redis, engine: AsyncEngine
) -> None:
    rec = recorder(redis, engine)
    await rec.ensure_group()
    await emit(redis, [erase_event(person())])
    assert await rec.read_new() == 1
    assert await pending(redis) == 0


async def test_retention_deletes_only_expired_transcripts(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    old_only, mixed, fresh = person(), person(), person()
    long_ago = NOW - dt.timedelta(days=45)
    rec = recorder(redis, engine)
    await rec.ensure_group()
    old_events = [msg(old_only, at=long_ago), msg(mixed, at=long_ago)]
    await emit(redis, [*old_events, msg(mixed, at=NOW), msg(fresh, at=NOW)])
    await rec.read_new()

    async with sessions() as s:
        purged = await purge_expired(s, older_than=NOW - dt.timedelta(days=30), chunk=1)
    assert purged.messages >= 2 and purged.conversations >= 1
    assert await conversation(sessions, old_only) is None
    assert await messages(sessions, old_only) == []
    assert [r.at for r in await messages(sessions, mixed)] == [NOW]
    assert await conversation(sessions, mixed) is not None
    assert len(await messages(sessions, fresh)) == 1

    async with sessions() as s:  # nothing left to do: a second run deletes nothing of theirs
        await purge_expired(s, older_than=NOW - dt.timedelta(days=30))
    assert len(await messages(sessions, mixed)) == 1 and len(await messages(sessions, fresh)) == 1


async def test_the_recorder_does_not_store_what_is_already_expired(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    rec = recorder(redis, engine, retention=dt.timedelta(days=30))
    await rec.ensure_group()
    await emit(redis, [msg(who, at=NOW - dt.timedelta(days=31)), msg(who, at=NOW)])
    await rec.read_new()
    assert [r.at for r in await messages(sessions, who)] == [NOW]
    assert await pending(redis) == 0


PLAIN = "my name is Ivan Petrov, passport 1234 567890"


def malformed_entries(who: str) -> list[dict[str, Any]]:
    good = json.loads(msg(who).model_dump_json())
    return [
        {"other": "x"},                                         # no event field
        {"event": "{not json"},                                 # bad JSON
        {"event": b"\xff\xfe\x00"},                             # not UTF-8
        {"event": json.dumps({**good, "text": PLAIN, "extra": 1})},   # unknown field
        {"event": json.dumps({**good, "type": "shout"})},       # unknown type
        {"event": json.dumps({**good, "at": "yesterday"})},     # wrong type
        {"event": json.dumps({**good, "conversation": ""})},    # empty pseudonym
        {"event": json.dumps({**good, "lang": "x" * 100})},     # too long for the column
        {"event": json.dumps({**good, "intent": "a\x00b"})},    # PostgreSQL refuses NUL
        {"event": json.dumps({**good, "text": "A" * 200_000})},  # huge
        {"event": "[]"},                                        # wrong shape
    ]


async def test_malformed_entries_go_to_the_dead_letter_stream(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    rec = recorder(redis, engine)
    await rec.ensure_group()
    bad = malformed_entries(who)
    for fields in bad:
        await redis.xadd(keys.EVENTS_STREAM, fields)
    good = msg(who, "fine")
    await emit(redis, [good])
    assert await rec.read_new() == len(bad) + 1

    assert [r.event_id for r in await messages(sessions, who)] == [good.id]
    dead = await redis.xrange(keys.EVENTS_DEAD_STREAM)
    assert len(dead) == len(bad)
    dump = repr(dead)
    assert PLAIN not in dump and "Ivan" not in dump and who not in dump
    reasons = [f[b"error"].decode() for _, f in dead]
    assert any("extra: extra_forbidden" in r for r in reasons)
    assert any("lang: longer than" in r for r in reasons)
    assert await pending(redis) == 0 and await redis.xlen(keys.EVENTS_STREAM) == 0


async def test_an_event_the_database_refuses_is_isolated_and_dead_lettered(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were the checks to miss something, one poisonous event still cannot stall the stream."""
    who = person()
    monkeypatch.setattr(store, "check", lambda event: event)
    rec = recorder(redis, engine)
    await rec.ensure_group()
    poison = msg(who, lang="ru\x00")
    fine = msg(who, "fine")
    await emit(redis, [poison, fine])
    assert await rec.read_new() == 2
    assert [r.event_id for r in await messages(sessions, who)] == [fine.id]
    dead = await redis.xrange(keys.EVENTS_DEAD_STREAM)
    assert len(dead) == 1 and b"database refused" in dead[0][1][b"error"]
    assert await pending(redis) == 0


async def test_no_text_and_no_identifier_in_the_logs(
    redis: Redis, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    who = person()
    caplog.set_level(logging.DEBUG)
    rec = recorder(redis, engine, retention=dt.timedelta(days=30))
    await rec.ensure_group()
    event = msg(who, PLAIN)
    await emit(redis, [event, msg(who, PLAIN, at=NOW - dt.timedelta(days=40)), erase_event(who)])
    for fields in malformed_entries(who):
        await redis.xadd(keys.EVENTS_STREAM, fields)
    await rec.read_new()
    async with sessions() as s:
        await purge_expired(s, older_than=NOW)

    # A database failure is logged by kind only (its message would carry the parameters).
    async def broken(events: list[ConversationEvent]) -> None:
        raise OperationalError("INSERT INTO conversation_messages ...",
                               {"pseudonym": who, "text_sealed": PLAIN}, OSError("gone"))

    monkeypatch.setattr(rec, "_commit", broken)
    await emit(redis, [msg(who, PLAIN)])
    task = asyncio.create_task(rec.run())
    await eventually(lambda: "database error" in caplog.text)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert "dead-lettered" in caplog.text
    for secret in (PLAIN, "Ivan", who, event.text or "?", event.id):
        assert secret not in caplog.text


async def test_the_app_records_events_and_can_be_told_not_to(
    app: FastAPI, redis: Redis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    await emit(redis, [msg(who)])
    counts: list[int] = []

    async def count() -> None:
        counts.append(len(await messages(sessions, who)))

    for _ in range(500):
        await count()
        if counts[-1] == 1:
            break
        await asyncio.sleep(0.02)
    assert counts[-1] == 1
    assert [t.get_name() for t in asyncio.all_tasks() if t.get_name() == "event-recorder"]


async def test_the_flag_turns_the_recorder_off(
    settings: ApiSettings, engine: AsyncEngine, redis: Redis
) -> None:
    off = settings.model_copy(update={"record_events": False})
    application = create_app(off, engine=engine, redis=redis)
    async with application.router.lifespan_context(application):
        names = {t.get_name() for t in asyncio.all_tasks()}
        assert "event-recorder" not in names and "retention" not in names
    assert not await redis.exists(keys.EVENTS_STREAM)


async def test_the_transcript_is_for_admins_and_stays_sealed(
    client: httpx.AsyncClient, redis: Redis, engine: AsyncEngine, admin: dict[str, str],
    make_staff: StaffFactory,
) -> None:
    who = person()
    rec = recorder(redis, engine, consumer="transcript-test")
    await rec.ensure_group()
    events = [msg(who, "first", intent="leave", at=NOW - dt.timedelta(seconds=1)),
              msg(who, "second", out=True, at=NOW)]
    await emit(redis, events)
    await rec.reclaim()  # whatever the app's own recorder left, plus
    await rec.read_new()
    url = f"/api/v1/conversations/{who}/transcript"

    async def fetch() -> httpx.Response:
        return await client.get(url, headers=admin)

    response = await fetch()
    for _ in range(200):  # the app's recorder may hold the entries a moment
        if response.status_code == 200:
            break
        await asyncio.sleep(0.02)
        response = await fetch()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pseudonym"] == who and body["intents"] == ["leave"]
    assert [m["event_id"] for m in body["messages"]] == [e.id for e in events]
    assert "first" not in response.text and "second" not in response.text
    assert SEALER.open(body["messages"][0]["text_sealed"], context=who) == "first"

    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=bearer("forged-token"))).status_code == 401
    for role in (Role.editor, Role.advisor, Role.service):
        _, token = await make_staff(role)
        assert (await client.get(url, headers=bearer(token))).status_code == 403
    unknown = await client.get(f"/api/v1/conversations/{person()}/transcript", headers=admin)
    assert unknown.status_code == 404
    bad = await client.get("/api/v1/conversations/a%20b%00/transcript", headers=admin)
    assert bad.status_code == 422
    huge = await client.get(f"/api/v1/conversations/{'a' * 65}/transcript", headers=admin)
    assert huge.status_code == 422
