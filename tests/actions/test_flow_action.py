"""``action_hotline_flow`` over HTTP: flows started by intent, continued by buttons, forged taps."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from actions import codec
from actions.turn import STATE_SLOT, read_state
from flows.engine import Engine
from flows.outcome import (
    ButtonInput,
    Command,
    CommandInput,
    ConversationState,
    Outcome,
    TextInput,
    Understanding,
)
from flows.schema import Lang
from tests.actions.payloads import action_call, button_message, user_message

FLOW = "action_hotline_flow"


async def run(client: httpx.AsyncClient, call: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/webhook", json=call)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"events", "responses"}
    return body


def slot(body: dict[str, Any], name: str) -> Any:
    values = [e["value"] for e in body["events"] if e["event"] == "slot" and e["name"] == name]
    assert len(values) == 1, body["events"]
    return values[0]


def expected(outcome: Outcome) -> list[tuple[str, list[tuple[str, str]]]]:
    """The responses the action server must send for ``outcome``: text, (title, payload)."""
    return [(r.text, [(b.label, codec.action_payload(b.action)) for b in r.buttons])
            for r in outcome.replies]


def said(body: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(m["text"], [(b["title"], b["payload"]) for b in m["buttons"]])
            for m in body["responses"]]


def understood(intent: str, text: str) -> TextInput:
    return TextInput(text=text, understanding=Understanding(
        intent=intent, confidence=0.93, alternatives=[(intent, 0.93), ("out_of_scope", 0.07)]))


async def test_health_and_action_list(actions_client: httpx.AsyncClient) -> None:
    r = await actions_client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = await actions_client.get("/actions")
    assert sorted(a["name"] for a in r.json()) == ["action_hotline_flow", "action_hotline_handoff"]


@pytest.mark.parametrize(("lang", "text", "metadata", "slots"), [
    (Lang.ru, "как уехать если загран ещё не готов", {}, {}),
    (Lang.en, "can I still cross into Finland by car", {"language": "en"}, {}),
    (Lang.en, "how do I leave", {}, {"language": "en-GB"}),
])
async def test_flow_started_by_intent(
    actions_client: httpx.AsyncClient, local_engine: Engine, lang: Lang, text: str,
    metadata: dict[str, str], slots: dict[str, str],
) -> None:
    latest = user_message(text, intent="leave_country", metadata=metadata)
    body = await run(actions_client, action_call(FLOW, latest, slots=slots))

    outcome = local_engine.handle(ConversationState(lang=lang), understood("leave_country", text))
    assert said(body) == expected(outcome)
    assert body["responses"][0]["buttons"][0]["payload"] == \
        '/hotline_button{"hotline_action":"o:leave_country:summons_check:0"}'
    state = read_state(slot(body, STATE_SLOT))
    assert state == outcome.state and state.lang is lang
    assert state.position is not None and state.position.flow == "leave_country"


async def test_button_continues_the_flow(
    actions_client: httpx.AsyncClient, local_engine: Engine,
) -> None:
    first = await run(actions_client, action_call(
        FLOW, user_message("как уехать", intent="leave_country")))
    state_json = slot(first, STATE_SLOT)
    tapped = first["responses"][0]["buttons"][2]  # "No" — no summons yet
    code = json.loads(tapped["payload"].removeprefix("/hotline_button"))["hotline_action"]

    body = await run(actions_client, action_call(
        FLOW, button_message(code), slots={STATE_SLOT: state_json}))

    action = codec.decode(code)
    assert not isinstance(action, codec.LanguageChoice)
    outcome = local_engine.handle(read_state(state_json), ButtonInput(action=action))
    assert not outcome.misunderstood
    assert said(body) == expected(outcome)
    assert read_state(slot(body, STATE_SLOT)) == outcome.state


async def test_button_read_from_the_text_when_rasa_drops_the_entity(
    actions_client: httpx.AsyncClient, local_engine: Engine,
) -> None:
    first = await run(actions_client, action_call(
        FLOW, user_message("how to leave", intent="leave_country", metadata={"lang": "en"})))
    state_json = slot(first, STATE_SLOT)
    payload = first["responses"][0]["buttons"][0]["payload"]
    latest = user_message(payload, intent="hotline_button", confidence=1.0,
                          metadata={"lang": "en"})

    body = await run(actions_client, action_call(FLOW, latest, slots={STATE_SLOT: state_json}))

    action = codec.decode("o:leave_country:summons_check:0")
    assert not isinstance(action, codec.LanguageChoice)
    outcome = local_engine.handle(read_state(state_json), ButtonInput(action=action))
    assert said(body) == expected(outcome) and not outcome.misunderstood


@pytest.mark.parametrize("code", [
    "o:leave_country:summons_check:7",  # an option the step does not have
    "o:leave_country:elsewhere:0",  # a step the person is not at
    "n:leave_country:summons_check",  # "next" under a choice
    "o:leave_country:summons_check:-1",
    "z:leave_country",
    "o:../../etc/passwd",
    "o:" + "a" * 500,
    "",
])
async def test_forged_or_stale_payload_gets_a_polite_answer(
    actions_client: httpx.AsyncClient, local_engine: Engine, code: str,
) -> None:
    first = await run(actions_client, action_call(
        FLOW, user_message("как уехать", intent="leave_country")))
    state_json = slot(first, STATE_SLOT)

    body = await run(actions_client, action_call(
        FLOW, button_message(code), slots={STATE_SLOT: state_json}))

    state = read_state(state_json)
    repeat = local_engine.handle(state, ButtonInput(action=codec.decode("o")))  # shown nowhere
    assert repeat.misunderstood
    assert said(body) == expected(repeat)
    assert body["responses"][0]["text"].startswith("Пожалуйста, выберите")
    assert read_state(slot(body, STATE_SLOT)).position == state.position


@pytest.mark.parametrize("garbage", [
    "not json", '{"lang": "xx"}', json.dumps({"position": {"flow": 1}}), 12, ["a"], "x" * 40_000,
])
async def test_unreadable_state_slot_starts_afresh(
    actions_client: httpx.AsyncClient, local_engine: Engine, garbage: Any,
) -> None:
    body = await run(actions_client, action_call(
        FLOW, user_message("hi", intent="greet"), slots={STATE_SLOT: garbage}))
    outcome = local_engine.handle(ConversationState(), understood("greet", "hi"))
    assert said(body) == expected(outcome)


async def test_free_text_answers_a_question_mid_flow(
    actions_client: httpx.AsyncClient, local_engine: Engine, published: Any,
) -> None:
    # Find a question step in the content and stand on it.
    found = [(f.id, sid) for f in published.flows for sid, s in f.steps.items()
             if s.type == "question"]
    if not found:
        pytest.skip("the default pack has no question step")
    flow_id, step_id = found[0]
    state = ConversationState.model_validate({"lang": "en",
                                              "position": {"flow": flow_id, "step": step_id}})
    latest = user_message("Kazakhstan, since March", intent="out_of_scope", confidence=0.4,
                          metadata={"language": "en"})
    body = await run(actions_client, action_call(
        FLOW, latest, slots={STATE_SLOT: state.model_dump_json()}))
    outcome = local_engine.handle(state, TextInput(
        text="Kazakhstan, since March", understanding=Understanding(
            intent="out_of_scope", confidence=0.4,
            alternatives=[("out_of_scope", 0.4), ("out_of_scope", 0.6)])))
    assert said(body) == expected(outcome)
    assert read_state(slot(body, STATE_SLOT)).slots == outcome.state.slots != {}


async def test_unknown_intent_offers_the_menu(
    actions_client: httpx.AsyncClient, local_engine: Engine,
) -> None:
    body = await run(actions_client, action_call(
        FLOW, user_message("what's the weather", intent="nlu_fallback",
                           metadata={"language": "de"})))
    outcome = local_engine.handle(ConversationState(lang=Lang.de),
                                  understood("nlu_fallback", "what's the weather"))
    assert outcome.misunderstood and said(body) == expected(outcome)


async def test_language_buttons_switch_the_language(
    actions_client: httpx.AsyncClient, local_engine: Engine,
) -> None:
    body = await run(actions_client, action_call(
        FLOW, user_message("язык", intent="change_language")))
    payloads = [b["payload"] for b in body["responses"][0]["buttons"]]
    assert payloads[:5] == [codec.language_payload(lang) for lang in
                            (Lang.ru, Lang.uk, Lang.be, Lang.en, Lang.de)]

    body = await run(actions_client, action_call(
        FLOW, button_message("l:de"), slots={STATE_SLOT: slot(body, STATE_SLOT)}))
    assert slot(body, "language") == "de"
    assert read_state(slot(body, STATE_SLOT)).lang is Lang.de
    menu = local_engine.handle(ConversationState(lang=Lang.de), CommandInput(command=Command.menu))
    assert said(body) == expected(menu)


async def test_language_slot_is_left_alone_when_the_domain_has_none(
    actions_client: httpx.AsyncClient,
) -> None:
    body = await run(actions_client, action_call(
        FLOW, button_message("l:uk"), language_slot=False))
    assert [e["name"] for e in body["events"]] == [STATE_SLOT]
    assert read_state(slot(body, STATE_SLOT)).lang is Lang.uk
