"""A local fake Telegram Bot API server, for driving the real aiogram stack in tests.

Telegram itself is the one thing tests may fake (STYLE.md). This fake speaks
the Bot API's HTTP and JSON exactly enough for aiogram to parse every reply,
and it enforces Telegram's limits the way Telegram does — 429 with
``retry_after`` beyond ~30 messages per rolling second overall, ~1 per second
per chat after a short burst, 20 per minute per group — so a test can prove the
sender keeps them. It also blocks chats (403), injects 5xx replies and dropped
connections, and records every call with its arrival time.

    async with FakeBotAPI() as api:
        bot = api.make_bot()
        await bot.send_message(42, "hi")
        assert api.texts(42) == ["hi"]
        await bot.session.close()

Updates pushed with :meth:`FakeBotAPI.push_update` are served by ``getUpdates``
(offset / timeout long-poll semantics) or, once ``setWebhook`` was called,
posted to the webhook with its secret header.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import socket
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_rules import (
    BLOCKABLE_METHODS,
    MESSAGE_METHODS,
    ApiError,
    Failure,
    SentCall,
    coerce_params,
)
from tests.fakes.telegram_state import TelegramState

DEFAULT_TOKEN = "123456:TEST-token_for-the-fake-bot-api"


class FakeBotAPI:
    """A Bot API server on 127.0.0.1 and a random port, with Telegram's limits."""

    def __init__(
        self,
        *,
        token: str | None = None,
        global_rate: int | None = 30,
        global_window: float = 1.0,
        per_chat_rate: float | None = 1.0,
        per_chat_burst: int = 3,
        group_per_minute: int | None = 20,
        limited_methods: Iterable[str] = MESSAGE_METHODS,
        latency: float = 0.0,
    ) -> None:
        #: Only this token is accepted (401 otherwise); ``None`` accepts any well-formed one.
        self.token = token
        #: At most ``global_rate`` limited calls in any rolling ``global_window`` seconds.
        self.global_rate = global_rate
        self.global_window = global_window
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self.group_per_minute = group_per_minute
        self.limited_methods = frozenset(limited_methods)
        #: Seconds every reply is held back, to model the round trip to Telegram.
        self.latency = latency
        #: Chats whose person blocked the bot: 403 "Forbidden: bot was blocked by the user".
        self.blocked: set[int] = set()
        #: Chats that never talked to the bot: 400 "Bad Request: chat not found".
        self.missing_chats: set[int] = set()
        #: Every request but getUpdates, in arrival order, with the status it got.
        self.requests: list[SentCall] = []
        self.state = TelegramState(bot_id=int((token or DEFAULT_TOKEN).split(":")[0]))
        self.webhook_deliveries: list[int] = []
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._updates: list[dict] = []
        self._new_update = asyncio.Event()
        self._webhook_queue: asyncio.Queue[dict] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self._global_window: deque[float] = deque()
        self._buckets: dict[int | str, tuple[float, float]] = {}
        self._group_windows: dict[int | str, deque[float]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.base_url = ""

    # Life cycle ------------------------------------------------------------------
    async def start(self) -> str:
        """Serve on a fresh loopback port; returns the base URL for ``TelegramAPIServer``."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def make_bot(self, token: str | None = None) -> Any:
        """An aiogram ``Bot`` whose session talks to this server (close its session after)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(token or self.token or DEFAULT_TOKEN, session=session)

    # What tests arrange ------------------------------------------------------------
    def push_update(self, update: dict) -> None:
        """Queue an update for ``getUpdates`` (or the webhook, when one is set)."""
        self.state.remember_incoming(update)
        if self.state.webhook_url:
            self._webhook_queue.put_nowait(update)
            if self._webhook_task is None or self._webhook_task.done():
                self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())
            return
        self._updates.append(update)
        self._new_update.set()

    def fail_next(
        self,
        method: str,
        status: int = 502,
        times: int = 1,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        html: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (429: ``retry_after``).

        ``html=True`` answers an nginx-style HTML page instead of JSON, as a
        Telegram front end does when it is down.
        """
        for _ in range(times):
            self._failures[method.lower()].append(
                Failure(status=status, retry_after=retry_after, description=description, html=html)
            )

    def disconnect_next(self, method: str, times: int = 1, *, after_accept: bool = False) -> None:
        """Drop the connection on the next calls; ``after_accept`` performs the call first
        (the reply is lost, the message was sent — the case that makes retries duplicate)."""
        for _ in range(times):
            self._failures[method.lower()].append(
                Failure(status=0, disconnect=True, after_accept=after_accept)
            )

    # What tests inspect ------------------------------------------------------------
    @property
    def sent(self) -> list[SentCall]:
        """Calls Telegram accepted (2xx), getUpdates excluded."""
        return [call for call in self.requests if call.status == 200]

    def calls(self, method: str) -> list[SentCall]:
        return [call for call in self.sent if call.method.lower() == method.lower()]

    def texts(self, chat_id: int | str) -> list[str]:
        """Texts of the messages sent to ``chat_id``, in arrival order."""
        return [
            str(call.params.get("text"))
            for call in self.calls("sendMessage")
            if call.chat_id == chat_id
        ]

    @property
    def too_many_requests(self) -> int:
        """How many 429 replies were given."""
        return sum(1 for call in self.requests if call.status == 429)

    def max_in_window(
        self, window: float = 1.0, *, chat_id: int | str | None = None,
        methods: Iterable[str] | None = None,
    ) -> int:
        """The most accepted calls seen inside any rolling ``window`` seconds."""
        wanted = frozenset(methods) if methods is not None else self.limited_methods
        times = sorted(
            call.at
            for call in self.sent
            if call.method in wanted and (chat_id is None or call.chat_id == chat_id)
        )
        best = 0
        for i, start in enumerate(times):
            best = max(best, bisect.bisect_left(times, start + window, lo=i) - i)
        return best

    # The server --------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = self.state.canonical(request.match_info["method"])
        params = coerce_params(await _read_params(request))
        if method == "getUpdates":
            return await self._get_updates(token, params)
        call = SentCall(method=method, params=params, status=0, at=time.monotonic())
        self.requests.append(call)
        pending = self._failures[method.lower()]
        failure = pending.popleft() if pending else None
        if failure is not None and failure.disconnect and not failure.after_accept:
            call.status = 499
            return _drop(request)
        try:
            if failure is not None and not failure.disconnect:
                failure.raise_for(method)
            result = self._dispatch(token, method, params, call)
        except ApiError as error:
            call.status = error.status
            if error.limit is not None:
                call.extra["limit"] = error.limit
            return error.response()
        if failure is not None:  # a disconnect after the work was done
            call.status = 200
            return _drop(request)
        call.status = 200
        if self.latency:
            await asyncio.sleep(self.latency)
        return web.json_response({"ok": True, "result": result})

    def _dispatch(self, token: str, method: str, params: dict[str, Any], call: SentCall) -> Any:
        self._check_token(token)
        if method not in self.state.handlers:
            raise ApiError(404, "Not Found")
        chat_id = params.get("chat_id")
        if method in BLOCKABLE_METHODS and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing_chats:
            raise ApiError(400, "Bad Request: chat not found")
        self.state.validate(method, params)
        if method in self.limited_methods and chat_id is not None:
            self._take_rate(chat_id, call.at)
        result = self.state.handlers[method](params)
        if isinstance(result, dict) and "message_id" in result:
            call.message_id = result["message_id"]
        return result

    def _check_token(self, token: str) -> None:
        left, _, right = token.partition(":")
        if not left.isdigit() or not right or (self.token is not None and token != self.token):
            raise ApiError(401, "Unauthorized")

    def _take_rate(self, chat_id: int | str, now: float) -> None:
        """Telegram's limits: refuse with 429 or count the call (nothing awaits in between)."""
        window = self._global_window
        while window and window[0] <= now - self.global_window:
            window.popleft()
        if self.global_rate is not None and len(window) >= self.global_rate:
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1, limit="global")
        if isinstance(chat_id, int) and chat_id < 0:
            if self.group_per_minute is not None:
                group = self._group_windows[chat_id]
                while group and group[0] <= now - 60.0:
                    group.popleft()
                if len(group) >= self.group_per_minute:
                    wait = max(1, math.ceil(60.0 - (now - group[0])))
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait,
                                   limit="group")
                group.append(now)
        elif self.per_chat_rate is not None:
            tokens, last = self._buckets.get(chat_id, (float(self.per_chat_burst), now))
            tokens = min(float(self.per_chat_burst), tokens + (now - last) * self.per_chat_rate)
            if tokens < 1.0:
                wait = max(1, math.ceil((1.0 - tokens) / self.per_chat_rate))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait,
                               limit="chat")
            self._buckets[chat_id] = (tokens - 1.0, now)
        window.append(now)

    async def _get_updates(self, token: str, params: dict[str, Any]) -> web.StreamResponse:
        try:
            self._check_token(token)
            if self.state.webhook_url:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
        except ApiError as error:
            return error.response()
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = _int(params.get("limit"), 100)
        timeout = _int(params.get("timeout"), 0)
        deadline = asyncio.get_running_loop().time() + min(max(timeout, 0), 50)
        while not self._updates and not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                break
        return web.json_response({"ok": True, "result": self._updates[: max(1, min(limit, 100))]})

    async def _deliver(self) -> None:
        """Post queued updates to the webhook one at a time, as Telegram does."""
        async with aiohttp.ClientSession() as session:
            while not self._webhook_queue.empty():
                update = self._webhook_queue.get_nowait()
                headers = {}
                if self.state.webhook_secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.state.webhook_secret
                try:
                    async with session.post(
                        self.state.webhook_url, json=update, headers=headers
                    ) as resp:
                        await resp.read()
                        self.webhook_deliveries.append(resp.status)
                except aiohttp.ClientError:
                    self.webhook_deliveries.append(0)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer: the client sees a network error."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)


__all__ = ["DEFAULT_TOKEN", "FakeBotAPI", "SentCall"]
