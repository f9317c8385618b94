"""What people send: free text understood or not, forged and stale buttons, back, menu, a person."""

from __future__ import annotations

import pytest

from flows.outcome import Action, ActionKind, ButtonInput, Command, Outcome, Position
from flows.schema import Priority
from tests.flows.test_engine_packs import (
    actions,
    cmd,
    engine,
    flow_docs,
    labels,
    leave,
    press,
    say,
    state,
    summons,
    texts,
    urgent,
)

MENU = ["en:Leaving", "en:Summons", "en:Chain", "en:Danger", "en:A person"]
INTRO = Position(flow="leave", step="intro")
DEADLINE = Position(flow="summons", step="deadline")
CHOOSE_AGAIN = ["en:Borders", "en:Where I am", "en:Summons"]


# free text -------------------------------------------------------------------


def test_confident_text_at_the_menu_starts_its_flow_and_records_the_intent() -> None:
    out = engine().handle(state(), say("got a summons", "summons"))
    assert texts(out) == ["en:A summons...", "en:Is there a deadline?"]
    assert out.intent == "summons" and out.state.position == DEADLINE
    assert not out.misunderstood


def test_confident_text_mid_flow_is_a_new_question_and_back_returns() -> None:
    eng = engine()
    out = eng.handle(state("leave", "intro"), say("got a summons", "summons"))
    assert out.state.position == DEADLINE and out.state.history == [INTRO]
    assert labels(out)[-3:] == ["en:back", "en:main_menu", "en:talk_to_human"]
    back = eng.handle(out.state, cmd(Command.back))
    assert texts(back) == ["en:What do you want to know?"] and back.state.position == INTRO
    assert back.state.history == []


def test_uncertain_text_offers_the_two_best_flows() -> None:
    alternatives = [("summons", 0.41), ("legal_risks", 0.3), ("summons", 0.2),
                    ("leave_country", 0.19), ("urgent_danger", 0.1)]
    at = state("leave", "intro")
    out = engine().handle(at, say("?", "summons", uncertain=True, alternatives=alternatives))
    assert texts(out) == ["en:which_one"]
    assert actions(out)[:2] == [Action(kind=ActionKind.flow, flow="summons"),
                                Action(kind=ActionKind.flow, flow="leave")]
    assert labels(out) == ["en:Summons", "en:Leaving", "en:main_menu", "en:talk_to_human"]
    assert out.state == at and out.intent is None and not out.misunderstood


def test_uncertain_text_with_one_candidate_at_a_choice_asks_to_choose_again() -> None:
    at = state("leave", "intro")
    out = engine().handle(at, say("?", "summons", uncertain=True,
                                  alternatives=[("summons", 0.4), ("legal_risks", 0.3)]))
    assert texts(out) == ["en:repeat_step"]
    assert labels(out) == [*CHOOSE_AGAIN, "en:main_menu", "en:talk_to_human"]
    assert out.misunderstood and out.state == at


@pytest.mark.parametrize("inp", [
    say("asdf"),
    say("what is the weather", "weather"),
    say("?", "summons", uncertain=True),
    say("x" * 4096, "legal_risks"),
    say(""),
])
def test_text_nobody_can_place_at_the_menu_gets_not_understood_and_the_menu(inp) -> None:
    out = engine().handle(state(), inp)
    assert texts(out) == ["en:not_understood"] and labels(out) == MENU
    assert out.misunderstood and out.state.position is None and out.handoff is None


def test_asking_for_a_person_in_words_queues_at_once_and_offers_the_triage() -> None:
    eng = engine()
    out = eng.handle(state("leave", "intro"), say("a human please", "talk_to_human"))
    assert out.handoff is not None
    assert out.handoff.model_dump() == {"priority": Priority.normal,
                                        "reason": "asked for a person",
                                        "flow": "talk_to_human", "intent": "talk_to_human"}
    assert texts(out) == ["en:I'll get a person. Urgent?"] and out.intent == "talk_to_human"
    assert out.state.position == Position(flow="talk_to_human", step="triage")
    queued = eng.handle(out.state, press(ActionKind.option, "talk_to_human", "triage", 1))
    assert texts(queued) == ["en:Queued."] and queued.handoff is not None
    assert queued.state.position is None


