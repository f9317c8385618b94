"""The web chat over a real WebSocket: same engine and classifier, same privacy rules."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from redis.asyncio import Redis

from bot.conversation import Conversation
from bot.engines import EngineHolder
from bot.store import FLOOD_LIMIT
from bot.texts import T, text
from bot.webchat import create_webchat_app
from flows.schema import Lang
from handoff import keys
from handoff.events import TEXT_PURPOSE, ConversationEvent, EventType
from hotline.crypto import Pseudonymizer, Sealer
from nlu.parser import NluParser
from tests.bot.conftest import SECRET
from tests.bot.pack import after, make_pack, menu_labels


class Tab:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.ws.recv(), 20))

    async def until_quiet(self) -> list[dict[str, Any]]:
        """The answers to one frame (every frame ends with "done" or "error")."""
        frames = []
        while True:
            got = await self.recv()
            if got["type"] == "done":
                return frames
            frames.append(got)
            if got["type"] == "error":
                return frames


@pytest.fixture
async def server(redis: Redis, nlu: NluParser) -> AsyncIterator[str]:
    engines = EngineHolder()
    engines.install(make_pack(), version="test", source="test")
    app = create_webchat_app(redis=redis, nlu=nlu, engines=engines,
                             pseudonymize=Pseudonymizer(SECRET),
                             text_sealer=Sealer(SECRET, TEXT_PURPOSE))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(500):
        if srv.started:
            break
        await asyncio.sleep(0.02)
    yield f"127.0.0.1:{port}"
    srv.should_exit = True
    await asyncio.wait_for(task, 10)


async def open_tab(server: str, **hello: Any) -> tuple[Any, Tab, str]:
    ws = await websockets.connect(f"ws://{server}/ws")
    tab = Tab(ws)
    await tab.send(type="hello", **hello)
    session = await tab.recv()
    assert session["type"] == "session"
    return ws, tab, session["session"]


async def test_the_page_is_served_without_third_parties(server: str) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(f"http://{server}/")
    assert page.status_code == 200 and "WebSocket" in page.text
    assert "no-referrer" in page.headers["referrer-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing external


async def test_a_conversation_in_every_language(server: str, redis: Redis) -> None:
    ws, tab, session = await open_tab(server, lang="de-AT")
    async with ws:
        await tab.send(type="command", command="start")
        # the greeting is joined to the menu: one bubble, the menu's buttons under it
        (hello,) = await tab.until_quiet()
        assert hello["type"] == "message"
        assert hello["text"] == after("[greet/hello de]", "de")
        assert [b["label"] for b in hello["buttons"]] == menu_labels("de")
        # a choice stands alone with its buttons; a message step is joined to the menu
        for phrase, said in (("як виїхати з росії через грузію", ["[leave/choose uk]"]),
                             ("kak uehat iz rossii", ["[leave/choose ru]"]),
                             ("пришла повестка на госуслуги что делать",
                              [after("[summons/start ru]", "ru")]),
                             ("Bekomme ich Schutz als Deserteur?",
                              [after("[protection/start de]", "de")])):
            await tab.send(type="text", text=phrase)
            assert [f["text"] for f in await tab.until_quiet()] == said
        # buttons: choose an option, then a forged one
        await tab.send(type="text", text="can I still cross into Finland by car")
        choice = (await tab.until_quiet())[0]
        borders = next(b["data"] for b in choice["buttons"] if "opt borders" in b["label"])
        await tab.send(type="button", data=borders)
        assert (await tab.until_quiet())[0]["text"].startswith("[leave/borders en]")
        for forged in ("a:o:AAAAAA:BBBBBB:1", "nonsense", "a:o:x:y:99999", 42):
            await tab.send(type="button", data=forged)
            replies = await tab.until_quiet()
            assert replies and replies[-1]["type"] == "message"
    pseudonym = Pseudonymizer(SECRET)("web", session)
    assert await redis.ttl(keys.bot_conversation(pseudonym)) <= 24 * 3600
    entries = await redis.xrange(keys.EVENTS_STREAM)
    events = [ConversationEvent.from_fields(f) for _, f in entries]
    assert events and all(e.channel == "web" and e.conversation == pseudonym for e in events)
    sealer = Sealer(SECRET, TEXT_PURPOSE)
    inbound = [sealer.open(e.text or "", context=pseudonym) for e in events
               if e.type is EventType.message_in]
    assert "kak uehat iz rossii" in inbound


async def test_language_choice_handoff_and_forget(server: str, redis: Redis) -> None:
    ws, tab, session = await open_tab(server, lang="ru")
    pseudonym = Pseudonymizer(SECRET)("web", session)
    async with ws:
        await tab.send(type="command", command="language")
        picker = (await tab.until_quiet())[0]
        await tab.send(type="button", data=next(b["data"] for b in picker["buttons"]
                                                if "English" in b["label"]))
        (chosen,) = await tab.until_quiet()
        assert chosen["text"] == after(text(T.language_set, Lang.en), "en")
        assert [b["label"] for b in chosen["buttons"]] == menu_labels("en")
        await tab.send(type="text", text="/advisor")
        (note,) = await tab.until_quiet()
        # the web's handoff note is joined to the triage question and carries its buttons
        assert note["text"] == text(T.handoff_web, Lang.en) + "\n\n[human/triage en]"
        assert [b["label"] for b in note["buttons"]] == [
            "[opt danger en]", "[opt other en]", "[ui main_menu en]", "[ui talk_to_human en]"]
        ticket = json.loads((await redis.xrange(keys.HANDOFF_STREAM))[0][1][b"ticket"])
        assert ticket["channel"] == "web" and "chat" not in ticket
        await tab.send(type="command", command="forget")
        question = (await tab.until_quiet())[0]
        await tab.send(type="button", data=question["buttons"][0]["data"])
        assert (await tab.until_quiet())[0]["text"] == text(T.forget_done_web, Lang.en)
    assert not await redis.exists(keys.bot_conversation(pseudonym))
    assert await redis.xrange(keys.HANDOFF_STREAM) == []
    last = ConversationEvent.from_fields((await redis.xrange(keys.EVENTS_STREAM))[-1][1])
    assert last.type is EventType.erase and last.conversation == pseudonym


async def test_a_reconnecting_tab_resumes_and_a_bad_session_id_gets_a_new_one(
    server: str, redis: Redis,
) -> None:
    ws, tab, session = await open_tab(server)
    async with ws:
        await tab.send(type="text", text="kak uehat iz rossii")
        await tab.until_quiet()
    ws, tab, again = await open_tab(server, session=session)
    async with ws:
        assert again == session
    record = Conversation.load(await redis.get(keys.bot_conversation(
        Pseudonymizer(SECRET)("web", session))))
    assert record is not None and record.state.position is not None
    for bad in ("short", "../../etc", "x" * 500, 17):
        ws, tab, other = await open_tab(server, session=bad)
        async with ws:
            assert other != bad and len(other) >= 22


async def test_protocol_errors_and_floods_are_answered_calmly(server: str) -> None:
    ws = await websockets.connect(f"ws://{server}/ws")
    tab = Tab(ws)
    async with ws:
        await tab.send(type="text", text="hi")  # no hello yet
        assert (await tab.recv())["type"] == "error"
        await ws.send("not json")
        assert (await tab.recv())["type"] == "error"
        await ws.send("[1, 2]")
        assert (await tab.recv())["type"] == "error"
        await tab.send(type="hello")
        assert (await tab.recv())["type"] == "session"
        for frame in ({"type": "text", "text": ""}, {"type": "text", "text": 5},
                      {"type": "command", "command": "rm -rf"}, {"type": "dance"}):
            await tab.send(**frame)
            assert (await tab.recv())["type"] == "error"
        await tab.send(type="text", text="x" * 10_000)  # cut to 4,096, still answered
        assert (await tab.until_quiet())[0]["type"] == "message"
        answers = []
        for _ in range(FLOOD_LIMIT + 5):
            await tab.send(type="text", text="привет")
            answers.append(await tab.until_quiet())
        calm = [i for i, frames in enumerate(answers)
                if any(f.get("text") == text(T.flood, Lang.ru) for f in frames)]
        assert len(calm) == 1  # one calm notice, then silence
        assert all(frames == [] for frames in answers[calm[0] + 1:])
