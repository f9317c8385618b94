"""Button payloads: an engine :class:`~flows.outcome.Action` as a Rasa button, and back.

A button travels as ``/hotline_button{"hotline_action":"o:leave_country:summons_check:2"}``:
Rasa's regex message handler turns that payload into the intent
``hotline_button`` with the entity ``hotline_action``, so no NLU model is
involved. The code is ``kind[:flow[:step[:index]]]`` with the engine's compact
kind letters, plus ``l:<lang>`` for the language buttons this channel adds.

Everything coming back is untrusted (a person can type any payload): decoding
is strict and raises :class:`ForgedPayload`, which the action answers as a
stale tap — politely, never with an exception.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from flows.outcome import Action, ActionKind
from flows.schema import Lang

BUTTON_INTENT: Final = "hotline_button"
BUTTON_ENTITY: Final = "hotline_action"
#: Longest code accepted: two 64-character identifiers, an index and separators.
MAX_CODE_CHARS: Final = 160
_LANGUAGE_KIND: Final = "l"
_IDENT = r"[a-z][a-z0-9_]{0,63}"
_CODE = re.compile(
    rf"(?P<kind>[{''.join(k.value for k in ActionKind)}])"
    rf"(?::(?P<flow>{_IDENT})(?::(?P<step>{_IDENT})(?::(?P<index>0|[1-9][0-9]?))?)?)?"
)
_LANGUAGE_CODE = re.compile(rf"{_LANGUAGE_KIND}:(?P<lang>{'|'.join(lang.value for lang in Lang)})")
_PAYLOAD = re.compile(rf"/{BUTTON_INTENT}(?P<json>\{{.*\}})", re.DOTALL)


class ForgedPayload(ValueError):
    """A button payload that this server did not (or could not have) produced."""


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """A tap on one of the language buttons shown with the change-language flow."""

    lang: Lang


def encode(action: Action) -> str:
    """The compact code of ``action``: its kind, then whichever of flow, step, index it pins."""
    parts = [action.kind.value]
    for value in (action.flow, action.step, action.index):
        if value is None:
            break
        parts.append(str(value))
    return ":".join(parts)


def payload(code: str) -> str:
    """A Rasa button payload carrying ``code`` as the ``hotline_action`` entity."""
    return f"/{BUTTON_INTENT}" + json.dumps({BUTTON_ENTITY: code}, separators=(",", ":"))


def action_payload(action: Action) -> str:
    return payload(encode(action))


def language_payload(lang: Lang) -> str:
    return payload(f"{_LANGUAGE_KIND}:{lang.value}")


def decode(code: Any) -> Action | LanguageChoice:
    """The action a code stands for; :class:`ForgedPayload` for anything else."""
    if not isinstance(code, str) or len(code) > MAX_CODE_CHARS:
        raise ForgedPayload("not a button code")
    language = _LANGUAGE_CODE.fullmatch(code)
    if language is not None:
        return LanguageChoice(Lang(language["lang"]))
    match = _CODE.fullmatch(code)
    if match is None:
        raise ForgedPayload("not a button code")
    index = match["index"]
    return Action(kind=ActionKind(match["kind"]), flow=match["flow"], step=match["step"],
                  index=None if index is None else int(index))


def code_from_text(text: str | None) -> str | None:
    """The code inside a raw ``/hotline_button{...}`` text, when Rasa left the entity out."""
    if not text or len(text) > MAX_CODE_CHARS + 64:
        return None
    match = _PAYLOAD.fullmatch(text.strip())
    if match is None:
        return None
    try:
        data = json.loads(match["json"])
    except ValueError:
        return None
    value = data.get(BUTTON_ENTITY) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
