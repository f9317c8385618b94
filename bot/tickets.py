"""Handoff tickets: the minimal request for a person, until the queue issue owns this contract.

XADDed to :data:`handoff.keys.HANDOFF_STREAM` as JSON in the field ``ticket``.
It names the conversation by pseudonym and carries the chat id only sealed
(purpose ``"chat"``, context = the pseudonym), so whoever reads the queue
can reach the person through the outbox without the id ever being stored in
the clear. A second ticket for a waiting conversation is a priority update.
(When the advisor queue lands, this model moves to ``handoff/`` so the api
can read it; ``bot`` and ``api`` never import each other.)
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from flows.schema import Lang, Priority
from hotline.crypto import DecryptionError, Sealer

FIELD = "ticket"
#: The Sealer purpose for chat ids (a key separate from message text).
CHAT_PURPOSE = "chat"


def open_chat(chat_sealer: Sealer, sealed: str | None, conversation: str) -> int | None:
    """The Telegram chat id a ticket carries sealed; None when absent or not openable."""
    if not sealed:
        return None
    try:
        return int(chat_sealer.open(sealed, context=conversation))
    except (DecryptionError, ValueError):
        return None


class HandoffTicket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    conversation: str
    channel: Literal["telegram", "web"] = "telegram"
    lang: Lang
    intent: str | None = None
    priority: Priority
    reason: str
    flow: str | None = None
    #: The sealed chat id; None for the web chat (the answer goes to the open window).
    chat: str | None = None
    #: True when this raises the priority of a conversation already waiting.
    update: bool = False
    at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def fields(self) -> dict[str, str]:
        return {FIELD: self.model_dump_json(exclude_none=True)}
