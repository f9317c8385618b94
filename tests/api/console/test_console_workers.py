"""The background side: recorder announcements, feedback reader, reaper, alerts, hub, shutdown."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.console import store, workers
from api.console.live import Connection, LiveHub
from api.console.service import ConsoleService
from api.models import HandoffClosure
from api.record.consumer import EventRecorder
from handoff import keys
from handoff.advisors import AdvisorPresence, Advisors
from handoff.config import QueueConfig
from handoff.events import EventType, message_event
from handoff.queue import HandoffQueue
from handoff.relay import PersonMessage, RelayKind
from handoff.tickets import Language, Ticket, TicketRequest
from handoff.watch import QueueWatch
from hotline.settings import ApiSettings
from tests.api.console.conftest import SEALER, person


async def test_recorder_announces_each_conversation_once_per_batch(
    redis: Redis, engine: AsyncEngine
) -> None:
    a, b = person(), person()
    events = [message_event(SEALER, type=EventType.message_in, conversation=who, text="hi")
              for who in (a, b, a)]
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(keys.CONVERSATION_RECORDED)
        recorder = EventRecorder(redis, engine, block_ms=0)
        await recorder.ensure_group()
        await recorder.handle([(f"0-{i + 1}", e.fields()) for i, e in enumerate(events)])
        got: list[Any] = []
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.2)
            if message is None and len(got) >= 2:
                break
            if message is not None:
                got.append(json.loads(message["data"]))
    assert sorted(g["conversation"] for g in got) == sorted([a, b])


async def _closure(sessions: async_sessionmaker[AsyncSession], ticket_id: str) -> None:
    now = dt.datetime.now(dt.UTC)
    ticket = Ticket(id=ticket_id, conversation=person(), language=Language.ru,
                    priority="normal", reason="r", created=now, queued_at=now,  # type: ignore[arg-type]
                    state="held")  # type: ignore[arg-type]
    async with sessions() as s:
        await store.record_closure(s, ticket=ticket, advisor_id=None, outcome="resolved",
                                   closed_at=now)
        await s.commit()


async def test_feedback_reader_sets_satisfaction_and_drops_junk(
    redis: Redis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ticket = uuid.uuid4().hex
    await _closure(sessions, ticket)
    reader = workers.FeedbackRecorder(redis, sessions, block_ms=0)
    await reader.ensure_group()
    await redis.xadd(keys.FEEDBACK_STREAM, {"ticket": ticket, "score": "not_helped"})
    await redis.xadd(keys.FEEDBACK_STREAM, {"ticket": "../../x", "score": "helped"})
    await redis.xadd(keys.FEEDBACK_STREAM, {"ticket": ticket, "score": "10/10"})
    await redis.xadd(keys.FEEDBACK_STREAM, {"junk": b"\xff\xfe"})
    await redis.xadd(keys.FEEDBACK_STREAM, {"ticket": uuid.uuid4().hex, "score": "helped"})
    assert await reader.read_new() == 5
    async with sessions() as s:
        row = await s.get(HandoffClosure, ticket)
    assert row is not None and row.satisfaction == "not_helped"
    assert await redis.xlen(keys.FEEDBACK_STREAM) == 0
    pending = await redis.xpending(keys.FEEDBACK_STREAM, keys.FEEDBACK_GROUP)
    assert pending["pending"] == 0


async def test_reaper_returns_an_absent_advisors_chats_and_tells_the_people(
    redis: Redis
) -> None:
    config = QueueConfig(absent_grace=0, presence_ttl=1)
    queue = HandoffQueue(redis, config)
    advisors = Advisors(redis, config)
    service = ConsoleService(redis, queue, advisors, QueueWatch(redis, config), SEALER)
    request = TicketRequest(id=uuid.uuid4().hex, conversation=person(), language="ru",  # type: ignore[arg-type]
                            reason="r", chat="sealed")
    await queue.enqueue(request)
    await advisors.register(AdvisorPresence(id="77", languages=frozenset({Language.ru})))
    await queue.claim(request.id, "77")
    await redis.delete(keys.handoff_advisor("77"))  # the browser died
    await redis.zadd(keys.HANDOFF_ADVISORS, {"77": 1})
    task = asyncio.create_task(workers.reaper_loop(service, every=0.05))
    try:
        for _ in range(500):
            if await redis.xlen(keys.TO_PERSON_STREAM):
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    ticket = await queue.ticket(request.id)
    assert ticket is not None and ticket.state.value == "queued"
    sent = [PersonMessage.from_fields(f) for _, f in await redis.xrange(keys.TO_PERSON_STREAM)]
    assert [(m.kind, m.ticket) for m in sent] == [(RelayKind.requeued, request.id)]


async def test_overdue_alerts_are_published_once(redis: Redis) -> None:
    queue = HandoffQueue(redis)
    request = TicketRequest(id=uuid.uuid4().hex, conversation=person(), language="de",  # type: ignore[arg-type]
                            priority="high", reason="r",  # type: ignore[arg-type]
                            created=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    await queue.enqueue(request)
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(keys.HANDOFF_ALERT_CHANNEL)
        assert await workers.publish_overdue(QueueWatch(redis), redis) == 1
        assert await workers.publish_overdue(QueueWatch(redis), redis) == 0
        message = None
        for _ in range(50):
            message = await pubsub.get_message(timeout=0.2)
            if message is not None:
                break
    assert message is not None
    assert json.loads(message["data"]) == {"ticket": request.id, "priority": "high",
                                           "language": "de"}
    assert request.conversation not in message["data"].decode()


class _Socket:
    """A console socket that records frames (the hub only sends)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send_text(self, data: str) -> None:
        self.frames.append(json.loads(data))

    async def close(self, code: int = 1000) -> None:
        pass


