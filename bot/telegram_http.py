"""The sender's line to Telegram: a JSON body out, the JSON answer read back, nothing more.

aiogram's ``Bot`` is right for the update side (typed objects, webhook
replies, answerCallbackQuery), but for the sender its price is out of
proportion to the job: it builds a pydantic method object, turns it into a
multipart form, and validates Telegram's echo of the whole message into
pydantic models — about 1.5 ms of CPU per message with a keyboard, where a
JSON POST through aiohttp and ``json.loads`` of the answer cost about 0.5 ms
(bench/bot_pipeline.py puts the sender in the same process as the updates).
The sender only needs to know whether Telegram took the message, its
``message_id``, and what an error means, so that is all this module reads.

Telegram accepts JSON bodies for every method; the URL is aiogram's own
:class:`TelegramAPIServer` template, so ``TELEGRAM_API_URL`` means the same
here as for the Bot. The token is part of the URL and never appears in a
returned error text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer

#: Seconds for one call (connect, send, answer); Telegram answers sends in well under one.
DEFAULT_TIMEOUT = 30.0
_JSON = {"Content-Type": "application/json"}


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
    """The call did not get an answer (connection refused or dropped, timeout)."""


class TelegramHttp:
    """POSTs to one Bot API server with one token over a keep-alive connection pool."""

    def __init__(self, token: str, server: TelegramAPIServer, *,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._token = token
        self._server = server
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, str] = {}

    @classmethod
    def for_bot(cls, bot: Bot) -> TelegramHttp:
        """The same server and token as ``bot`` (and its timeout, when it has a number)."""
        timeout = bot.session.timeout
        return cls(bot.token, bot.session.api,
                   timeout=float(timeout) if isinstance(timeout, int | float) else DEFAULT_TIMEOUT)

    async def call(self, method: str, payload: dict[str, Any]) -> Answer:
        """One API call; raises :class:`NetworkFailure` when no answer came back."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            async with self._open().post(self._url(method), data=body, headers=_JSON) as reply:
                content = await reply.read()
                status = reply.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise NetworkFailure(self._redact(f"{type(error).__name__}: {error}")) from None
        try:
            decoded = json.loads(content)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            return Answer(status, None, raw=self._redact(content[:200].decode("utf-8", "replace")))
        return Answer(status, decoded)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        """The session, made on first use (inside the running loop, as aiohttp wants)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar(),
                connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
            )
        return self._session

    def _url(self, method: str) -> str:
        url = self._urls.get(method)
        if url is None:
            url = self._urls[method] = self._server.api_url(self._token, method)
        return url

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")[:300]

