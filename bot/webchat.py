"""The web chat: the same engine, classifier and privacy rules as Telegram, over a WebSocket.

An ASGI sub-application (Starlette) from :func:`create_webchat_app`: the
page at ``/`` and the conversation at ``/ws``; ``hotline up`` mounts it at
``/chat``. No aiogram here.

Privacy as in Telegram: a tab is known by a random session id (made by the
server, kept in the tab's sessionStorage so a reconnect resumes), and only
its keyed hash (pseudonym, channel ``web``) names the record in Redis and the
events; text is sealed in the events; nothing logs the client's address
(run uvicorn with ``access_log=False``). A web record expires a day after the
last message. Flood control is per connection, with one calm notice.

Protocol, JSON text frames. Client → server: ``{"type": "hello", "session"?,
"lang"?}`` first, then ``{"type": "text", "text"}``, ``{"type": "button",
"data"}`` or ``{"type": "command", "command"}`` (start, menu, advisor,
language, forget, help). Server → client: ``{"type": "session", "session"}``,
``{"type": "message", "text", "buttons": [{"label", "data"}], "protect"}``,
and ``{"type": "done"}`` after the answers to each frame, or instead
``{"type": "error", "code"}`` for a frame that breaks the protocol: every
frame gets exactly one of the two, so a client knows when a turn is over.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.conversation import Conversation
from bot.dialogue import BotButton, Message, engine_turn, forget_question, language_picker, notice
from bot.engines import EngineHolder
from bot.refs import Compact, Refs, forged
from bot.store import FLOOD_LIMIT, FLOOD_WINDOW, ConversationStore
from bot.texts import T
from bot.understanding import Classifier, choose_language, from_telegram, to_understanding
from flows.outcome import ButtonInput, Command, CommandInput, Input, TextInput
from flows.schema import TELEGRAM_TEXT_LIMIT, Lang
from handoff import keys
from handoff.events import (
    ConversationEvent,
    EventType,
    TextSealer,
    add_events,
    erase_event,
    message_event,
)
from hotline.crypto import Pseudonymizer

log = logging.getLogger(__name__)

CHANNEL: Final = "web"
PAGE = Path(__file__).resolve().parent / "static" / "webchat.html"
#: A web record lives a day after the last message (a tab is a short conversation).
WEB_TTL = 24 * 3600
_SESSION = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_COMMANDS = {"start": Command.start, "menu": Command.menu, "advisor": Command.human,
             "back": Command.back}
DONE = {"type": "done"}
_LANGS = frozenset(lang.value for lang in Lang)
#: A frame bigger than this is refused (a 4,096-character text in JSON is well below).
MAX_FRAME = 64 * 1024


class ProtocolError(ValueError):
    """A frame that is not JSON, not an object, or not one of the known types."""


@dataclass
class Tab:
    """One connection: its pseudonym and flood window."""

    pseudonym: str
    interface: Lang | None
    sent: deque[float] = field(default_factory=deque)
    calmed: bool = False

    def flooded(self, now: float) -> tuple[bool, bool]:
        """(skip this frame, send the one calm notice now)."""
        while self.sent and self.sent[0] <= now - FLOOD_WINDOW:
            self.sent.popleft()
        if len(self.sent) < FLOOD_LIMIT:
            self.sent.append(now)
            self.calmed = False
            return False, False
        first = not self.calmed
        self.calmed = True
        return True, first


def button_data(button: BotButton) -> str:
    if button.action is not None:
        k, f, s, i = Refs.compact(button.action)
        return f"a:{k}:{f}:{s}:{'' if i is None else i}"
    if button.lang is not None:
        return f"l:{button.lang.value}"
    return f"x:{int(bool(button.forget))}"


def frame(message: Message) -> dict[str, Any]:
    return {"type": "message", "text": message.text, "protect": message.protect,
            "buttons": [{"label": b.label, "data": button_data(b)} for b in message.buttons]}


class WebChat:
    """The conversation logic of the web chat, apart from the socket."""

    def __init__(self, *, redis: Redis, nlu: Classifier, engines: EngineHolder,
                 pseudonymize: Pseudonymizer, text_sealer: TextSealer) -> None:
        self.redis = redis
        self.nlu = nlu
        self.engines = engines
        self.pseudonymize = pseudonymize
        self.sealer = text_sealer
        self.store = ConversationStore(redis)

    def open(self, session: str | None, lang: str | None) -> tuple[str, Tab]:
        sid = session if isinstance(session, str) and _SESSION.match(session) else (
            secrets.token_urlsafe(24))
        code = lang if isinstance(lang, str) else None
        return sid, Tab(pseudonym=self.pseudonymize(CHANNEL, sid), interface=from_telegram(code))

    async def handle(self, tab: Tab, data: dict[str, Any]) -> list[Message]:
        """Everything the tab sent in one frame, answered (and recorded) in one transaction."""
        kind = data.get("type")
        record = await self.store.load(tab.pseudonym)
        if kind == "text":
            raw = data.get("text")
            if not isinstance(raw, str) or not raw.strip():
                raise ProtocolError("text needs a non-empty string")
            said = raw[:TELEGRAM_TEXT_LIMIT]
            command = said.strip().lstrip("/").lower() if said.startswith("/") else None
            if command is not None and command in {*_COMMANDS, "language", "forget", "help"}:
                return await self._command(tab, record, command, said=said)
            parsed = self.nlu.parse(said, language_hint=record.lang.value if record else None)
            lang = self.language(tab, record, parsed)
            return await self._turn(tab, record, lang, TextInput(
                text=said, understanding=to_understanding(parsed)), said=said)
        if kind == "button":
            return await self._button(tab, record, data.get("data"))
        if kind == "command":
            command = data.get("command")
            if command not in {*_COMMANDS, "language", "forget", "help"}:
                raise ProtocolError("unknown command")
            return await self._command(tab, record, str(command), said=f"/{command}")
        raise ProtocolError("unknown frame type")

    def language(self, tab: Tab, record: Conversation | None, parsed: Any = None) -> Lang:
        chosen = record.lang if record is not None and record.lang_chosen else None
        return choose_language(chosen=chosen, parsed=parsed,
                               previous=record.lang if record else None, interface=tab.interface)

    async def _command(self, tab: Tab, record: Conversation | None, command: str, *,
                       said: str) -> list[Message]:
        lang = self.language(tab, record)
        if command in _COMMANDS:
            return await self._turn(tab, record, lang, CommandInput(command=_COMMANDS[command]),
                                    said=said)
        if command == "language":
            return await self._say(tab, record, lang, [language_picker(lang)], said=said)
        if command == "help":
            return await self._say(tab, record, lang, [notice(T.help, lang)], said=said)
        return await self._say(tab, record, lang, [forget_question(lang)], said=said)

    async def _button(self, tab: Tab, record: Conversation | None, data: object) -> list[Message]:
        lang = self.language(tab, record)
        parts = data.split(":") if isinstance(data, str) and len(data) <= 128 else []
        if len(parts) == 2 and parts[0] == "l" and parts[1] in _LANGS:
            chosen = Lang(parts[1])
            base = (record or Conversation()).with_language(chosen, chosen=True)
            return await self._turn(tab, base, chosen, CommandInput(command=Command.menu),
                                    said=f"[{chosen.value}]",
                                    before=[notice(T.language_set, chosen)])
        if len(parts) == 2 and parts[0] == "x" and parts[1] in ("0", "1"):
            if parts[1] == "0":
                return await self._say(tab, record, lang, [notice(T.forget_cancelled, lang)],
                                       said="[forget: no]")
            return await self._forget(tab, lang)
        action = forged()
        if len(parts) == 5 and parts[0] == "a":
            index = None if parts[4] == "" else (
                int(parts[4]) if parts[4].isdigit() and len(parts[4]) <= 3 else -1)
            action = self.engines.current.refs.expand(Compact(parts[1], parts[2], parts[3], index))
        return await self._turn(tab, record, lang, ButtonInput(action=action), said="[button]")

    async def _turn(self, tab: Tab, record: Conversation | None, lang: Lang, inp: Input, *,
                    said: str, before: Sequence[Message] = ()) -> list[Message]:
        base = (record or Conversation()).with_language(lang, chosen=False)
        turn = engine_turn(self.engines.current, base, inp, pseudonym=tab.pseudonym,
                           channel=CHANNEL, sealed_chat=None, now=dt.datetime.now(dt.UTC))
        messages = [*before, *turn.messages]
        async with self.redis.pipeline(transaction=True) as pipe:
            if turn.ticket is not None:
                pipe.xadd(keys.HANDOFF_STREAM, turn.ticket.fields())  # type: ignore[arg-type]
            self.store.write(pipe, tab.pseudonym, turn.conversation, ttl=WEB_TTL)
            add_events(pipe, self._events(tab, lang, turn.intent, said, messages))
            results = await pipe.execute()
        if turn.ticket is not None:
            stream_id = results[0].decode() if isinstance(results[0], bytes) else str(results[0])
            await self.redis.set(keys.bot_conversation(tab.pseudonym),
                                 turn.conversation.with_ticket(stream_id).dump(), ex=WEB_TTL)
        return messages

    async def _say(self, tab: Tab, record: Conversation | None, lang: Lang,
                   messages: list[Message], *, said: str) -> list[Message]:
        base = (record or Conversation()).with_language(lang, chosen=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            self.store.write(pipe, tab.pseudonym, base, ttl=WEB_TTL)
            add_events(pipe, self._events(tab, lang, None, said, messages))
            await pipe.execute()
        return messages

    async def _forget(self, tab: Tab, lang: Lang) -> list[Message]:
        record = await self.store.load(tab.pseudonym)
        async with self.redis.pipeline(transaction=True) as pipe:
            self.store.erase(pipe, tab.pseudonym, record)
            add_events(pipe, [erase_event(tab.pseudonym, channel=CHANNEL)])
            await pipe.execute()
        return [notice(T.forget_done_web, lang)]

    def _events(self, tab: Tab, lang: Lang, intent: str | None, said: str,
                messages: Sequence[Message]) -> list[ConversationEvent]:
        def event(type: EventType, text: str, protected: bool = False) -> ConversationEvent:
            return message_event(self.sealer, type=type, conversation=tab.pseudonym,
                                 channel=CHANNEL, lang=lang.value, intent=intent, text=text,
                                 protected=protected)

        return [event(EventType.message_in, said),
                *(event(EventType.message_out, m.text, m.protect) for m in messages)]


def _decode(raw: str) -> dict[str, Any]:
    if len(raw) > MAX_FRAME:
        raise ProtocolError("frame too large")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("not JSON") from exc
    if not isinstance(data, dict):
        raise ProtocolError("not an object")
    return data


async def _serve(chat: WebChat, websocket: WebSocket) -> None:
    await websocket.accept()
    tab: Tab | None = None
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                data = _decode(raw)
                if tab is None:
                    if data.get("type") != "hello":
                        raise ProtocolError("say hello first")
                    sid, tab = chat.open(data.get("session"), data.get("lang"))
                    await websocket.send_json({"type": "session", "session": sid})
                    continue
                skip, calm = tab.flooded(time.monotonic())
                if calm:
                    lang = chat.language(tab, await chat.store.load(tab.pseudonym))
                    await websocket.send_json(frame(notice(T.flood, lang)))
                if not skip:
                    for message in await chat.handle(tab, data):
                        await websocket.send_json(frame(message))
                await websocket.send_json(DONE)
            except ProtocolError as exc:
                await websocket.send_json({"type": "error", "code": str(exc)})
    except WebSocketDisconnect:
        return


def create_webchat_app(
    *, redis: Redis, nlu: Classifier, engines: EngineHolder, pseudonymize: Pseudonymizer,
    text_sealer: TextSealer,
) -> Starlette:
    """The web chat as an ASGI app (page at ``/``, WebSocket at ``/ws``), resources injected."""
    chat = WebChat(redis=redis, nlu=nlu, engines=engines, pseudonymize=pseudonymize,
                   text_sealer=text_sealer)
    page = PAGE.read_text(encoding="utf-8")

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
                                       "script-src 'unsafe-inline'; connect-src 'self'",
        })

    async def websocket(ws: WebSocket) -> None:
        await _serve(chat, ws)

    app = Starlette(routes=[Route("/", index), WebSocketRoute("/ws", websocket)])
    app.state.webchat = chat
    return app
