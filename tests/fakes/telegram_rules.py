"""The Bot API's wire conventions the fake server follows: errors, parameters, records.

Kept apart from the server so the shapes Telegram answers with — and which
aiogram turns into ``TelegramRetryAfter``, ``TelegramForbiddenError``, … — are
written down once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: Methods that send a message: counted against Telegram's limits, refused to blocked chats.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendSticker", "sendVoice", "sendAudio",
        "sendVideo", "sendAnimation", "sendLocation", "sendContact", "sendMediaGroup",
        "copyMessage", "forwardMessage",
    }
)
EDIT_METHODS = frozenset({"editMessageText", "editMessageReplyMarkup"})
#: Methods a person who blocked the bot makes fail with 403.
BLOCKABLE_METHODS = MESSAGE_METHODS | EDIT_METHODS | {"sendChatAction"}

#: Parameters that are strings even when they look like JSON ("123", "true").
TEXT_FIELDS = frozenset(
    {
        "text", "caption", "callback_query_id", "url", "secret_token", "name", "title",
        "description", "short_description", "language_code", "parse_mode", "action",
        "inline_message_id", "emoji", "icon_custom_emoji_id", "business_connection_id",
    }
)

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """A Bot API error reply: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None,
                 html: bool = False, limit: str | None = None) -> None:
        super().__init__(description)
        #: Which of Telegram's limits refused the call ("global", "chat", "group"), if one did.
        self.limit = limit
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.html = html

    def response(self) -> web.Response:
        if self.html:
            page = f"<html><head><title>{self.status} {self.description}</title></head></html>"
            return web.Response(status=self.status, text=page, content_type="text/html")
        body: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


@dataclass
class Failure:
    """One injected failure, consumed by the next call of its method."""

    status: int
    retry_after: int | None = None
    description: str | None = None
    html: bool = False
    disconnect: bool = False
    after_accept: bool = False

    def raise_for(self, method: str) -> None:
        if self.disconnect:
            raise ApiError(499, "dropped")  # never reached: the server resets the connection
        if self.status == 429:
            wait = self.retry_after if self.retry_after is not None else 1
            raise ApiError(429, self.description or f"Too Many Requests: retry after {wait}",
                           retry_after=wait)
        raise ApiError(
            self.status,
            self.description or _REASONS.get(self.status, "Error"),
            retry_after=self.retry_after,
            html=self.html,
        )


@dataclass
class SentCall:
    """One request the fake received, with what it answered."""

    method: str
    params: dict[str, Any]
    status: int
    #: ``time.monotonic()`` at arrival: rate limits are judged on it.
    at: float
    message_id: int | None = None
    #: Notes on the answer, e.g. ``{"limit": "global"}`` for a 429.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        value = self.params.get("text")
        return value if isinstance(value, str) else None

    @property
    def reply_markup(self) -> dict | None:
        value = self.params.get("reply_markup")
        return value if isinstance(value, dict) else None

    @property
    def protect_content(self) -> bool:
        return self.params.get("protect_content") is True


def coerce_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Form fields arrive as strings; Telegram reads numbers, booleans and JSON objects in them."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in TEXT_FIELDS:
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value
            params[key] = value if isinstance(decoded, str) else decoded
        else:
            params[key] = value
    return params
