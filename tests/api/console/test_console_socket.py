"""The console's WebSocket, over a real uvicorn server in the test's event loop.

Each test waits on the socket itself (``recv``), never polls the HTTP API: a
live update must arrive because the server pushed it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from handoff import keys
from handoff.tickets import TicketRequest
from tests.api.console.conftest import (
    CONSOLE,
    Advisor,
    Enqueue,
    Headers,
    frame,
    said_by_person,
)

#: Generous: a hang guard, not a timing assertion.
WAIT = 10.0


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[str]:
    """The app (its lifespan already running) served on a free port; yields ws://host:port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(1000):
        if srv.started:
            break
        await asyncio.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"ws://127.0.0.1:{port}"
    srv.should_exit = True
    await asyncio.wait_for(task, WAIT)


async def receive(ws: ClientConnection, kind: str, **match: Any) -> dict[str, Any]:
    """The next frame of this type (and fields), skipping others."""
    async def wait() -> dict[str, Any]:
        while True:
            data = frame(await ws.recv())
            if data["type"] == kind and all(data.get(k) == v for k, v in match.items()):
                return data

    return await asyncio.wait_for(wait(), WAIT)


def socket(url: str, headers: Headers | None = None, **kw: Any) -> Any:
    return connect(f"{url}{CONSOLE}/ws", additional_headers=headers, proxy=None, **kw)


async def test_unauthenticated_socket_is_closed_4401(server: str) -> None:
    for headers in (None, {"Authorization": "Bearer hl_forged"}):
        async with socket(server, headers) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_editor_socket_is_closed_4403(server: str, make_staff: Any) -> None:
    from api.models import Role

    _, token = await make_staff(Role.editor)
    async with socket(server, {"Authorization": f"Bearer {token}"}) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_cookie_socket_from_another_site_is_refused(server: str, make_staff: Any) -> None:
    from api.models import Role

    _, token = await make_staff(Role.advisor)
    cookie = {"Cookie": f"hotline_console={token}"}
    async with socket(server, cookie, origin="https://evil.example") as ws:  # type: ignore[arg-type]
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    host = server.removeprefix("ws://")
    async with socket(server, cookie, origin=f"http://{host}") as ws:  # type: ignore[arg-type]
        first = await receive(ws, "queue")
    assert first["queue"]["online"] is False


async def test_queue_on_connect_and_live_after_an_escalation(
    server: str, advisor: Advisor, redis: Redis
) -> None:
    headers = await advisor(["uk"])
    async with socket(server, headers) as ws:
        first = await receive(ws, "queue")
        assert first["queue"]["online"] is True and first["queue"]["waiting"] == []
        # The bot's escalation: a ticket on the stream; the app's intake queues it.
        ticket = uuid.uuid4().hex
        await redis.xadd(keys.HANDOFF_STREAM, {"ticket": json.dumps({
            "id": ticket, "conversation": "p" + uuid.uuid4().hex[:20], "lang": "uk",
            "priority": "urgent", "reason": "asked for a person", "channel": "web"})})

        async def arrived() -> dict[str, Any]:
            while True:
                update = await receive(ws, "queue")
                if update["queue"]["waiting"]:
                    return update

        update = await asyncio.wait_for(arrived(), WAIT)
    waiting = update["queue"]["waiting"]
    assert [t["id"] for t in waiting] == [ticket] and waiting[0]["urgent"] is True
    assert update["queue"]["waiting_total"] == 1


async def test_ping_refreshes_presence(server: str, client: httpx.AsyncClient,
                                       advisor: Advisor, redis: Redis) -> None:
    headers = await advisor(["ru"])
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()["id"]
    async with socket(server, headers) as ws:
        await receive(ws, "queue")
        # Nearly expired: a ping must renew it.
        await redis.pexpire(keys.handoff_advisor(me), 1000)
        await redis.zadd(keys.HANDOFF_ADVISORS, {me: 1})
        await ws.send("not json")  # ignored, not fatal
        await ws.send(json.dumps({"type": "shout"}))
        await ws.send(b"\x00binary")
        await ws.send(json.dumps({"type": "ping"}))
        pong = await receive(ws, "pong")
        assert pong["online"] is True  # still connected after the junk
    assert await redis.pttl(keys.handoff_advisor(me)) > 1000
    assert (await redis.zscore(keys.HANDOFF_ADVISORS, me) or 0) > 1


