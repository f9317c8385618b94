"""Transcript schema family: a person's recorded messages, text still sealed."""

from __future__ import annotations

import datetime as dt

from api.models import ConversationStatus
from api.schemas.common import Output


class TranscriptMessage(Output):
    event_id: str
    direction: str
    at: dt.datetime
    language: str | None
    intent: str | None
    #: AES-GCM sealed by the bot (purpose "text", context = the pseudonym); opened by the reader.
    text_sealed: str | None
    protected: bool


class Transcript(Output):
    pseudonym: str
    channel: str
    language: str | None
    intents: list[str]
    status: ConversationStatus
    started_at: dt.datetime
    last_event_at: dt.datetime
    messages: list[TranscriptMessage]
