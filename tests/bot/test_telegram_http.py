"""The sender's HTTP/1.1 client (bot/telegram_http.py) against servers that misbehave on purpose,
and :func:`bot.delivery.classify`, which reads Telegram's answers.

The well-behaved path (the fake Bot API, 429s, 5xx, HTML pages, dropped
connections) is covered through the sender in test_sender*.py; here each
server speaks raw bytes, so every framing the client claims to handle is
exercised: Content-Length, chunked, read-to-close, a keep-alive connection
the server closed while idle, garbage, oversized answers, silence.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram.client.telegram import TelegramAPIServer

from bot.delivery import classify
from bot.telegram_http import MAX_BODY, Answer, NetworkFailure, TelegramHttp

TOKEN = "123456:SECRET-token-value"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _request(reader: asyncio.StreamReader) -> tuple[str, dict]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return head.split(" ")[1], json.loads(await reader.readexactly(length))


def _ok(result: object = None) -> bytes:
    return json.dumps({"ok": True, "result": result if result is not None else
                       {"message_id": 7}}).encode()


class Server:
    """A loopback server whose handler writes whatever bytes the test wants."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.paths: list[str] = []
        self.bodies: list[dict] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def request(self, reader: asyncio.StreamReader) -> None:
        path, body = await _request(reader)
        self.paths.append(path)
        self.bodies.append(body)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[Server, TelegramHttp]]]]:
    made: list[tuple[asyncio.base_events.Server, TelegramHttp]] = []

    async def start(handler: Handler) -> tuple[Server, TelegramHttp]:
        server = Server(handler)
        listener = await asyncio.start_server(server._serve, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        http = TelegramHttp(TOKEN, TelegramAPIServer.from_base(f"http://127.0.0.1:{port}"),
                            timeout=2.0)
        made.append((listener, http))
        return server, http

    yield start
    for listener, http in made:
        await http.close()
        listener.close()
        await listener.wait_closed()


def _keep_alive(server_ref: list[Server], answer: Callable[[int], bytes]) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server_ref[0].request(reader)
            writer.write(answer(len(server_ref[0].bodies)))
            await writer.drain()
    return handler


async def test_content_length_answers_reuse_one_connection(serve) -> None:
    ref: list[Server] = []

    def answer(n: int) -> bytes:
        body = _ok({"message_id": n})
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    server, http = await serve(_keep_alive(ref, answer))
    ref.append(server)
    for n in range(1, 4):
        reply = await http.call("sendMessage", {"chat_id": 1, "text": "привет"})
        assert reply.ok and reply.result == {"message_id": n}
    assert server.connections == 1
    assert server.paths == [f"/bot{TOKEN}/sendMessage"] * 3
    assert server.bodies[0] == {"chat_id": 1, "text": "привет"}


async def test_chunked_answer_with_trailers(serve) -> None:
    ref: list[Server] = []
    body = _ok()

    def answer(_: int) -> bytes:
        first, second = body[:5], body[5:]
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x;ext=1\r\n%s\r\n" % (len(first), first)
                + b"%x\r\n%s\r\n" % (len(second), second) + b"0\r\nX-Trailer: 1\r\n\r\n")

    server, http = await serve(_keep_alive(ref, answer))
    ref.append(server)
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "a"})).result == {
        "message_id": 7}
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "b"})).ok
    assert server.connections == 1


async def test_answer_delimited_by_close_and_connection_close(serve) -> None:
    calls: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        calls.append(1)
        if len(calls) == 1:  # no length at all: the body ends when the server closes
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n" + _ok())
        else:
            body = _ok()
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
        await writer.drain()

    server, http = await serve(handler)
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "a"})).ok
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "b"})).ok
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "c"})).ok
    assert server.connections == 3  # neither answer left a reusable connection


async def test_connection_closed_while_idle_is_not_reused(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        body = _ok()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        # keep-alive promised, then the server times the idle connection out

    server, http = await serve(handler)
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "a"})).ok
    await asyncio.sleep(0.05)  # the FIN arrives while the connection is idle
    assert (await http.call("sendMessage", {"chat_id": 1, "text": "b"})).ok
    assert server.connections == 2


async def test_html_error_page_is_an_answer_without_json(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        page = b"<html><body>502 Bad Gateway</body></html>"
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(page), page))
        await writer.drain()

    _, http = await serve(handler)
    reply = await http.call("sendMessage", {"chat_id": 1, "text": "a"})
    assert reply.status == 502 and reply.body is None and "Bad Gateway" in reply.raw
    assert classify("sendMessage", reply).kind == "transient"


