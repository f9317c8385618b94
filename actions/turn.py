"""Reading one Rasa turn: the person's state, language and input, in the engine's terms.

The tracker comes from the Rasa server, but what is in it came from a person:
slots can be set by entities, payloads typed by hand, metadata filled by a
channel. So every piece is parsed on its own and anything malformed is treated
as absent — a broken piece costs the person their place in a flow at worst,
never an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from rasa_sdk import Tracker

from actions import codec
from flows.outcome import (
    Action,
    ActionKind,
    ButtonInput,
    ConversationState,
    Input,
    TextInput,
    Understanding,
)
from flows.schema import Lang

log = logging.getLogger(__name__)

#: The engine's state, as JSON text (a Rasa ``text`` slot that does not influence the policy).
STATE_SLOT: Final = "hotline_state"
#: The ticket id of the last handoff, or None when it could not be opened.
HANDOFF_SLOT: Final = "hotline_handoff"
#: The Rasa assistant's own language slot, read and (when it is in the domain) written.
LANGUAGE_SLOT: Final = "language"
#: Metadata keys a channel may use for the language of a message, in order.
LANGUAGE_METADATA: Final = ("language", "lang")
#: A state slot bigger than this is not ours (the engine's state is a few hundred bytes).
MAX_STATE_CHARS: Final = 32_000
#: An action pinned to no step was shown nowhere: the engine answers it as a stale tap.
STALE_TAP: Final = Action(kind=ActionKind.option)


_M = TypeVar("_M", bound=BaseModel)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Intent(_Loose):
    name: str | None = None
    confidence: float | None = None


class _Entity(_Loose):
    entity: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class Turn:
    """What one call of an action needs to know about the person's last message."""

    state: ConversationState
    lang: Lang
    intent: str | None
    confidence: float
    ranking: list[tuple[str, float]]
    text: str
    #: True when the message was a tap on one of our buttons (or pretends to be).
    tapped: bool
    #: The decoded tap; None for a forged one (and for text).
    tap: Action | codec.LanguageChoice | None
    #: Rasa's id of the message, to make retried handoffs idempotent.
    message_id: str | None

    def engine_input(self) -> Input:
        """The input for the engine: the tap, or the text with Rasa's reading of it."""
        if self.tapped:
            action = self.tap if isinstance(self.tap, Action) else STALE_TAP
            return ButtonInput(action=action)
        understanding = None
        if self.intent:
            understanding = Understanding(
                intent=self.intent, confidence=self.confidence, alternatives=self.ranking,
            )
        return TextInput(text=self.text, understanding=understanding)


def read_turn(tracker: Tracker) -> Turn:
    """The turn in ``tracker``: everything parsed defensively, nothing raised."""
    latest: dict[str, Any] = tracker.latest_message if isinstance(tracker.latest_message,
                                                                  dict) else {}
    state = read_state(tracker.slots.get(STATE_SLOT) if isinstance(tracker.slots, dict) else None)
    intent = _parse(_Intent, latest.get("intent")) or _Intent()
    name = intent.name if intent.name and len(intent.name) <= 200 else None
    raw_text = latest.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    entities = _entities(latest.get("entities"))
    tapped = name == codec.BUTTON_INTENT or text.lstrip().startswith("/" + codec.BUTTON_INTENT)
    tap: Action | codec.LanguageChoice | None = None
    if tapped:
        code = entities.get(codec.BUTTON_ENTITY, codec.code_from_text(text))
        try:
            tap = codec.decode(code)
        except codec.ForgedPayload:
            log.info("forged or stale button payload")
    lang = _language(latest.get("metadata"), tracker.slots, state)
    message_id = latest.get("message_id")
    return Turn(
        state=state.model_copy(update={"lang": lang}),
        lang=lang,
        intent=None if tapped else name,
        confidence=_unit(intent.confidence),
        ranking=_ranking(latest.get("intent_ranking")),
        text=text,
        tapped=tapped,
        tap=tap,
        message_id=message_id if isinstance(message_id, str) and len(message_id) <= 200 else None,
    )


def read_state(raw: Any) -> ConversationState:
    """The engine state kept in the slot; a fresh one when it is missing or not ours."""
    if raw is None:
        return ConversationState()
    try:
        if isinstance(raw, str) and len(raw) <= MAX_STATE_CHARS:
            return ConversationState.model_validate_json(raw)
        if isinstance(raw, dict):
            return ConversationState.model_validate(raw)
    except ValidationError:
        pass
    log.info("state slot unreadable; starting afresh")
    return ConversationState()


def dump_state(state: ConversationState) -> str:
    return state.model_dump_json(exclude_defaults=True)


def parse_lang(value: Any) -> Lang | None:
    """``ru``, ``ru-RU``, ``RU`` or ``ru_RU`` as a language we speak; None otherwise."""
    if not isinstance(value, str) or not 2 <= len(value) <= 16:
        return None
    code = value.replace("_", "-").split("-", 1)[0].strip().lower()
    try:
        return Lang(code)
    except ValueError:
        return None


def _language(metadata: Any, slots: Any, state: ConversationState) -> Lang:
    """The message's metadata, else the assistant's language slot, else what we had (ru)."""
    if isinstance(metadata, dict):
        for key in LANGUAGE_METADATA:
            lang = parse_lang(metadata.get(key))
            if lang is not None:
                return lang
    if isinstance(slots, dict):
        lang = parse_lang(slots.get(LANGUAGE_SLOT))
        if lang is not None:
            return lang
    return state.lang


def _parse(model: type[_M], raw: Any) -> _M | None:
    try:
        return model.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


def _entities(raw: Any) -> dict[str, Any]:
    """Entity name → first value, skipping malformed entries."""
    found: dict[str, Any] = {}
    for item in raw if isinstance(raw, list) else []:
        entity = _parse(_Entity, item)
        if entity is not None:
            found.setdefault(entity.entity, entity.value)
    return found


def _ranking(raw: Any) -> list[tuple[str, float]]:
    ranked = []
    for item in raw[:10] if isinstance(raw, list) else []:
        intent = _parse(_Intent, item)
        if intent is not None and intent.name and len(intent.name) <= 200:
            ranked.append((intent.name, _unit(intent.confidence)))
    return ranked


def _unit(value: float | None) -> float:
    """A confidence within [0, 1]; Rasa's (or a forger's) out-of-range values are clamped."""
    if value is None or value != value:  # None or NaN
        return 1.0
    return min(max(value, 0.0), 1.0)
