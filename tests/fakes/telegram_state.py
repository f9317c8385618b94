"""What the fake Telegram remembers — messages, webhook, commands, topics — and its methods.

Each handler takes the decoded parameters and returns the ``result`` Telegram
would, or raises :class:`ApiError` with Telegram's own description, so aiogram
parses the reply exactly as it would parse Telegram's.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from tests.fakes.telegram_rules import ApiError

MAX_TEXT = 4096
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "code", "pre", "blockquote", "tg-emoji"}
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class _TelegramHtml(HTMLParser):
    """Telegram's HTML parse mode: a handful of tags, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.plain: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS and self.error is None:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if (not self.stack or self.stack[-1] != tag) and self.error is None:
            self.error = f'Can\'t find end tag corresponding to start tag "{tag}"'
        elif self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def visible_text(text: str, parse_mode: Any) -> str:
    """The text as shown (entities stripped), or 400 if Telegram could not parse it."""
    if parse_mode != "HTML":
        return text
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error is not None:
        raise ApiError(400, f"Bad Request: can't parse entities: {parser.error}")
    return "".join(parser.plain)


class TelegramState:
    """The bot's side of Telegram: its messages per chat and its settings."""

    def __init__(self, *, bot_id: int) -> None:
        self.bot_user = {
            "id": bot_id, "is_bot": True, "first_name": "Hotline Test",
            "username": "hotline_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
        }
        #: chat id → message id → the message as Telegram holds it (bot's and people's).
        self.messages: dict[int | str, dict[int, dict]] = defaultdict(dict)
        self._next_id: dict[int | str, int] = defaultdict(int)
        self.webhook_url = ""
        self.webhook_secret = ""
        #: (scope JSON, language code) → commands.
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.topics: dict[int | str, list[dict]] = defaultdict(list)
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: self.bot_user,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._needs("callback_query_id"),
            "sendChatAction": self._needs("chat_id", "action"),
            "setMyCommands": self._set_commands,
            "getMyCommands": lambda p: self.commands.get(_scope(p), []),
            "deleteMyCommands": self._delete_commands,
            "setMyDescription": lambda p: True,
            "setMyShortDescription": lambda p: True,
            "setChatMenuButton": lambda p: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "getChat": self._get_chat,
            "createForumTopic": self._create_topic,
            "close": lambda p: True,
        }
        self._canonical = {name.lower(): name for name in [*self.handlers, "getUpdates"]}

    def canonical(self, method: str) -> str:
        """Telegram's method names are case-insensitive."""
        return self._canonical.get(method.lower(), method)

    def remember_incoming(self, update: dict) -> None:
        message = update.get("message") or update.get("edited_message")
        if isinstance(message, dict) and "chat" in message:
            chat_id = message["chat"]["id"]
            self.messages[chat_id][message["message_id"]] = message
            self._next_id[chat_id] = max(self._next_id[chat_id], message["message_id"])

    def validate(self, method: str, params: dict[str, Any]) -> None:
        if method in {"sendMessage", "editMessageText"}:
            text = params.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if len(visible_text(text, params.get("parse_mode"))) > MAX_TEXT:
                raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])

    # Handlers ------------------------------------------------------------------------
    def _needs(self, *names: str) -> Callable[[dict[str, Any]], bool]:
        def handler(params: dict[str, Any]) -> bool:
            for name in names:
                if params.get(name) in (None, ""):
                    raise ApiError(400, f"Bad Request: {name} is empty")
            return True

        return handler

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        return {"id": chat_id, "type": "supergroup", "title": "Advisors", "is_forum": True}

    def _send_message(self, params: dict[str, Any]) -> dict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        self._next_id[chat_id] += 1
        message: dict[str, Any] = {
            "message_id": self._next_id[chat_id],
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            "text": params["text"],
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if isinstance(params.get("message_thread_id"), int):
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        self.messages[chat_id][message["message_id"]] = message
        return message

    def _find(self, params: dict[str, Any], missing: str) -> dict:
        message = self.messages.get(params.get("chat_id", ""), {}).get(params.get("message_id", 0))
        if message is None:
            raise ApiError(400, f"Bad Request: message to {missing} not found")
        return message

    def _edit_text(self, params: dict[str, Any]) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._find(params, "edit")
        markup = params.get("reply_markup")
        if message.get("text") == params["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = params["text"]
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return message

    def _edit_markup(self, params: dict[str, Any]) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._find(params, "edit")
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        _set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return message

    def _delete_message(self, params: dict[str, Any]) -> bool:
        self._find(params, "delete")
        del self.messages[params["chat_id"]][params["message_id"]]
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: message_ids must be a list of 1-100 identifiers")
        chat = self.messages.get(params.get("chat_id", ""), {})
        for message_id in ids:
            chat.pop(message_id, None)  # Telegram skips the ones it cannot find
        return True

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        self.commands[_scope(params)] = commands
        return True

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_scope(params), None)
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url") or "")
        self.webhook_secret = str(params.get("secret_token") or "")
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = ""
        return True

    def _webhook_info(self, params: dict[str, Any]) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": 0}

    def _get_chat(self, params: dict[str, Any]) -> dict:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                 "premium_subscription": False, "gifts_from_channels": False}
        return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    def _create_topic(self, params: dict[str, Any]) -> dict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id > 0:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        if not isinstance(params.get("name"), str) or not params["name"]:
            raise ApiError(400, "Bad Request: name is empty")
        self._next_id[chat_id] += 1
        topic = {"message_thread_id": self._next_id[chat_id], "name": params["name"],
                 "icon_color": int(params.get("icon_color", 7322096))}
        self.topics[chat_id].append(topic)
        return topic


def _scope(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return (str(sorted(scope.items())) if isinstance(scope, dict) else str(scope),
            str(params.get("language_code") or ""))


def _set_markup(message: dict, markup: Any) -> None:
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


_BUTTON_ACTIONS = ("callback_data", "url", "switch_inline_query", "web_app", "login_url",
                   "switch_inline_query_current_chat", "copy_text", "pay", "callback_game")


def _check_inline_keyboard(rows: Any) -> None:
    """Telegram's checks on inline buttons, including the 64-byte callback data limit."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                            "must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                    "Can't find field \"text\"")
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                    "Text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if isinstance(data, str) and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
