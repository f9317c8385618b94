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

During a handoff the server also pushes frames unasked: ``{"type":
"message", ..., "from": "service", "kind"}`` — an advisor's words under the
service's name, "a person took your chat", the closing question, news of the
place in the queue (bot/relay.py, bot/notifier.py publish them on the
conversation's channel; :class:`Inboxes` forwards them to the open tab).
While an advisor holds the conversation, the bot's own answer to a frame is
just ``done``; while queued, at most one queue note per few minutes. Button
data ``h:withdraw``, ``h:leave:<command>``, ``h:stay`` and ``s:…`` (the
signed closing question) are the queue moves and the survey.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.callbacks import SurveyCb
from bot.conversation import Conversation
from bot.dialogue import (
    BotButton,
    Message,
    coalesce,
    engine_turn,
    forget_question,
    language_picker,
    notice,
)
from bot.engines import EngineHolder
from bot.erasure import erase_handoff
from bot.queueing import QueueDesk
from bot.refs import Compact, forged
from bot.store import FLOOD_LIMIT, FLOOD_WINDOW, ConversationStore
from bot.texts import T, text
from bot.understanding import Classifier, choose_language, from_telegram, to_understanding
from bot.webframes import button_data, frame
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
from handoff.hours import parse as parse_hours
from handoff.ownership import BOT, Holder, HolderKind
from handoff.queue import HandoffQueue
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


__all__ = ["button_data", "create_webchat_app", "frame", "WebChat"]
#: Commands that keep working while queued or with an advisor.
_ALWAYS = frozenset({"language", "forget", "help"})
URGENT_INTENT = "urgent_danger"


class WebChat:
    """The conversation logic of the web chat, apart from the socket."""

    def __init__(self, *, redis: Redis, nlu: Classifier, engines: EngineHolder,
                 pseudonymize: Pseudonymizer, text_sealer: TextSealer,
                 desk: QueueDesk) -> None:
        self.redis = redis
        self.nlu = nlu
        self.engines = engines
        self.pseudonymize = pseudonymize
        self.sealer = text_sealer
        self.store = ConversationStore(redis)
        self.desk = desk
        self.queue = HandoffQueue(redis)

    def open(self, session: str | None, lang: str | None) -> tuple[str, Tab]:
        sid = session if isinstance(session, str) and _SESSION.match(session) else (
            secrets.token_urlsafe(24))
        code = lang if isinstance(lang, str) else None
        return sid, Tab(pseudonym=self.pseudonymize(CHANNEL, sid), interface=from_telegram(code))

    async def handle(self, tab: Tab, data: dict[str, Any]) -> list[Message]:
        """Everything the tab sent in one frame, answered (and recorded) in one transaction."""
        kind = data.get("type")
        record, holder = await self.store.load_with_holder(tab.pseudonym)
        if record is not None:
            record = record.reconcile(holder.kind is not HolderKind.bot, dt.datetime.now(dt.UTC))
        if holder.kind is not HolderKind.bot:
            return await self._handed_off(tab, record, holder, data)
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
        if parts and parts[0] in ("h", "s"):
            return await self._queue_button(tab, record, BOT, lang, parts)
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

    async def _handed_off(self, tab: Tab, record: Conversation | None, holder: Holder,
                          data: dict[str, Any]) -> list[Message]:
        """Queued or with an advisor: record what the person says; the engine does not run
        (urgent danger while queued excepted); with an advisor, the bot says nothing."""
        kind = data.get("type")
        lang = self.language(tab, record)
        command: str | None = None
        said: str
        if kind == "text":
            raw = data.get("text")
            if not isinstance(raw, str) or not raw.strip():
                raise ProtocolError("text needs a non-empty string")
            said = raw[:TELEGRAM_TEXT_LIMIT]
            if said.startswith("/"):
                command = said.strip().lstrip("/").lower()
        elif kind == "command":
            if data.get("command") not in {*_COMMANDS, *_ALWAYS}:
                raise ProtocolError("unknown command")
            command = str(data.get("command"))
            said = f"/{command}"
        elif kind == "button":
            raw_data = data.get("data")
            parts = raw_data.split(":") if isinstance(raw_data, str) and len(raw_data) <= 128 \
                else []
            if parts and parts[0] in ("h", "s"):
                return await self._queue_button(tab, record, holder, lang, parts)
            if len(parts) == 2 and parts[0] == "l" and parts[1] in _LANGS:
                chosen = Lang(parts[1])
                base = (record or Conversation()).with_language(chosen, chosen=True)
                return await self._say(tab, base, chosen, [notice(T.language_set, chosen)],
                                       said=f"[{chosen.value}]")
            if len(parts) == 2 and parts[0] == "x":
                return await self._button(tab, record, raw_data)
            return await self._keep(tab, record, holder, lang, said="[button]")
        else:
            raise ProtocolError("unknown frame type")
        if command in _ALWAYS:
            return await self._command(tab, record, command, said=said)
        if command in ("start", "menu"):
            key = T.leave_confirm_held if holder.kind is HolderKind.advisor \
                else T.leave_confirm_queued
            question = Message(text=text(key, lang), buttons=(
                BotButton(label=text(T.leave_yes, lang), handoff=f"leave:{command}"),
                BotButton(label=text(T.leave_no, lang), handoff="stay"),
            ))
            return await self._say(tab, record, lang, [question], said=said)
        if command is None and holder.kind is HolderKind.queued:
            parsed = self.nlu.parse(said, language_hint=lang.value)
            if parsed.intent == URGENT_INTENT and not parsed.needs_clarification:
                return await self._turn(tab, record, lang, TextInput(
                    text=said, understanding=to_understanding(parsed)), said=said)
        return await self._keep(tab, record, holder, lang, said=said)

    async def _keep(self, tab: Tab, record: Conversation | None, holder: Holder, lang: Lang, *,
                    said: str) -> list[Message]:
        """Recorded for the advisor; while queued, the queue note when it is due."""
        base = (record or Conversation()).with_language(lang, chosen=False)
        now = dt.datetime.now(dt.UTC)
        messages: list[Message] = []
        if holder.kind is HolderKind.queued and self.desk.note_due(base.queue_note_at, now):
            messages.append(await self.desk.note(tab.pseudonym, lang, now))
            base = base.model_copy(update={"queue_note_at": now})
        return await self._say(tab, base, lang, messages, said=said)

    async def _queue_button(self, tab: Tab, record: Conversation | None, holder: Holder,
                            lang: Lang, parts: list[str]) -> list[Message]:
        """withdraw / leave / stay, and the closing question's answer."""
        if parts[0] == "s":
            try:
                answer = SurveyCb.unpack(":".join(parts))
            except (TypeError, ValueError):
                return [notice(T.survey_stale, lang)]
            return [notice(await self.desk.answer_survey(answer, tab.pseudonym), lang)]
        move = parts[1] if len(parts) > 1 else ""
        then = parts[2] if len(parts) > 2 else ""
        if move == "stay":
            return await self._say(tab, record, lang, [notice(T.leave_stay, lang)],
                                   said="[stay]")
        key: T | None = None
        if move == "withdraw" or (move == "leave" and holder.kind is HolderKind.queued):
            if not await self.queue.withdraw(tab.pseudonym):
                return await self._say(tab, record, lang, [notice(T.withdraw_late, lang)],
                                       said="[withdraw]")
            key = T.withdrawn
        elif move == "leave" and holder.kind is HolderKind.advisor:
            await self.queue.leave(tab.pseudonym)
            key = T.left_advisor
        elif move != "leave":
            return [notice(T.leave_stay, lang)]
        base = (record or Conversation()).back_with_bot()
        command = _COMMANDS.get(then, Command.menu)
        return await self._turn(tab, base, lang, CommandInput(command=command),
                                said=f"[{move}]", before=[notice(key, lang)] if key else [])

    async def _turn(self, tab: Tab, record: Conversation | None, lang: Lang, inp: Input, *,
                    said: str, before: Sequence[Message] = ()) -> list[Message]:
        base = (record or Conversation()).with_language(lang, chosen=False)
        turn = engine_turn(self.engines.current, base, inp, pseudonym=tab.pseudonym,
                           channel=CHANNEL, sealed_chat=None, now=dt.datetime.now(dt.UTC),
                           closed_note=self.desk.closed_note)
        messages = coalesce([*before, *turn.messages])
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
        await erase_handoff(self.redis, self.queue, tab.pseudonym)
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


class Sender:
    """Frames to one socket from two places — the turn loop and the advisor inbox — in order,
    one at a time."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._lock = asyncio.Lock()

    async def json(self, data: dict[str, Any]) -> None:
        async with self._lock:
            await self.websocket.send_json(data)

    async def raw(self, text_frame: str) -> None:
        async with self._lock:
            await self.websocket.send_text(text_frame)


class Inboxes:
    """What the relay and the queue notifier publish for a conversation
    (:func:`handoff.keys.webchat_inbox`) is pushed to its open tabs in this process.

    One pattern subscription per process, not a Redis connection per tab: it
    starts with the first open tab (subscribed before the tab goes on, so
    nothing published after the hello is missed) and ends with the last.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._tabs: dict[str, set[Sender]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._pubsub: Any = None

    @contextlib.asynccontextmanager
    async def open(self, pseudonym: str, send: Sender) -> AsyncIterator[None]:
        channel = keys.webchat_inbox(pseudonym)
        async with self._lock:
            if self._task is None:
                self._pubsub = self.redis.pubsub()
                await self._pubsub.psubscribe(keys.webchat_inbox("*"))
                self._task = asyncio.create_task(self._pump(self._pubsub), name="webchat-inbox")
            self._tabs.setdefault(channel, set()).add(send)
        try:
            yield
        finally:
            async with self._lock:
                tabs = self._tabs.get(channel, set())
                tabs.discard(send)
                if not tabs:
                    self._tabs.pop(channel, None)
                if not self._tabs and self._task is not None:
                    task, pubsub, self._task, self._pubsub = self._task, self._pubsub, None, None
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()

    async def _pump(self, pubsub: Any) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "pmessage":
                continue
            channel = item["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else str(channel)
            payload = item["data"]
            payload = payload.decode() if isinstance(payload, bytes) else str(payload)
            for send in list(self._tabs.get(channel, ())):
                with contextlib.suppress(Exception):  # a tab that just closed
                    await send.raw(payload)


async def _serve(chat: WebChat, inboxes: Inboxes, websocket: WebSocket) -> None:
    await websocket.accept()
    send = Sender(websocket)
    async with contextlib.AsyncExitStack() as stack:
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
                        await stack.enter_async_context(inboxes.open(tab.pseudonym, send))
                        await send.json({"type": "session", "session": sid})
                        continue
                    skip, calm = tab.flooded(time.monotonic())
                    if calm:
                        lang = chat.language(tab, await chat.store.load(tab.pseudonym))
                        await send.json(frame(notice(T.flood, lang)))
                    if not skip:
                        for message in await chat.handle(tab, data):
                            await send.json(frame(message))
                    await send.json(DONE)
                except ProtocolError as exc:
                    await send.json({"type": "error", "code": str(exc)})
        except WebSocketDisconnect:
            return


def create_webchat_app(
    *, redis: Redis, nlu: Classifier, engines: EngineHolder, pseudonymize: Pseudonymizer,
    text_sealer: TextSealer, desk: QueueDesk | None = None,
) -> Starlette:
    """The web chat as an ASGI app (page at ``/``, WebSocket at ``/ws``), resources injected.

    ``desk`` should be the deployment's (bot.app.make_desk): its secret signs the closing
    question's buttons, its settings give service hours and the service's name. Without
    one, a desk with a per-process key, no hours and the default name is used.
    """
    if desk is None:
        desk = QueueDesk(redis, secret=secrets.token_urlsafe(32), hours=parse_hours(""),
                         service_name="Hotline")
    chat = WebChat(redis=redis, nlu=nlu, engines=engines, pseudonymize=pseudonymize,
                   text_sealer=text_sealer, desk=desk)
    page = PAGE.read_text(encoding="utf-8")

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
                                       "script-src 'unsafe-inline'; connect-src 'self'",
        })

    inboxes = Inboxes(redis)

    async def websocket(ws: WebSocket) -> None:
        await _serve(chat, inboxes, ws)

    app = Starlette(routes=[Route("/", index), WebSocketRoute("/ws", websocket)])
    app.state.webchat = chat
    app.state.inboxes = inboxes
    return app
