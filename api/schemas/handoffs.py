"""Handoff request: the entry point the Rasa actions (and staff) use to reach an advisor."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.schemas.common import Input, Output, SafeText
from flows.schema import Identifier, Lang, Priority

#: A pseudonymous conversation id (never a Telegram id).
ConversationId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,128}$")]


class HandoffCreate(Input):
    conversation: ConversationId
    language: Lang
    intent: Identifier | None = None
    reason: Annotated[SafeText, Field(min_length=1, max_length=200)]
    priority: Priority = Priority.normal


class HandoffAccepted(Output):
    ticket_id: str
