"""Action calls as the Rasa server sends them to ``/webhook`` (rasa 3.x, ``EventVerbosity.ALL``).

The tracker carries the whole session (session start, the user's messages,
earlier action runs), ``latest_message`` is the NLU parse of the last user
message, and the domain is the assistant's (ours merged in, from
``actions/domain.yml``). Built field by field, as Rasa does, so the tests post
what a real assistant posts.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rasa_sdk
import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "actions" / "domain.yml"
#: Rasa's major.minor must match rasa-sdk's, or rasa-sdk warns (an error under pytest).
RASA_VERSION = ".".join(rasa_sdk.__version__.split(".")[:2]) + ".0"
INTENTS = ["greet", "leave_country", "protection_status", "summons", "serving_soldier",
           "talk_to_human", "urgent_danger", "change_language", "goodbye_thanks",
           "out_of_scope", "nlu_fallback"]
_clock = itertools.count(1)


def domain(*, language_slot: bool = True) -> dict[str, Any]:
    """The assistant's domain as Rasa sends it: ours plus the assistant's own intents."""
    ours = yaml.safe_load(DOMAIN_FILE.read_text())
    slots = {name: {**spec, "initial_value": None} for name, spec in ours["slots"].items()}
    if not language_slot:
        slots.pop("language")
    return {
        "version": "3.1",
        "config": {"store_entities_as_slots": True},
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
        "intents": [{name: {"use_entities": True}} for name in INTENTS + ours["intents"]],
        "entities": ours["entities"],
        "slots": slots,
        "responses": {"utter_default": [{"text": "Sorry?"}]},
        "actions": ours["actions"],
        "forms": {},
        "e2e_actions": [],
    }


def _ts() -> float:
    return time.time() + next(_clock) / 1000


def user_message(
    text: str, *, intent: str | None, confidence: float = 0.93,
    entities: Sequence[Mapping[str, Any]] = (), metadata: Mapping[str, Any] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """``latest_message``: Rasa's parse data of one user message."""
    parsed: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": [dict(e) for e in entities],
        "message_id": message_id or uuid.uuid4().hex,
        "metadata": dict(metadata or {}),
        "intent_ranking": [{"name": intent, "confidence": confidence},
                           {"name": "out_of_scope", "confidence": round(1 - confidence, 3)}]
        if intent else [],
        "response_selector": {"all_retrieval_intents": [], "default": {
            "response": {"id": None, "responses": None, "response_templates": None,
                         "confidence": 0.0, "intent_response_key": None,
                         "utter_action": "utter_None", "template_name": "utter_None"},
            "ranking": []}},
    }
    return parsed


def button_message(code: str, **kwargs: Any) -> dict[str, Any]:
    """A tap on one of our buttons, as Rasa's regex handler parses its payload."""
    text = '/hotline_button{"hotline_action":"' + code + '"}'
    entity = {"entity": "hotline_action", "start": 15, "end": len(text) - 1, "value": code}
    return user_message(text, intent="hotline_button", confidence=1.0, entities=[entity],
                        **kwargs)


def action_call(
    action: str, latest: dict[str, Any], *, sender: str = "tg-502771234",
    slots: Mapping[str, Any] | None = None, language_slot: bool = True,
) -> dict[str, Any]:
    """The body Rasa posts to the action server's ``/webhook``."""
    dom = domain(language_slot=language_slot)
    all_slots: dict[str, Any] = {name: None for name in dom["slots"]}
    all_slots["session_started_metadata"] = None
    all_slots.update(slots or {})
    start = _ts()
    events: list[dict[str, Any]] = [
        {"event": "action", "timestamp": start, "name": "action_session_start",
         "policy": None, "confidence": 1.0, "action_text": None, "hide_rule_turn": False},
        {"event": "session_started", "timestamp": start},
        {"event": "action", "timestamp": start, "name": "action_listen", "policy": None,
         "confidence": None, "action_text": None, "hide_rule_turn": False},
    ]
    events += [{"event": "slot", "timestamp": start, "name": k, "value": v}
               for k, v in (slots or {}).items()]
    events.append({
        "event": "user", "timestamp": _ts(), "metadata": latest.get("metadata", {}),
        "text": latest.get("text"), "parse_data": latest, "input_channel": "rest",
        "message_id": latest.get("message_id"),
    })
    events.append({"event": "user_featurization", "timestamp": _ts(),
                   "use_text_for_featurization": False})
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": all_slots,
            "latest_message": latest,
            "latest_event_time": events[-1]["timestamp"],
            "followup_action": None,
            "paused": False,
            "stack": [],
            "events": events,
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": dom,
        "version": RASA_VERSION,
    }
