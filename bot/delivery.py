"""One outbox message to Telegram through aiogram, and what Telegram's answer means for it.

The sender decides what to do next from a :class:`Delivery` alone: record it
as sent, wait as told (429), mark the chat blocked (403), retry later (5xx,
network, a front end's HTML error page), or give up and dead-letter it (a
request Telegram will never accept). Error descriptions kept for the dead
letter never contain message text: pydantic errors are reduced to their paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    DeleteMessage,
    DeleteMessages,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from pydantic import ValidationError

from bot.outbox_store import SenderStore
from handoff.outbox import OutgoingMessage

DELETE_METHODS = frozenset({"deleteMessage", "deleteMessages", "deleteRecent"})

Kind = Literal["sent", "retry_after", "blocked", "transient", "permanent", "skipped",
               "unauthorized"]


@dataclass(frozen=True, slots=True)
class Delivery:
    kind: Kind
    telegram_id: int | None = None
    #: Seconds Telegram asked us to wait (429).
    retry_after: float = 0.0
    #: Short machine-readable cause for logs and dead letters.
    reason: str = ""
    error: str = ""


_MARKUPS: dict[str, type[Any]] = {
    "inline_keyboard": InlineKeyboardMarkup,
    "keyboard": ReplyKeyboardMarkup,
    "remove_keyboard": ReplyKeyboardRemove,
    "force_reply": ForceReply,
}


def parse_markup(raw: dict[str, Any]) -> Any:
    """The reply_markup as aiogram's type, checked before Telegram sees it.

    aiogram sends a dict as is; a malformed keyboard would then be sent and
    only its echo would fail to parse — looking like a network error and
    being retried. The same few keyboards (menus, language, privacy) go out
    again and again, so checked ones are kept by their canonical JSON (~10 µs)
    instead of validated anew (~50 µs); a bad one raises every time.
    """
    try:
        canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    except TypeError as error:  # only JSON reaches the sender; a producer's bug otherwise
        raise ValueError("reply_markup is not JSON") from error
    return _parse_markup_json(canonical)


@lru_cache(maxsize=512)
def _parse_markup_json(canonical: str) -> Any:
    """Cached by value: the models are only read (serialised) by aiogram, never changed."""
    raw = json.loads(canonical)
    for key, model in _MARKUPS.items():
        if key in raw:
            return model.model_validate(raw)
    raise ValueError("reply_markup is none of Telegram's four keyboard kinds")


def build_call(message: OutgoingMessage) -> TelegramMethod[Any]:
    """The aiogram method object; raises ValueError (pydantic's too) on a bad reply_markup.

    Optional fields are passed only when set, so the Bot's defaults apply otherwise.
    """
    args: dict[str, Any] = {"chat_id": message.chat_id}
    if message.reply_markup is not None:
        args["reply_markup"] = parse_markup(message.reply_markup)
    if message.method in {"sendMessage", "editMessageText"}:
        args["text"] = message.text or ""
        if message.parse_mode is not None:
            args["parse_mode"] = message.parse_mode
        if message.disable_link_preview:
            args["link_preview_options"] = LinkPreviewOptions(is_disabled=True)
    if message.method in {"editMessageText", "editMessageReplyMarkup", "deleteMessage"}:
        if message.message_id is None:
            raise ValueError(f"{message.method} needs message_id")
        args["message_id"] = message.message_id
    if message.method == "sendMessage":
        if message.message_thread_id is not None:
            args["message_thread_id"] = message.message_thread_id
        if message.protect_content:
            args["protect_content"] = True
        if message.disable_notification:
            args["disable_notification"] = True
        return SendMessage(**args)
    if message.method == "editMessageText":
        return EditMessageText(**args)
    if message.method == "editMessageReplyMarkup":
        return EditMessageReplyMarkup(**args)
    if message.method == "deleteMessage":
        return DeleteMessage(**args)
    if message.method == "deleteMessages":
        return DeleteMessages(**args, message_ids=message.message_ids or [])
    raise ValueError(f"no single Telegram call for {message.method}")


async def deliver(bot: Bot, message: OutgoingMessage, store: SenderStore) -> Delivery:
    """Make the call and classify the answer; never raises for Telegram's answers."""
    try:
        telegram_id = await _call(bot, message, store)
    except TelegramRetryAfter as error:
        return Delivery("retry_after", retry_after=float(error.retry_after), reason="429")
    except TelegramForbiddenError as error:
        return Delivery("blocked", reason="forbidden", error=error.message)
    except TelegramUnauthorizedError as error:
        return Delivery("unauthorized", reason="unauthorized", error=error.message)
    except TelegramEntityTooLarge as error:
        return Delivery("permanent", reason="too_large", error=error.message)
    except TelegramBadRequest as error:
        if "message is not modified" in error.message:
            return Delivery("sent", reason="not_modified")
        if message.method in DELETE_METHODS:  # already gone, or older than 48 h
            return Delivery("skipped", reason="not_deletable", error=error.message)
        return Delivery("permanent", reason="bad_request", error=error.message)
    except (TelegramServerError, TelegramNetworkError) as error:
        return Delivery("transient", reason=type(error).__name__, error=error.message)
    except ClientDecodeError as error:  # an HTML error page from a front end
        return Delivery("transient", reason="decode_error", error=str(error.original)[:200])
    except TelegramAPIError as error:
        return Delivery("permanent", reason=type(error).__name__, error=error.message)
    except ValidationError as error:
        where = "; ".join(".".join(map(str, e["loc"])) + ": " + e["type"] for e in error.errors())
        return Delivery("permanent", reason="invalid", error=where)
    except ValueError as error:
        return Delivery("permanent", reason="invalid", error=str(error))
    return Delivery("sent", telegram_id=telegram_id)


async def _call(bot: Bot, message: OutgoingMessage, store: SenderStore) -> int | None:
    if message.method == "forgetChat":
        await store.forget_chat(message.chat_id)
        return None
    if message.method == "deleteRecent":
        ids = await store.recent_message_ids(message.chat_id)
        for start in range(0, len(ids), 100):
            await bot(DeleteMessages(chat_id=message.chat_id, message_ids=ids[start:start + 100]))
        await store.forget_messages(message.chat_id, ids)
        return None
    result = await bot(build_call(message))
    if message.method in {"deleteMessage", "deleteMessages"}:
        ids = message.message_ids or ([message.message_id] if message.message_id else [])
        await store.forget_messages(message.chat_id, ids)
    if isinstance(result, Message) and message.method == "sendMessage":
        return result.message_id
    return None
