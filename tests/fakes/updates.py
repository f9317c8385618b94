"""Builders of Telegram ``Update`` objects, in the Bot API's exact JSON shape.

Tests feed them to :class:`tests.fakes.bot_api.FakeBotAPI` (served by
``getUpdates`` or posted to the webhook) or straight to
``Dispatcher.feed_update``. Only what aiogram requires is filled in, plus the
fields our handlers read (``language_code``, chat type); everything else is
optional in Telegram too.
"""

from __future__ import annotations

import time
from typing import Any

BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Hotline Test",
    "username": "hotline_test_bot",
}


def make_user(user_id: int, *, language_code: str | None = "ru", first_name: str = "Test") -> dict:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def make_chat(chat_id: int, chat_type: str = "private", *, is_forum: bool = False) -> dict:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Test"
    else:
        chat["title"] = "Advisors"
        if is_forum:
            chat["is_forum"] = True
    return chat


def make_message(
    chat_id: int,
    *,
    message_id: int = 1,
    user_id: int | None = None,
    language_code: str | None = "ru",
    chat_type: str = "private",
    message_thread_id: int | None = None,
    date: int | None = None,
    **content: Any,
) -> dict:
    """A Message sent by a person; ``content`` holds text/photo/sticker/... fields."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": date if date is not None else int(time.time()),
        "chat": make_chat(chat_id, chat_type, is_forum=message_thread_id is not None),
        "from": make_user(
            user_id if user_id is not None else abs(chat_id), language_code=language_code
        ),
    }
    if message_thread_id is not None:
        message["message_thread_id"] = message_thread_id
        message["is_topic_message"] = True
    message.update(content)
    return message


def make_message_update(
    update_id: int,
    chat_id: int,
    text: str,
    *,
    message_id: int | None = None,
    user_id: int | None = None,
    language_code: str | None = "ru",
    chat_type: str = "private",
    message_thread_id: int | None = None,
) -> dict:
    """A person's text message; commands get the ``bot_command`` entity Telegram adds."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {
        "update_id": update_id,
        "message": make_message(
            chat_id,
            message_id=message_id if message_id is not None else update_id,
            user_id=user_id,
            language_code=language_code,
            chat_type=chat_type,
            message_thread_id=message_thread_id,
            **content,
        ),
    }


def make_callback_update(
    update_id: int,
    chat_id: int,
    data: str,
    *,
    message_id: int = 1,
    callback_id: str | None = None,
    user_id: int | None = None,
    language_code: str | None = "ru",
    message_text: str = "…",
    chat_type: str = "private",
) -> dict:
    """A button press on one of the bot's messages (``chat_instance`` is required by aiogram)."""
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": make_chat(chat_id, chat_type),
        "from": BOT_USER,
        "text": message_text,
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id if callback_id is not None else f"cb{update_id}",
            "from": make_user(user_id if user_id is not None else abs(chat_id),
                              language_code=language_code),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        },
    }


def _file(kind: str, update_id: int) -> dict[str, Any]:
    return {"file_id": f"{kind}-{update_id}", "file_unique_id": f"u{kind}{update_id}"}


def _media_update(update_id: int, chat_id: int, language_code: str | None, **content: Any) -> dict:
    return {
        "update_id": update_id,
        "message": make_message(
            chat_id, message_id=update_id, language_code=language_code, **content
        ),
    }


def make_photo_update(
    update_id: int, chat_id: int, *, caption: str | None = None, language_code: str | None = "ru"
) -> dict:
    sizes = [
        {**_file("photo", update_id), "width": w, "height": w, "file_size": w * 40}
        for w in (90, 320, 800)
    ]
    extra = {"caption": caption} if caption is not None else {}
    return _media_update(update_id, chat_id, language_code, photo=sizes, **extra)


def make_sticker_update(
    update_id: int, chat_id: int, *, emoji: str = "👍", language_code: str | None = "ru"
) -> dict:
    sticker = {
        **_file("sticker", update_id),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return _media_update(update_id, chat_id, language_code, sticker=sticker)


def make_voice_update(
    update_id: int, chat_id: int, *, duration: int = 3, language_code: str | None = "ru"
) -> dict:
    voice = {**_file("voice", update_id), "duration": duration, "mime_type": "audio/ogg"}
    return _media_update(update_id, chat_id, language_code, voice=voice)


def make_document_update(
    update_id: int,
    chat_id: int,
    *,
    file_name: str = "summons.pdf",
    mime_type: str = "application/pdf",
    caption: str | None = None,
    language_code: str | None = "ru",
) -> dict:
    document = {**_file("document", update_id), "file_name": file_name, "mime_type": mime_type}
    extra = {"caption": caption} if caption is not None else {}
    return _media_update(update_id, chat_id, language_code, document=document, **extra)


def make_location_update(
    update_id: int,
    chat_id: int,
    *,
    latitude: float = 55.75,
    longitude: float = 37.62,
    language_code: str | None = "ru",
) -> dict:
    location = {"latitude": latitude, "longitude": longitude}
    return _media_update(update_id, chat_id, language_code, location=location)


def make_contact_update(
    update_id: int,
    chat_id: int,
    *,
    phone_number: str = "+79990000000",
    first_name: str = "Test",
    language_code: str | None = "ru",
) -> dict:
    contact = {"phone_number": phone_number, "first_name": first_name, "user_id": abs(chat_id)}
    return _media_update(update_id, chat_id, language_code, contact=contact)


def make_edited_message_update(
    update_id: int,
    chat_id: int,
    text: str,
    *,
    message_id: int = 1,
    language_code: str | None = "ru",
) -> dict:
    message = make_message(chat_id, message_id=message_id, language_code=language_code, text=text)
    message["edit_date"] = message["date"]
    return {"update_id": update_id, "edited_message": message}