@pytest.mark.parametrize("garbage", [
    b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\"",  # cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"",  # closed without a word
])
async def test_garbage_is_a_network_failure_that_names_no_token(serve, garbage: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(garbage)
        await writer.drain()

    _, http = await serve(handler)
    with pytest.raises(NetworkFailure) as caught:
        await http.call("sendMessage", {"chat_id": 1, "text": "a"})
    assert TOKEN not in str(caught.value) and "SECRET" not in str(caught.value)


async def test_oversized_answer_is_refused(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        await writer.drain()

    _, http = await serve(handler)
    with pytest.raises(NetworkFailure):
        await http.call("sendMessage", {"chat_id": 1, "text": "a"})


async def test_silent_server_times_out_and_its_connection_is_dropped(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        await asyncio.sleep(10)

    server, http = await serve(handler)
    http._timeout = 0.2
    with pytest.raises(NetworkFailure, match="no answer within"):
        await http.call("sendMessage", {"chat_id": 1, "text": "a"})
    assert http._idle == [] and http._busy == {}


async def test_cancelled_call_never_leaves_its_connection_for_reuse(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _request(reader)
        await asyncio.sleep(10)

    _, http = await serve(handler)
    call = asyncio.create_task(http.call("sendMessage", {"chat_id": 1, "text": "a"}))
    await asyncio.sleep(0.1)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert http._idle == []


async def test_refused_connection_is_a_network_failure() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    http = TelegramHttp(TOKEN, TelegramAPIServer.from_base(f"http://127.0.0.1:{port}"))
    with pytest.raises(NetworkFailure):
        await http.call("sendMessage", {"chat_id": 1, "text": "a"})


def test_only_http_servers_are_accepted() -> None:
    with pytest.raises(ValueError):
        TelegramHttp(TOKEN, TelegramAPIServer.from_base("ftp://example.org"))


def _answer(status: int, **body: object) -> Answer:
    return Answer(status, {"ok": status == 200, **body})


@pytest.mark.parametrize(("method", "answer", "kind", "reason"), [
    ("sendMessage", _answer(200, result={"message_id": 5}), "sent", ""),
    ("editMessageText", _answer(200, result={"message_id": 5}), "sent", ""),
    ("sendMessage", _answer(429, description="Too Many Requests: retry after 3",
                            parameters={"retry_after": 3}), "retry_after", "429"),
    ("sendMessage", _answer(403, description="Forbidden: bot was blocked by the user"),
     "blocked", "forbidden"),
    ("sendMessage", _answer(401, description="Unauthorized"), "unauthorized", "unauthorized"),
    ("editMessageText", _answer(400, description="Bad Request: message is not modified"),
     "sent", "not_modified"),
    ("deleteMessage", _answer(400, description="Bad Request: message to delete not found"),
     "skipped", "not_deletable"),
    ("sendMessage", _answer(400, description="Bad Request: chat not found"), "permanent",
     "bad_request"),
    ("sendMessage", _answer(413, description="Request Entity Too Large"), "permanent",
     "too_large"),
    ("sendMessage", _answer(400, description="migrated",
                            parameters={"migrate_to_chat_id": -100}), "permanent", "migrated"),
    ("sendMessage", _answer(500, description="Internal Server Error"), "transient",
     "server_error"),
    ("sendMessage", _answer(404, description="Not Found"), "permanent", "http_404"),
    ("sendMessage", Answer(200, {"ok": "yes"}), "permanent", "http_200"),
    ("sendMessage", Answer(200, None, raw="<html>"), "transient", "decode_error"),
])
def test_classify_reads_answers_as_aiogram_does(method: str, answer: Answer, kind: str,
                                                reason: str) -> None:
    delivery = classify(method, answer)
    assert (delivery.kind, delivery.reason) == (kind, reason)
    if method == "sendMessage" and kind == "sent":
        assert delivery.telegram_id == 5
    elif kind == "sent":
        assert delivery.telegram_id is None  # an edit's id is already known
    if kind == "retry_after":
        assert delivery.retry_after == 3.0


@pytest.mark.parametrize("result", [True, {"message_id": "5"}, {"message_id": True}, [1], None])
def test_an_accepted_send_with_an_odd_result_is_still_sent(result: object) -> None:
    """Telegram took it: resending would duplicate, so an unreadable id is only not kept."""
    delivery = classify("sendMessage", Answer(200, {"ok": True, "result": result}))
    assert delivery.kind == "sent" and delivery.telegram_id is None
