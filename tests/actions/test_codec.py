"""Button codes: every engine action survives the round trip; anything else is forged."""

from __future__ import annotations

import json

import pytest

from actions import codec
from actions.turn import parse_lang, read_state
from flows.engine import Engine
from flows.outcome import Action, ActionKind, ConversationState
from flows.schema import Lang, Pack


def shown_actions(pack: Pack) -> list[Action]:
    """Every action a button of the default pack can carry."""
    engine = Engine(pack)
    actions = [Action(kind=k) for k in (ActionKind.back, ActionKind.menu, ActionKind.human)]
    for flow in pack.flows:
        actions.append(Action(kind=ActionKind.flow, flow=flow.id))
        for step_id, step in flow.steps.items():
            for i in range(len(getattr(step, "options", []))):
                actions.append(Action(kind=ActionKind.option, flow=flow.id, step=step_id, index=i))
            actions.append(Action(kind=ActionKind.next, flow=flow.id, step=step_id))
    assert engine.flow_for("greet")
    return actions


def test_every_action_round_trips(default_pack: Pack) -> None:
    for action in shown_actions(default_pack):
        code = codec.encode(action)
        assert codec.decode(code) == action
        payload = codec.action_payload(action)
        assert payload.startswith("/hotline_button{")
        assert codec.code_from_text(payload) == code
        assert json.loads(payload.removeprefix("/hotline_button")) == {"hotline_action": code}


def test_language_codes() -> None:
    for lang in Lang:
        code = codec.code_from_text(codec.language_payload(lang))
        assert codec.decode(code) == codec.LanguageChoice(lang)


@pytest.mark.parametrize("code", [
    None, 7, ["o"], "", "x", "o:", "o:Flow", "o:flow:step:", "o:flow:step:100",
    "o:flow:step:01", "o:flow:step:1:2", "l:fr", "l:", "m:" + "a" * 65, "o:flow\n",
    "o:flow:step:1 ", " m", "o:" + "a" * 200, "o:flow;drop", "ф",
])
def test_forged_codes_are_refused(code: object) -> None:
    with pytest.raises(codec.ForgedPayload):
        codec.decode(code)


@pytest.mark.parametrize("text", [
    None, "", "hello", "/hotline_button", "/hotline_button{", '/hotline_button{"x":1}',
    '/hotline_button{"hotline_action":5}', '/hotline_button["a"]', "/greet{}",
    '/hotline_button{"hotline_action":"' + "a" * 1000 + '"}',
])
def test_text_without_a_code(text: str | None) -> None:
    assert codec.code_from_text(text) is None


@pytest.mark.parametrize(("value", "lang"), [
    ("ru", Lang.ru), ("RU", Lang.ru), ("uk-UA", Lang.uk), ("be_BY", Lang.be), ("de-AT", Lang.de),
    ("fr", None), ("", None), (None, None), (3, None), ("en" * 20, None), ("x-ru", None),
])
def test_language_codes_from_channels(value: object, lang: Lang | None) -> None:
    assert parse_lang(value) is lang


def test_state_slot_accepts_json_or_mapping() -> None:
    state = ConversationState.model_validate(
        {"lang": "be", "position": {"flow": "summons", "step": "start"}})
    assert read_state(state.model_dump_json()) == state
    assert read_state(state.model_dump()) == state
    assert read_state({"lang": "xx"}) == ConversationState()
