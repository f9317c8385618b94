"""The sender's line to Telegram: a JSON body out, the JSON answer read back, nothing more.

aiogram's ``Bot`` is right for the update side (typed objects, webhook
replies, answerCallbackQuery), but for the sender its price is out of
proportion to the job: it builds a pydantic method object, turns it into a
multipart form, and validates Telegram's echo of the whole message into
pydantic models — about 1.5 ms of CPU per message with a keyboard. A JSON
POST through aiohttp costs about 0.5 ms, and through the few lines of
HTTP/1.1 below about 0.2 ms (bench/bot_pipeline.py puts the sender in the
same process as the updates, so this is throughput for people). The sender
only needs to know whether Telegram took the message, its ``message_id``,
and what an error means, so that is all this module reads.

The client speaks the small part of HTTP/1.1 the Bot API needs: POST with a
Content-Length body over kept-alive connections (TLS for https), answers
with Content-Length, chunked, or read-to-close bodies. A connection that
the server closed while idle is noticed before reuse; one whose state is
unknown after an error or a cancellation is closed, never reused.

Telegram accepts JSON bodies for every method; the URL is aiogram's own
:class:`TelegramAPIServer` template, so ``TELEGRAM_API_URL`` means the same
here as for the Bot. The token is part of the URL and never appears in a
returned error text.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from pydantic_core import from_json, to_json

#: Seconds for one call (connect, send, answer); Telegram answers sends in well under one.
DEFAULT_TIMEOUT = 30.0
#: A connection idle longer than this is closed rather than reused (servers time out
#: idle keep-alive connections after 60-75 s; a stale one would fail the next send).
IDLE_SECONDS = 20.0
#: Idle connections kept for reuse.
MAX_IDLE = 64
#: The largest answer read (Telegram's are a few KB).
MAX_BODY = 1 << 20


@dataclass(frozen=True, slots=True)
class Answer:
    """What Telegram said: the HTTP status and the decoded body (None: not JSON)."""

    status: int
    body: dict[str, Any] | None
    #: The start of a body that was not JSON (an HTML error page), for the log.
    raw: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 226 and self.body is not None and self.body.get("ok") is True

    @property
    def result(self) -> Any:
        return self.body.get("result") if self.body is not None else None

    @property
    def description(self) -> str:
        text = self.body.get("description") if self.body is not None else None
        return text if isinstance(text, str) else self.raw

    def parameter(self, name: str) -> Any:
        params = self.body.get("parameters") if self.body is not None else None
        return params.get(name) if isinstance(params, dict) else None


class NetworkFailure(Exception):
    """The call did not get an answer (connection refused or dropped, timeout, bad HTTP)."""


@dataclass(slots=True, eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0
    #: Aborted by the watchdog: the call took longer than the timeout.
    timed_out: bool = False

    def close(self) -> None:
        self.writer.close()


class TelegramHttp:
    """POSTs to one Bot API server with one token over kept-alive connections."""

    def __init__(self, token: str, server: TelegramAPIServer, *,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._token = token
        self._server = server
        self._timeout = timeout
        self._idle: list[_Connection] = []
        #: Calls in flight: their connection and deadline (see :meth:`_watch`).
        self._busy: dict[_Connection, float] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._paths: dict[str, str] = {}
        probe = urlsplit(server.api_url(token, "getMe"))
        if probe.scheme not in {"http", "https"} or not probe.hostname:
            raise ValueError("the Bot API server must be an http(s) URL")
        self._host = probe.hostname
        self._tls = probe.scheme == "https"
        self._ssl = ssl.create_default_context() if self._tls else None
        self._port = probe.port or (443 if self._tls else 80)
        self._authority = probe.netloc.rpartition("@")[2]

    @classmethod
    def for_bot(cls, bot: Bot) -> TelegramHttp:
        """The same server and token as ``bot`` (and its timeout, when it has a number)."""
        timeout = bot.session.timeout
        return cls(bot.token, bot.session.api,
                   timeout=float(timeout) if isinstance(timeout, int | float) else DEFAULT_TIMEOUT)

    async def call(self, method: str, payload: dict[str, Any]) -> Answer:
        """One API call; raises :class:`NetworkFailure` when no answer came back in time."""
        body = to_json(payload)  # pydantic-core's: compact UTF-8, ~4x json.dumps
        head = (f"POST {self._path(method)} HTTP/1.1\r\nHost: {self._authority}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n").encode()
        connection: _Connection | None = None
        try:
            connection = await self._connection()
            self._watch(connection)
            connection.writer.write(head + body)
            status, content, keep = await _read_answer(connection.reader)
        except (OSError, TimeoutError, EOFError, ValueError,  # EOFError: IncompleteReadError
                asyncio.LimitOverrunError) as error:
            if connection is not None:
                connection.close()
                if connection.timed_out:
                    raise NetworkFailure(f"no answer within {self._timeout:.0f} s") from None
            raise NetworkFailure(self._redact(f"{type(error).__name__}: {error}")) from None
        except BaseException:  # cancelled mid-call: what is on the wire is unknown
            if connection is not None:
                connection.close()
            raise
        finally:
            if connection is not None:
                self._busy.pop(connection, None)
        if keep and len(self._idle) < MAX_IDLE:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        try:
            decoded = from_json(content)  # ~2x json.loads on a Message
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            return Answer(status, None, raw=self._redact(content[:200].decode("utf-8", "replace")))
        return Answer(status, decoded)

    def _watch(self, connection: _Connection) -> None:
        """Time the call out by a watchdog rather than a timer per call.

        ``asyncio.timeout`` around each send cost ~7 % of the sender's CPU
        (a timer scheduled and cancelled per message). The watchdog wakes a
        few times per timeout while calls are in flight and aborts the
        connection of any call past its deadline; the pending read then
        fails and the call raises :class:`NetworkFailure`. It stops when
        nothing is in flight.
        """
        self._busy[connection] = time.monotonic() + self._timeout
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.get_running_loop().create_task(self._patrol())

    async def _patrol(self) -> None:
        every = min(1.0, self._timeout / 4)
        while self._busy:
            await asyncio.sleep(every)
            now = time.monotonic()
            for connection, deadline in list(self._busy.items()):
                if now > deadline:
                    connection.timed_out = True
                    connection.writer.transport.abort()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    async def _connection(self) -> _Connection:
        """The most recently used idle connection still open, else a new one."""
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.reader.at_eof() or connection.writer.is_closing() \
                    or now - connection.idle_since > IDLE_SECONDS:
                connection.close()
                continue
            return connection
        async with asyncio.timeout(self._timeout):  # a new connection now and then: a timer is fine
            reader, writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._ssl,
                server_hostname=self._host if self._tls else None)
        return _Connection(reader, writer)

    def _path(self, method: str) -> str:
        path = self._paths.get(method)
        if path is None:
            parts = urlsplit(self._server.api_url(self._token, method))
            path = self._paths[method] = parts.path + (f"?{parts.query}" if parts.query else "")
        return path

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")[:300]


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection may be reused."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x answer")
    status = int(rest[:3])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, await _read_chunked(reader), keep
    if "content-length" in headers:
        length = int(headers["content-length"])
        if not 0 <= length <= MAX_BODY:
            raise ValueError("answer too large")
        return status, await reader.readexactly(length), keep
    return status, await reader.read(MAX_BODY), False  # delimited by the server closing


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, if any
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise ValueError("answer too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