@pytest.mark.parametrize(("intent", "priority"), [("urgent_danger", Priority.urgent),
                                                  ("serving_soldier", Priority.urgent),
                                                  ("talk_to_human", Priority.normal)])
def test_intents_that_need_a_person_reach_one_even_without_their_flow(intent, priority) -> None:
    out = engine(leave()).handle(state("leave", "intro"), say("help", intent))
    assert out.handoff is not None and out.handoff.priority is priority
    assert out.handoff.intent == intent and out.intent == intent
    assert texts(out) == ["en:menu_prompt"] and out.state.history == [INTRO]


def test_urgent_danger_in_words_starts_its_flow_with_an_urgent_handoff() -> None:
    out = engine().handle(state(), say("police at the door", "urgent_danger"))
    assert out.handoff is not None and out.handoff.priority is Priority.urgent
    assert out.handoff.intent == "urgent_danger" and out.intent == "urgent_danger"


# buttons ---------------------------------------------------------------------


FORGED = [
    Action(kind=ActionKind.option, flow="leave", step="intro", index=-1),
    Action(kind=ActionKind.option, flow="leave", step="intro", index=3),
    Action(kind=ActionKind.option, flow="leave", step="intro", index=999),
    Action(kind=ActionKind.option, flow="leave", step="intro"),
    Action(kind=ActionKind.option, flow="summons", step="deadline", index=0),
    Action(kind=ActionKind.option, flow="leave", step="facts", index=0),
    Action(kind=ActionKind.option, flow="leave", step="nowhere", index=0),
    Action(kind=ActionKind.option, flow="nowhere", step="intro", index=0),
    Action(kind=ActionKind.option, index=0),
    Action(kind=ActionKind.flow, flow="nowhere"),
    Action(kind=ActionKind.flow),
    Action(kind=ActionKind.flow, flow="summons", step="deadline"),
    Action(kind=ActionKind.flow, flow="summons", index=0),
    Action(kind=ActionKind.next, flow="leave", step="intro"),
    Action(kind=ActionKind.next, flow="leave", step="after"),
    Action(kind=ActionKind.next),
    Action(kind=ActionKind.back, flow="leave"),
    Action(kind=ActionKind.menu, step="intro"),
    Action(kind=ActionKind.human, index=0),
]


@pytest.mark.parametrize("action", FORGED, ids=lambda a: a.model_dump_json(exclude_none=True))
def test_a_forged_or_stale_button_at_a_choice_asks_to_choose_again(action: Action) -> None:
    at = state("leave", "intro", history=[DEADLINE])
    out = engine().handle(at, ButtonInput(action=action))
    assert out.misunderstood and out.state == at and out.handoff is None
    assert texts(out) == ["en:repeat_step"]
    assert labels(out) == [*CHOOSE_AGAIN, "en:back", "en:main_menu", "en:talk_to_human"]


@pytest.mark.parametrize("action", FORGED, ids=lambda a: a.model_dump_json(exclude_none=True))
def test_a_forged_or_stale_button_at_the_menu_gets_the_menu(action: Action) -> None:
    out = engine().handle(state(), ButtonInput(action=action))
    assert out.misunderstood and out.state == state() and out.handoff is None
    assert texts(out) == ["en:not_understood"] and labels(out) == MENU


def test_a_stale_button_after_a_question_reasks_the_question() -> None:
    at = state("leave", "ask")
    out = engine().handle(at, press(ActionKind.option, "leave", "intro", 0))
    assert out.misunderstood and out.state == at and texts(out) == ["en:Where are you?"]


