"""One outbox message to Telegram, and what Telegram's answer means for it.

The sender decides what to do next from a :class:`Delivery` alone: record it
as sent, wait as told (429), mark the chat blocked (403), retry later (5xx,
network, a front end's HTML error page), or give up and dead-letter it (a
request Telegram will never accept). The call goes out as JSON through
bot/telegram_http.py; :func:`classify` reads the answer the way aiogram's
session does (the same status codes mean the same things). Error texts kept
for the dead letter never contain message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from pydantic import ValidationError

from bot.memo import MISSING, IdentityMemo, Memo
from bot.outbox_store import SenderStore
from bot.telegram_http import Answer, NetworkFailure, TelegramHttp
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

    A malformed keyboard is a producer's bug: it is dead-lettered here as
    "invalid" rather than sent. The same few keyboards (menus, language,
    privacy) go out again and again, so checked ones are kept by their
    ``repr`` (a few µs; the canonical JSON this used to take was ~5 % of the
    sender's CPU) instead of validated anew (~50 µs); a bad one raises every
    time. Entries come from ``from_json``, so equal keyboards have equal
    reprs; one written in another key order is only checked once more.
    """
    known = _SEEN.get(raw)
    if known is not MISSING:  # the same dict: a copy of a parsed body (bot/outbox_store.py)
        return known
    key = repr(raw)
    checked = _CHECKED.get(key)
    if checked is None:
        checked = _CHECKED.put(key, _validate_markup(raw))
    return _SEEN.put(checked, raw)


#: Checked keyboards by repr; the models are only read, never changed.
_CHECKED: Memo[str, Any] = Memo(512)
#: The same, by the identity of the dict itself (bot/memo.py): messages copied from one
#: parsed body share its keyboard, so most checks need neither a repr nor a validation.
_SEEN: IdentityMemo[Any] = IdentityMemo(512)


def _validate_markup(raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ValueError("reply_markup is not a JSON object")
    for key, model in _MARKUPS.items():
        if key in raw:
            return model.model_validate(raw)
    raise ValueError("reply_markup is none of Telegram's four keyboard kinds")


def build_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON body of the call; raises ValueError (pydantic's too) on a bad reply_markup.

    Optional fields are sent only when set, so Telegram's defaults apply otherwise.
    """
    method = message.method
    args: dict[str, Any] = {"chat_id": message.chat_id}
    if method not in {"sendMessage", "editMessageText", "editMessageReplyMarkup",
                      "deleteMessage", "deleteMessages"}:
        raise ValueError(f"no single Telegram call for {method}")
    if message.reply_markup is not None:
        parse_markup(message.reply_markup)  # checked here, sent as the producer wrote it
        args["reply_markup"] = message.reply_markup
    if method in {"sendMessage", "editMessageText"}:
        args["text"] = message.text or ""
        if message.parse_mode is not None:
            args["parse_mode"] = message.parse_mode
        if message.disable_link_preview:
            args["link_preview_options"] = {"is_disabled": True}
    if method in {"editMessageText", "editMessageReplyMarkup", "deleteMessage"}:
        if message.message_id is None:
            raise ValueError(f"{method} needs message_id")
        args["message_id"] = message.message_id
    if method == "sendMessage":
        if message.message_thread_id is not None:
            args["message_thread_id"] = message.message_thread_id
        if message.protect_content:
            args["protect_content"] = True
        if message.disable_notification:
            args["disable_notification"] = True
    if method == "deleteMessages":
        args["message_ids"] = message.message_ids  # OutgoingMessage requires them
    return args


def classify(method: str, answer: Answer) -> Delivery:
    """What Telegram's answer means for the message (aiogram's reading of status codes)."""
    if answer.body is None:  # an HTML error page from a front end, or garbage
        return Delivery("transient", reason="decode_error", error=answer.raw)
    if answer.ok:  # only a new message's id is kept (for /forget and delete-after)
        result = answer.result if method == "sendMessage" else None
        telegram_id = result.get("message_id") if isinstance(result, dict) else None
        readable = isinstance(telegram_id, int) and not isinstance(telegram_id, bool)
        return Delivery("sent", telegram_id=telegram_id if readable else None)
    status, description = answer.status, answer.description
    retry_after = answer.parameter("retry_after")
    if isinstance(retry_after, int | float) and not isinstance(retry_after, bool):
        return Delivery("retry_after", retry_after=float(retry_after), reason="429")
    if answer.parameter("migrate_to_chat_id") is not None:
        return Delivery("permanent", reason="migrated", error=description)
    if status == 400:
        if "message is not modified" in description:
            return Delivery("sent", reason="not_modified")
        if method in DELETE_METHODS:  # already gone, or older than 48 h
            return Delivery("skipped", reason="not_deletable", error=description)
        return Delivery("permanent", reason="bad_request", error=description)
    if status == 401:
        return Delivery("unauthorized", reason="unauthorized", error=description)
    if status == 403:
        return Delivery("blocked", reason="forbidden", error=description)
    if status == 413:
        return Delivery("permanent", reason="too_large", error=description)
    if status >= 500:
        return Delivery("transient", reason="server_error", error=description)
    return Delivery("permanent", reason=f"http_{status}", error=description)


async def deliver(http: TelegramHttp, message: OutgoingMessage, store: SenderStore) -> Delivery:
    """Make the call and classify the answer; never raises for Telegram's answers."""
    try:
        if message.method == "forgetChat":
            await store.forget_chat(message.chat_id)
            return Delivery("sent")
        if message.method == "deleteRecent":
            return await _delete_recent(http, message.chat_id, store)
        answer = await http.call(message.method, build_payload(message))
    except ValidationError as error:
        where = "; ".join(".".join(map(str, e["loc"])) + ": " + e["type"] for e in error.errors())
        return Delivery("permanent", reason="invalid", error=where)
    except ValueError as error:
        return Delivery("permanent", reason="invalid", error=str(error))
    except NetworkFailure as error:
        return Delivery("transient", reason="network", error=str(error))
    result = classify(message.method, answer)
    if message.method in {"deleteMessage", "deleteMessages"} and result.kind in {"sent", "skipped"}:
        ids = message.message_ids or ([message.message_id] if message.message_id else [])
        await store.forget_messages(message.chat_id, ids)
    return result


async def _delete_recent(http: TelegramHttp, chat_id: int, store: SenderStore) -> Delivery:
    """Delete the bot's messages of the last 48 h in the chat, 100 per call."""
    ids = await store.recent_message_ids(chat_id)
    for start in range(0, len(ids), 100):
        answer = await http.call("deleteMessages",
                                 {"chat_id": chat_id, "message_ids": ids[start:start + 100]})
        outcome = classify("deleteMessages", answer)
        if outcome.kind not in {"sent", "skipped"}:
            return outcome
    await store.forget_messages(chat_id, ids)
    return Delivery("sent")