async def test_hub_drops_malformed_channel_messages(
    redis: Redis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from api.auth import Principal
    from api.models import Role

    service = ConsoleService(redis, HandoffQueue(redis), Advisors(redis), QueueWatch(redis),
                             SEALER)
    hub = LiveHub(redis, service, sessions)
    sock = _Socket()
    conn = Connection(socket=sock, principal=Principal(id=5, name="x", role=Role.advisor))  # type: ignore[arg-type]
    await hub.attach(conn)
    assert [f["type"] for f in sock.frames] == ["queue"]
    for channel, data in [(keys.QUEUE_CHANGED, b"{"), (keys.QUEUE_CHANGED, b"[1]"),
                          (keys.QUEUE_CHANGED, b'{"event": "exploded"}'),
                          (keys.CONVERSATION_RECORDED, b'{"conversation": 5}'),
                          (keys.HANDOFF_ALERT_CHANNEL, b'{"language": "xx"}'),
                          (keys.HANDOFF_ALERT_CHANNEL, b"\xff")]:
        await hub.dispatch(channel, data)
    assert [f["type"] for f in sock.frames] == ["queue"]
    await hub.dispatch(keys.HANDOFF_ALERT_CHANNEL,
                       b'{"ticket": "t", "priority": "high", "language": "ru"}')
    assert sock.frames[-1] == {"type": "alert", "ticket": "t", "priority": "high",
                               "language": "ru"}


async def test_every_background_task_stops_on_shutdown(
    database_url: str, redis_url: str, engine: AsyncEngine, redis: Redis
) -> None:
    settings = ApiSettings.model_validate({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                                           "HOTLINE_RUN_QUEUE": True})
    app = create_app(settings, engine=engine, redis=redis)
    before = set(asyncio.all_tasks())
    async with app.router.lifespan_context(app):
        started = {t for t in asyncio.all_tasks() - before if not t.done()}
        names = {t.get_name() for t in started}
        assert {"console-hub", "ticket-intake", "overdue-alerts", "advisor-reaper",
                "feedback", "closures", "event-recorder", "notes-retention"} <= names
        await asyncio.sleep(0.3)  # let each one reach its blocking read or sleep
    # A hang guard, not a timing check: a swallowed cancellation would never end.
    await asyncio.wait_for(asyncio.gather(*started, return_exceptions=True), 15)
    assert all(t.done() for t in started)


async def test_hub_coalesces_a_burst_of_queue_changes(
    redis: Redis, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from api.auth import Principal
    from api.models import Role

    service = ConsoleService(redis, HandoffQueue(redis), Advisors(redis), QueueWatch(redis),
                             SEALER)
    hub = LiveHub(redis, service, sessions, debounce=1.0)  # far longer than the burst
    sock = _Socket()
    conn = Connection(socket=sock, principal=Principal(id=6, name="y", role=Role.advisor))  # type: ignore[arg-type]
    await hub.attach(conn)
    flusher = asyncio.create_task(hub._flush_loop())
    try:
        for i in range(20):
            await hub.dispatch(keys.QUEUE_CHANGED,
                               json.dumps({"event": "queued", "ticket": f"t{i}"}).encode())
        for _ in range(500):
            if len(sock.frames) > 1:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(2.5)  # two debounce intervals: every push the burst causes is out
    finally:
        flusher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flusher
    # the view on attach, then the burst: at once for the first change and at most once
    # more for the rest of the interval — not twenty pushes
    assert [f["type"] for f in sock.frames] in (["queue"] * 2, ["queue"] * 3)


async def test_notes_expire_with_the_retention(
    sessions: async_sessionmaker[AsyncSession], make_staff: Any
) -> None:
    from sqlalchemy import select

    from api.models import ConversationNote, Role

    staff, _ = await make_staff(Role.advisor)
    who = person()
    async with sessions() as s:
        old = await store.add_note(s, pseudonym=who, ticket_id="t", author_id=staff.id,
                                   sealed="x")
        old.at = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
        await store.add_note(s, pseudonym=who, ticket_id="t", author_id=staff.id, sealed="y")
        await s.commit()
        deleted = await store.purge_notes(
            s, older_than=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
        left = (await s.scalars(select(ConversationNote.text_sealed)
                                .where(ConversationNote.pseudonym == who))).all()
    assert deleted >= 1 and left == ["y"]


async def test_closure_recorder_keeps_statistics_and_deletes_the_entries(
    redis: Redis, sessions: async_sessionmaker[AsyncSession], make_staff: Any
) -> None:
    from api.models import Role

    staff, _ = await make_staff(Role.advisor)
    queue = HandoffQueue(redis)
    advisors = Advisors(redis)
    withdrawn = TicketRequest(id=uuid.uuid4().hex, conversation=person(), language="uk",  # type: ignore[arg-type]
                              reason="r", intent="summons")
    closed = TicketRequest(id=uuid.uuid4().hex, conversation=person(), language="uk",  # type: ignore[arg-type]
                           reason="r", priority="high")  # type: ignore[arg-type]
    stranger = TicketRequest(id=uuid.uuid4().hex, conversation=person(), language="uk",  # type: ignore[arg-type]
                             reason="r")
    for request in (withdrawn, closed, stranger):
        await queue.enqueue(request)
    assert await queue.withdraw(withdrawn.conversation)
    await advisors.register(AdvisorPresence(id=str(staff.id), languages=frozenset({Language.uk})))
    await queue.claim(closed.id, str(staff.id))
    await queue.close(closed.id, str(staff.id), "referred")
    await advisors.register(AdvisorPresence(id="999999", languages=frozenset({Language.uk})))
    await queue.claim(stranger.id, "999999")  # an advisor id that is no staff member
    await queue.close(stranger.id, "999999", "resolved")
    await redis.xadd(keys.HANDOFF_CLOSED_STREAM, {"ticket_id": "x", "language": "zz"})
    await redis.xadd(keys.HANDOFF_CLOSED_STREAM, {"ticket_id": "../x", "language": "uk",
                                                 "priority": "high", "outcome": "resolved",
                                                 "created_ms": "1", "closed_ms": "2"})
    reader = workers.ClosureRecorder(redis, sessions, block_ms=0)
    await reader.ensure_group()
    assert await reader.read_new() == 5
    async with sessions() as s:
        rows = {r: await s.get(HandoffClosure, r) for r in (withdrawn.id, closed.id, stranger.id)}
    first, second, third = rows[withdrawn.id], rows[closed.id], rows[stranger.id]
    assert first is not None and (first.outcome, first.advisor_id, first.claimed_at,
                                  first.intent) == ("withdrawn", None, None, "summons")
    assert second is not None and (second.outcome, second.advisor_id, second.priority) == (
        "referred", staff.id, "high")
    assert second.claimed_at is not None and second.closed_at >= second.claimed_at
    assert third is not None and third.advisor_id is None and third.outcome == "resolved"
    assert await redis.xlen(keys.HANDOFF_CLOSED_STREAM) == 0  # they named the people


async def test_closure_row_refuses_malformed_fields() -> None:
    good = {"ticket_id": "t1", "language": "ru", "priority": "normal", "outcome": "resolved",
            "created_ms": "1000", "closed_ms": "2000", "advisor": "", "claimed_ms": ""}
    assert workers.closure_row(good)["advisor_id"] is None
    for bad in ({"ticket_id": "t" * 129}, {"language": "xx"}, {"outcome": "Bad Label"},
                {"created_ms": "-5"}, {"closed_ms": "soon"}, {"claimed_ms": "9" * 30},
                {"intent": "i" * 65}):
        with pytest.raises((ValueError, KeyError, OverflowError)):
            workers.closure_row(good | bad)
    with pytest.raises(KeyError):
        workers.closure_row({k: v for k, v in good.items() if k != "outcome"})