def test_a_state_left_over_from_an_older_pack_falls_back_to_the_menu() -> None:
    old = state("gone", "step", history=[Position(flow="gone", step="x"), INTRO])
    eng = engine()
    out = eng.handle(old, press(ActionKind.option, "gone", "step", 0))
    assert out.misunderstood and out.state.position is None
    assert texts(eng.handle(old, say("hm"))) == ["en:not_understood"]
    back = eng.handle(old.model_copy(update={"history": [INTRO, Position(flow="gone", step="x")]}),
                      cmd(Command.back))
    assert back.state.position == INTRO and back.state.history == []


def test_the_menu_lists_a_person_itself_when_no_flow_there_leads_to_one() -> None:
    out = engine(leave(), summons()).handle(state(), cmd(Command.menu))
    assert labels(out) == ["en:Leaving", "en:Summons", "en:talk_to_human"]


# back, menu, a person --------------------------------------------------------


WAITING = [("leave", "intro"), ("leave", "ask"), ("summons", "deadline"),
           ("talk_to_human", "triage"), ("chain", "m7")]
NAV = [(Command.back, ActionKind.back), (Command.menu, ActionKind.menu),
       (Command.human, ActionKind.human)]


@pytest.mark.parametrize(("flow", "step"), WAITING)
@pytest.mark.parametrize(("command", "kind"), NAV, ids=lambda x: str(x))
def test_navigation_from_every_waiting_step(flow, step, command, kind) -> None:
    eng = engine()
    at = state(flow, step, history=[INTRO])
    by_command, by_button = eng.handle(at, cmd(command)), eng.handle(at, press(kind))
    assert by_command == by_button
    out: Outcome = by_command
    assert out.replies and not out.misunderstood
    if command is Command.back:
        assert out.state.position == INTRO and out.state.history == []
        assert texts(out) == ["en:What do you want to know?"] and "en:back" not in labels(out)
    elif command is Command.menu:
        assert out.state.position is None and labels(out) == [*MENU, "en:back"]
        assert out.state.history == [INTRO] + ([at.position] if at.position != INTRO else [])
    else:
        assert out.handoff is not None and out.handoff.reason == "asked for a person"
        assert out.handoff.priority is Priority.normal
        assert out.state.position == Position(flow="talk_to_human", step="triage")


def test_back_without_history_shows_the_menu() -> None:
    out = engine().handle(state("leave", "intro"), cmd(Command.back))
    assert texts(out) == ["en:menu_prompt"] and out.state.position is None
    assert "en:back" not in labels(out)


def test_back_after_an_answer_returns_to_the_choice_that_led_there() -> None:
    eng = engine()
    answered = eng.handle(state("leave", "intro"), press(ActionKind.option, "leave", "intro", 0))
    assert answered.state.position is None
    back = eng.handle(answered.state, press(ActionKind.back))
    assert back.state.position == INTRO and texts(back) == ["en:What do you want to know?"]


def test_history_is_bounded_and_does_not_repeat_a_step() -> None:
    eng = engine(*flow_docs())
    current = state()
    for _ in range(30):
        current = eng.handle(current, press(ActionKind.flow, "leave")).state
        current = eng.handle(current, press(ActionKind.flow, "summons")).state
    assert len(current.history) == 20
    assert all(a != b for a, b in zip(current.history, current.history[1:], strict=False))
    again = eng.handle(current, press(ActionKind.flow, "summons"))
    assert again.state.history == current.history
    first = eng.handle(state(), press(ActionKind.flow, "summons"))
    restarted = eng.handle(first.state, press(ActionKind.flow, "summons"))
    assert restarted.state.history == [] and "en:back" not in labels(restarted)


def test_asking_for_a_person_without_a_flow_for_it_still_queues() -> None:
    out = engine(leave(), urgent()).handle(state("leave", "intro"), cmd(Command.human))
    assert out.handoff is not None
    assert (out.handoff.flow, out.handoff.intent) == (None, "talk_to_human")
    assert texts(out) == ["en:menu_prompt"] and out.state.position is None
