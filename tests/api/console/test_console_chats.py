"""One chat: reading it, answering, notes, transfer, hand-back, close, satisfaction, erasure."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import AuditEntry, ConversationMessage, ConversationNote, HandoffClosure, Role
from handoff import keys
from handoff.events import EventType, emit, erase_event
from handoff.relay import Feedback, RelayKind, Score, send_feedback
from tests.api.conftest import StaffFactory, bearer
from tests.api.console.conftest import (
    CONSOLE,
    SEALER,
    Advisor,
    Enqueue,
    Headers,
    relayed,
    said_by_person,
    until,
)


async def held_chat(client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
                    language: str = "ru") -> tuple[Headers, str, str]:
    headers = await advisor([language])
    ticket, conversation = await enqueue(language)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
    assert r.status_code == 200
    return headers, ticket, conversation


async def detail(client: httpx.AsyncClient, headers: Headers, ticket: str) -> dict:
    r = await client.get(f"{CONSOLE}/tickets/{ticket}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_holder_reads_the_transcript_opened(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    # The bot's ids embed a prefix of the pseudonym: it must not reach the browser.
    await said_by_person(redis, conversation, "I got a summons", intent="summons",
                         id=f"tg:{conversation[:12]}:77")

    async def recorded() -> dict:
        chat = await detail(client, headers, ticket)
        return chat if chat["messages"] else {}

    chat = await until(recorded)
    assert chat["messages"][0]["text"] == "I got a summons"
    assert chat["messages"][0]["author"] == "person"
    assert chat["messages"][0]["intent"] == "summons"
    assert chat["ticket"]["id"] == ticket and chat["notes"] == []
    assert conversation[:12] not in str(chat)


async def test_only_the_holder_or_an_admin_reads_a_chat(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
    sessions: async_sessionmaker[AsyncSession], make_staff: StaffFactory
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    other = await advisor(["ru"])
    r = await client.get(f"{CONSOLE}/tickets/{ticket}", headers=other)
    assert r.status_code == 403
    queued, _ = await enqueue("ru")
    assert (await client.get(f"{CONSOLE}/tickets/{queued}", headers=other)).status_code == 403
    admin_staff, admin_token = await make_staff(Role.admin)
    chat = await detail(client, bearer(admin_token), ticket)
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert chat["ticket"]["advisor"] == me["name"]
    async with sessions() as s:
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.actor_id == admin_staff.id,
                                                        AuditEntry.action == "console.read"))
    assert entry is not None and entry.detail == {"ticket": ticket}


async def test_reply_relays_the_text_and_records_it(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers,
                          json={"text": "Hello, I am here to help"})
    assert r.status_code == 202
    message_id = r.json()["id"]
    out = [m for m in await relayed(redis) if m.kind is RelayKind.advisor_text]
    assert len(out) == 1
    assert out[0].id == message_id and out[0].ticket == ticket
    assert out[0].text == "Hello, I am here to help" and out[0].conversation == conversation
    assert out[0].chat == "sealed-chat-ref" and out[0].language == "ru"
    # The transcript event went on the events stream and the app's recorder stores it.

    async def recorded() -> list:
        return (await detail(client, headers, ticket))["messages"]

    messages = await until(recorded)
    assert messages[0]["id"] == message_id  # the page replaces its pending line by id
    assert [(m["author"], m["text"]) for m in messages] == [
        ("advisor", "Hello, I am here to help")]


async def test_reply_is_recorded_sealed_under_the_same_id(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
    sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers,
                          json={"text": "secret words"})

    async def stored() -> ConversationMessage | None:
        async with sessions() as s:
            return await s.scalar(select(ConversationMessage)
                                  .where(ConversationMessage.event_id == r.json()["id"]))

    row = await until(stored)
    assert row.direction == EventType.advisor_out.value and row.pseudonym == conversation
    assert row.text_sealed is not None and "secret" not in row.text_sealed
    assert SEALER.open(row.text_sealed, context=conversation) == "secret words"
    assert row.language == "ru"


@pytest.mark.parametrize("body", [
    {"text": ""}, {"text": "x" * 4097}, {"text": 5}, {"text": None}, {"text": ["a"]},
    {"text": "a\x00b"}, {}, {"text": "hi", "html": True},
])
async def test_bad_replies_are_422(client: httpx.AsyncClient, advisor: Advisor,
                                   enqueue: Enqueue, redis: Redis, body: object) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers, json=body)
    assert r.status_code == 422
    assert not [m for m in await relayed(redis) if m.kind is RelayKind.advisor_text]


async def test_longest_reply_is_accepted(client: httpx.AsyncClient, advisor: Advisor,
                                         enqueue: Enqueue) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers,
                          json={"text": "я" * 4096})
    assert r.status_code == 202


async def test_another_advisors_chat_is_403_for_every_action(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    _, ticket, _ = await held_chat(client, advisor, enqueue)
    other = await advisor(["ru"])
    admin = await advisor(["ru"], role=Role.admin)
    before = len(await relayed(redis))
    for headers in (other, admin):  # an admin must claim a chat to act on it
        for suffix, body in [("/reply", {"text": "hi"}), ("/notes", {"text": "hi"}),
                             ("/transfer", {"language": "uk"}), ("/hand-back", None),
                             ("/close", {"outcome": "resolved"})]:
            r = await client.post(f"{CONSOLE}/tickets/{ticket}{suffix}", headers=headers,
                                  json=body)
            assert (r.status_code, r.json()["code"]) == (403, "not_holder"), suffix
    assert len(await relayed(redis)) == before


async def test_notes_are_sealed_listed_and_erased_with_the_person(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis,
    sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/notes", headers=headers,
                          json={"text": "has a deadline on Monday"})
    assert r.status_code == 201
    note = r.json()
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert note["text"] == "has a deadline on Monday" and note["author"] == me["name"]
    assert (await detail(client, headers, ticket))["notes"] == [note]
    async with sessions() as s:
        row = await s.get(ConversationNote, int(note["id"]))
        assert row is not None and "deadline" not in row.text_sealed
        assert row.pseudonym == conversation
    # /forget: the bot's erase event; the app's recorder deletes every pseudonym table's rows.
    await emit(redis, [erase_event(conversation)])

    async def erased() -> bool:
        async with sessions() as s:
            return not await s.scalar(select(func.count()).select_from(ConversationNote)
                                      .where(ConversationNote.pseudonym == conversation))

    assert await until(erased)


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "x" * 2001}, {"text": 1}, {}])
async def test_bad_notes_are_422(client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
                                 body: object) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/notes", headers=headers, json=body)
    assert r.status_code == 422


async def test_transfer_to_an_advisor(client: httpx.AsyncClient, advisor: Advisor,
                                      enqueue: Enqueue, make_staff: StaffFactory) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    target = await advisor(["ru"])
    name = (await client.get(f"{CONSOLE}/me", headers=target)).json()["name"]
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/transfer", headers=headers,
                          json={"to_advisor": name})
    assert r.status_code == 200, r.text
    assert r.json()["advisor"] == name and r.json()["state"] == "held"
    assert (await client.get(f"{CONSOLE}/queue", headers=headers)).json()["mine"] == []
    mine = (await client.get(f"{CONSOLE}/queue", headers=target)).json()["mine"]
    assert [t["id"] for t in mine] == [ticket]
    await detail(client, target, ticket)
    assert (await client.get(f"{CONSOLE}/tickets/{ticket}", headers=headers)).status_code == 403


async def test_transfer_refusals(client: httpx.AsyncClient, advisor: Advisor,
                                 enqueue: Enqueue, make_staff: StaffFactory) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    url = f"{CONSOLE}/tickets/{ticket}/transfer"
    r = await client.post(url, headers=headers, json={"to_advisor": "nobody-of-that-name"})
    assert r.status_code == 404
    editor, _ = await make_staff(Role.editor)
    r = await client.post(url, headers=headers, json={"to_advisor": editor.name})
    assert r.status_code == 404  # not someone who can hold chats
    offline = await advisor(None)
    name = (await client.get(f"{CONSOLE}/me", headers=offline)).json()["name"]
    r = await client.post(url, headers=headers, json={"to_advisor": name})
    assert (r.status_code, r.json()["code"]) == (409, "absent")
    for body in ({}, {"to_advisor": name, "language": "uk"}, {"language": "xx"},
                 {"to_advisor": ""}, {"to_advisor": 7}):
        assert (await client.post(url, headers=headers, json=body)).status_code == 422, body
    mine = (await client.get(f"{CONSOLE}/queue", headers=headers)).json()["mine"]
    assert [t["id"] for t in mine] == [ticket]


async def test_transfer_to_a_language_requeues_and_tells_the_person(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/transfer", headers=headers,
                          json={"language": "uk"})
    assert r.status_code == 200
    assert r.json()["state"] == "queued" and r.json()["language"] == "uk"
    assert r.json()["advisor"] is None
    kinds = [m.kind for m in await relayed(redis) if m.ticket == ticket]
    assert kinds == [RelayKind.claimed, RelayKind.requeued]
    ukrainian = await advisor(["uk"])
    waiting = (await client.get(f"{CONSOLE}/queue", headers=ukrainian)).json()["waiting"]
    assert ticket in [t["id"] for t in waiting]


async def test_hand_back(client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
                         redis: Redis, sessions: async_sessionmaker[AsyncSession]) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/hand-back", headers=headers)
    assert r.status_code == 204
    assert await redis.exists(keys.handoff_holder(conversation)) == 0  # the bot again
    kinds = [m.kind for m in await relayed(redis) if m.ticket == ticket]
    assert kinds == [RelayKind.claimed, RelayKind.handed_back]
    async with sessions() as s:
        row = await s.get(HandoffClosure, ticket)
    assert row is not None and row.outcome == "handed_back"
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/hand-back", headers=headers)
    assert r.status_code == 404


async def test_close_records_the_outcome_and_feedback_the_satisfaction(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis,
    sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/close", headers=headers,
                          json={"outcome": "information_given", "survey": True})
    assert r.status_code == 204
    kinds = [m.kind for m in await relayed(redis) if m.ticket == ticket]
    assert kinds == [RelayKind.claimed, RelayKind.closed, RelayKind.survey]
    async with sessions() as s:
        row = await s.get(HandoffClosure, ticket)
    assert row is not None
    assert (row.outcome, row.advisor_id, row.language, row.priority, row.intent) == (
        "information_given", int(me["id"]), "ru", "normal", "summons")
    assert row.claimed_at is not None and row.created_at <= row.closed_at
    assert row.satisfaction is None
    assert "pseudonym" not in HandoffClosure.__table__.c
    assert conversation not in str([getattr(row, c.name) for c in HandoffClosure.__table__.c])
    await send_feedback(redis, Feedback(ticket=ticket, score=Score.helped))

    async def satisfaction() -> str | None:
        async with sessions() as s:
            found = await s.get(HandoffClosure, ticket)
            return found.satisfaction if found else None

    assert await until(satisfaction) == "helped"
    assert await redis.xlen(keys.FEEDBACK_STREAM) == 0  # acknowledged and deleted
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/close", headers=headers,
                          json={"outcome": "resolved"})
    assert r.status_code == 404


async def test_close_without_survey(client: httpx.AsyncClient, advisor: Advisor,
                                    enqueue: Enqueue, redis: Redis) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/close", headers=headers,
                          json={"outcome": "no_reply"})
    assert r.status_code == 204
    kinds = [m.kind for m in await relayed(redis) if m.ticket == ticket]
    assert kinds == [RelayKind.claimed, RelayKind.closed]


@pytest.mark.parametrize("body", [
    {"outcome": "great"}, {"outcome": "resolved", "survey": "yes"}, {"outcome": 1},
    {"survey": True}, {"outcome": "resolved", "note": "x"}, {"outcome": "handed_back"},
])
async def test_bad_closes_are_422(client: httpx.AsyncClient, advisor: Advisor,
                                  enqueue: Enqueue, body: object) -> None:
    headers, ticket, _ = await held_chat(client, advisor, enqueue)
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/close", headers=headers, json=body)
    assert r.status_code == 422
    mine = (await client.get(f"{CONSOLE}/queue", headers=headers)).json()["mine"]
    assert [t["id"] for t in mine] == [ticket]


async def test_audit_names_tickets_never_people_or_text(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue,
    sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers, ticket, conversation = await held_chat(client, advisor, enqueue)
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers,
                      json={"text": "private words"})
    await client.post(f"{CONSOLE}/tickets/{ticket}/notes", headers=headers,
                      json={"text": "private note"})
    await client.post(f"{CONSOLE}/tickets/{ticket}/close", headers=headers,
                      json={"outcome": "resolved", "survey": False})
    async with sessions() as s:
        rows = (await s.scalars(select(AuditEntry).where(AuditEntry.actor_id == int(me["id"]))
                                .order_by(AuditEntry.id))).all()
    assert [r.action for r in rows] == ["console.online", "console.claim", "console.reply",
                                        "console.note", "console.close"]
    dump = str([(r.detail, r.flow_id) for r in rows])
    assert ticket in dump
    assert conversation not in dump and "private" not in dump


async def test_canned_answers(client: httpx.AsyncClient, advisor: Advisor) -> None:
    admin = await advisor(None, role=Role.admin)
    helper = await advisor(None)
    body = {"language": "ru", "title": "Greeting", "text": "Здравствуйте!"}
    assert (await client.post("/api/v1/canned", headers=helper, json=body)).status_code == 403
    r = await client.post("/api/v1/canned", headers=admin, json=body)
    assert r.status_code == 201
    created = r.json()
    assert created["title"] == "Greeting" and isinstance(created["id"], int)
    listed = (await client.get(f"{CONSOLE}/canned?language=ru", headers=helper)).json()
    assert created in listed
    assert created not in (await client.get(f"{CONSOLE}/canned?language=de",
                                            headers=helper)).json()
    r = await client.put(f"/api/v1/canned/{created['id']}", headers=admin,
                         json=body | {"title": "Hello"})
    assert r.status_code == 200 and r.json()["title"] == "Hello"
    assert (await client.put(f"/api/v1/canned/{created['id']}", headers=helper,
                             json=body)).status_code == 403
    assert (await client.delete(f"/api/v1/canned/{created['id']}", headers=helper)
            ).status_code == 403
    assert (await client.delete(f"/api/v1/canned/{created['id']}", headers=admin)
            ).status_code == 204
    assert (await client.delete(f"/api/v1/canned/{created['id']}", headers=admin)
            ).status_code == 404
    assert (await client.put(f"/api/v1/canned/{created['id']}", headers=admin,
                             json=body)).status_code == 404


@pytest.mark.parametrize("body", [
    {"language": "xx", "title": "t", "text": "t"}, {"language": "ru", "title": "", "text": "t"},
    {"language": "ru", "title": "t" * 101, "text": "t"},
    {"language": "ru", "title": "t", "text": "t" * 4097}, {"language": "ru", "title": "t"},
    {"language": "ru", "title": 3, "text": "t"},
])
async def test_bad_canned_answers_are_422(client: httpx.AsyncClient, advisor: Advisor,
                                          body: object) -> None:
    admin = await advisor(None, role=Role.admin)
    assert (await client.post("/api/v1/canned", headers=admin, json=body)).status_code == 422


async def test_canned_query_and_path_bounds(client: httpx.AsyncClient, advisor: Advisor) -> None:
    admin = await advisor(None, role=Role.admin)
    assert (await client.get(f"{CONSOLE}/canned?language=zz", headers=admin)).status_code == 422
    for bad in ("0", "abc", str(2**31)):
        r = await client.delete(f"/api/v1/canned/{bad}", headers=admin)
        assert r.status_code == 422, bad
