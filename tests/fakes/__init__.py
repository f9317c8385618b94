"""Fakes for the one thing tests may not run for real: Telegram.

``FakeBotAPI`` is a local Bot API server (aiohttp) with Telegram's limits and
failure modes; the ``make_*_update`` builders produce updates in Telegram's
JSON shape.
"""

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.telegram_rules import SentCall
from tests.fakes.updates import (
    make_callback_update,
    make_contact_update,
    make_document_update,
    make_edited_message_update,
    make_location_update,
    make_message_update,
    make_photo_update,
    make_sticker_update,
    make_voice_update,
)

__all__ = [
    "DEFAULT_TOKEN",
    "FakeBotAPI",
    "SentCall",
    "make_callback_update",
    "make_contact_update",
    "make_document_update",
    "make_edited_message_update",
    "make_location_update",
    "make_message_update",
    "make_photo_update",
    "make_sticker_update",
    "make_voice_update",
]