async def test_ping_after_presence_expired_says_offline(
    server: str, client: httpx.AsyncClient, advisor: Advisor, redis: Redis
) -> None:
    headers = await advisor(["ru"])
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()["id"]
    async with socket(server, headers) as ws:
        await receive(ws, "queue")
        await redis.delete(keys.handoff_advisor(me))
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive(ws, "pong"))["online"] is False


async def test_message_pushed_to_the_holder(
    server: str, client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    headers = await advisor(["ru"])
    ticket, conversation = await enqueue("ru")
    assert (await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
            ).status_code == 200
    bystander = await advisor(["ru"])
    async with socket(server, headers) as ws, socket(server, bystander) as other:
        first = await receive(ws, "queue")
        assert [t["id"] for t in first["queue"]["mine"]] == [ticket]
        await receive(other, "queue")
        await said_by_person(redis, conversation, "they came to my door")
        pushed = await receive(ws, "message", ticket=ticket)
        assert pushed["message"]["text"] == "they came to my door"
        assert pushed["message"]["author"] == "person"
        # The advisor's own reply comes back once recorded.
        await client.post(f"{CONSOLE}/tickets/{ticket}/reply", headers=headers,
                          json={"text": "stay calm"})
        mine = await receive(ws, "message", ticket=ticket)
        assert (mine["message"]["author"], mine["message"]["text"]) == ("advisor", "stay calm")
        await other.send(json.dumps({"type": "ping"}))
        # The bystander got a pong, never the message (frames arrive in order).
        while True:
            data = frame(await asyncio.wait_for(other.recv(), WAIT))
            assert data["type"] != "message"
            if data["type"] == "pong":
                break


async def test_ticket_gone_when_the_chat_is_taken_away(
    server: str, client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue
) -> None:
    headers = await advisor(["ru"])
    ticket, _ = await enqueue("ru")
    await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
    async with socket(server, headers) as ws:
        await receive(ws, "queue")
        r = await client.post(f"{CONSOLE}/tickets/{ticket}/transfer", headers=headers,
                              json={"language": "de"})
        assert r.status_code == 200
        gone = await receive(ws, "ticket_gone")
    assert gone == {"type": "ticket_gone", "ticket": ticket}


async def test_overdue_alert_reaches_the_consoles_of_that_language(
    server: str, advisor: Advisor, redis: Redis
) -> None:
    from handoff.queue import HandoffQueue

    headers = await advisor(["be"])
    async with socket(server, headers) as ws:
        await receive(ws, "queue")
        # Escalated an hour ago: the urgent alert (2 min) is already due; the app's loop pops it.
        request = TicketRequest(id=uuid.uuid4().hex, conversation="p" + uuid.uuid4().hex[:20],
                                language="be", priority="urgent", reason="danger",  # type: ignore[arg-type]
                                created=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        await HandoffQueue(redis).enqueue(request)
        alert = await receive(ws, "alert")
    assert alert == {"type": "alert", "ticket": request.id, "priority": "urgent",
                     "language": "be"}


async def test_closing_the_socket_does_not_sign_off(
    server: str, client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue
) -> None:
    headers = await advisor(["ru"])
    ticket, _ = await enqueue("ru")
    await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
    async with socket(server, headers) as ws:
        await receive(ws, "queue")
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert me["presence"] is not None
    view = (await client.get(f"{CONSOLE}/queue", headers=headers)).json()
    assert [t["id"] for t in view["mine"]] == [ticket]
