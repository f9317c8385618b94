"""The consoles' live channel: one Redis subscription per api process, fanned out to sockets.

Every api replica subscribes once to the queue's change channel, the
recorder's "new messages" channel and the overdue alerts, whatever the number
of open consoles. Queue changes come in bursts (a claim is two or three
events), so they are coalesced for :data:`DEBOUNCE` seconds and each console
then gets one fresh queue view — the view is a few Redis round trips, cheap
with a thousand tickets waiting because only the first 50 are sent.

A chat taken away from its holder (transferred, requeued, forgotten) is told
at once (``ticket_gone``), not after the debounce. New messages are pushed
only to the console holding the chat, read from PostgreSQL after the recorder
committed them, and opened only then.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth import Principal
from api.console import store
from api.console.auth import advisor_id
from api.console.service import ConsoleService
from api.console.views import Offers
from api.models import Role
from handoff import keys
from handoff.queue import QueueChange
from handoff.tickets import Language, Ticket

log = logging.getLogger(__name__)

#: Queue changes within this many seconds are sent as one view.
DEBOUNCE = 0.025
#: A console that does not take a frame within this many seconds is dropped.
SEND_TIMEOUT = 5.0
#: A chat transferred in gets pushes of messages recorded this long before it arrived.
CATCH_UP = dt.timedelta(seconds=2)
#: Allowance for the database's and this process's clocks differing.
CLOCK_MARGIN = dt.timedelta(milliseconds=500)
#: Events after which a held chat is no longer its holder's.
_TAKEN_AWAY = frozenset({"requeued", "forgotten", "transferred"})


@dataclass(eq=False)
class Connection:
    """One open console socket and what the hub remembers about it."""

    socket: WebSocket
    principal: Principal
    #: Held ticket id → its conversation (kept server-side; never sent).
    held: dict[str, str] = field(default_factory=dict)
    #: Conversation → the last message id this console was sent (or had when it took the chat).
    cursors: dict[str, int] = field(default_factory=dict)
    languages: frozenset[Language] = frozenset(Language)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False

    @property
    def advisor(self) -> str:
        return advisor_id(self.principal)

    async def send(self, payload: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            async with self.lock:
                await asyncio.wait_for(self.socket.send_text(json.dumps(payload, default=str)),
                                       SEND_TIMEOUT)
        except (TimeoutError, RuntimeError, OSError):
            # Gone or stuck: the receive loop ends and detaches it.
            self.closed = True
            with contextlib.suppress(Exception):
                await self.socket.close(code=1011)
        except Exception as exc:  # noqa: BLE001 - one broken socket must not stop the fan-out
            self.closed = True
            log.warning("console socket send failed: %s", type(exc).__name__)


class LiveHub:
    def __init__(self, redis: Redis, service: ConsoleService,
                 sessions: async_sessionmaker[AsyncSession], *, debounce: float = DEBOUNCE,
                 retry_delay: float = 1.0) -> None:
        self.redis = redis
        self.service = service
        self.sessions = sessions
        self.debounce = debounce
        self.retry_delay = retry_delay
        self.connections: set[Connection] = set()
        self.listening = asyncio.Event()
        self._dirty = asyncio.Event()

    # Sockets ---------------------------------------------------------------------------

    async def attach(self, conn: Connection) -> None:
        """Register the socket and send its first queue view."""
        self.connections.add(conn)
        await self.refresh(conn)

    def detach(self, conn: Connection) -> None:
        conn.closed = True
        self.connections.discard(conn)

    async def refresh(self, conn: Connection, offers: Offers | None = None) -> None:
        """Send this console a fresh queue view; learn which chats it holds now."""
        try:
            snap = await self.service.snapshot(conn.principal, offers)
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("console hub: queue view failed (%s)", type(exc).__name__)
            return
        conn.languages = snap.languages
        held = {t.id: t.conversation for t in snap.mine}
        new = [t for t in snap.mine if t.id not in conn.held]
        conn.held = held
        for conv in set(conn.cursors) - set(held.values()):
            del conn.cursors[conv]
        for ticket in new:
            if ticket.conversation not in conn.cursors:
                conn.cursors[ticket.conversation] = await self._last_id(ticket)
        view = snap.view.model_dump(mode="json", exclude={"waiting"})
        view["waiting"] = snap.waiting_json
        await conn.send({"type": "queue", "queue": view})

    async def _last_id(self, ticket: Ticket) -> int:
        """Where pushing starts for a chat this console just learned it holds.

        From the claim (or, for a chat transferred in, a moment ago), minus a margin
        for clock skew: the page loads the chat right after claiming, so a message
        recorded meanwhile may come twice (pages keep messages by id) but never
        goes missing.
        """
        now = dt.datetime.now(dt.UTC)
        since = max(ticket.claimed_at or now, now - CATCH_UP) - CLOCK_MARGIN
        try:
            async with self.sessions() as session:
                return await store.last_message_id(session, ticket.conversation,
                                                   recorded_before=since)
        except SQLAlchemyError as exc:
            log.warning("console hub: database error (%s)", type(exc).__name__)
            return 0

    # Redis -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Listen and fan out until cancelled; resubscribe after Redis errors."""
        flusher = asyncio.create_task(self._flush_loop(), name="console-hub-flush")
        try:
            await self._listen()
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher

    async def _listen(self) -> None:
        channels = (keys.QUEUE_CHANGED, keys.CONVERSATION_RECORDED, keys.HANDOFF_ALERT_CHANNEL)
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(*channels)
                    self.listening.set()
                    self._dirty.set()  # whatever changed while not listening
                    while True:
                        # Short reads, not listen(): redis-py's retry can swallow a
                        # cancellation that lands in a blocking read, so check it here.
                        me = asyncio.current_task()
                        if me is not None and me.cancelling():
                            raise asyncio.CancelledError
                        message = await pubsub.get_message(timeout=0.5)
                        if message is not None and message.get("type") == "message":
                            await self.dispatch(_text(message.get("channel")),
                                                message.get("data"))
            except (RedisError, OSError) as exc:
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    raise asyncio.CancelledError from exc
                log.warning("console hub: %s; resubscribing", type(exc).__name__)
                self.listening.clear()
                await asyncio.sleep(self.retry_delay)

    async def dispatch(self, channel: str, data: Any) -> None:
        """Handle one pub/sub message; a malformed one is dropped, never fatal."""
        try:
            payload = json.loads(data)
            if not isinstance(payload, dict):
                return
            if channel == keys.QUEUE_CHANGED:
                await self.on_queue_change(QueueChange.model_validate(payload))
            elif channel == keys.CONVERSATION_RECORDED:
                conversation = payload.get("conversation")
                if isinstance(conversation, str):
                    await self.on_recorded(conversation)
            elif channel == keys.HANDOFF_ALERT_CHANNEL:
                await self.on_alert(payload)
        except (ValueError, ValidationError, TypeError):
            log.warning("console hub: malformed message on a channel dropped")
        except (RedisError, SQLAlchemyError) as exc:
            log.warning("console hub: %s while handling a change", type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a dead hub would leave every console stale
            log.error("console hub: %s while handling a change", type(exc).__name__)

    async def on_queue_change(self, change: QueueChange) -> None:
        if change.ticket is not None and change.event in _TAKEN_AWAY:
            for conn in list(self.connections):
                if change.ticket not in conn.held:
                    continue
                if change.event == "transferred" and change.advisor == conn.advisor:
                    continue
                conv = conn.held.pop(change.ticket)
                conn.cursors.pop(conv, None)
                await conn.send({"type": "ticket_gone", "ticket": change.ticket})
        self._dirty.set()

    async def _flush_loop(self) -> None:
        """Push at once after a quiet spell, then at most once per ``debounce``: an isolated
        escalation reaches the consoles without waiting, a burst of changes costs one push
        per interval (a trailing wait cost every escalation the whole interval)."""
        loop = asyncio.get_running_loop()
        last = float("-inf")
        while True:
            await self._dirty.wait()
            wait = last + self.debounce - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty.clear()
            last = loop.time()
            if self.connections:
                offers = Offers(self.service)
                results = await asyncio.gather(
                    *(self.refresh(c, offers) for c in list(self.connections)),
                    return_exceptions=True)
                for failure in {type(r).__name__ for r in results if isinstance(r, Exception)}:
                    log.error("console hub: queue view failed (%s)", failure)

    async def on_recorded(self, conversation: str) -> None:
        """Push the new messages of this conversation to the consoles holding it."""
        for conn in list(self.connections):
            if conversation not in conn.cursors:
                continue
            after = conn.cursors[conversation]
            try:
                async with self.sessions() as session:
                    rows = await store.messages(session, conversation, after_id=after)
            except SQLAlchemyError as exc:
                log.warning("console hub: database error (%s)", type(exc).__name__)
                continue
            if not rows or conversation not in conn.cursors:
                continue
            conn.cursors[conversation] = max(after, *(r.id for r in rows))
            ticket = next((t for t, c in conn.held.items() if c == conversation), None)
            for row in rows:
                await conn.send({"type": "message", "ticket": ticket,
                                 "message": self.service.message(row).model_dump(mode="json")})

    async def on_alert(self, payload: dict[str, Any]) -> None:
        try:
            language = Language(str(payload.get("language")))
        except ValueError:
            return
        alert = {"type": "alert", "ticket": str(payload.get("ticket")),
                 "priority": str(payload.get("priority")), "language": language.value}
        for conn in list(self.connections):
            if language in conn.languages or conn.principal.role is Role.admin:
                await conn.send(alert)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
