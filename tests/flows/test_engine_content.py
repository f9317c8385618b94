"""Every default flow, walked through every button in every language, with the real content.

The walker presses every option and "next" button it is shown, answers every
question once per branch of the conditions on its slot (and once for none), and
tries back, menu and a person at every step that waits. Every reply must be
non-empty and fit in a Telegram message; every factual step reachable in the
flow must have been shown with its dated footer; every handoff step reachable
must have queued its request.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

import flows
from flows.engine import Engine
from flows.graph import reachable
from flows.outcome import (
    Action,
    ActionKind,
    ButtonInput,
    Command,
    CommandInput,
    ConversationState,
    Input,
    Outcome,
    Position,
    TextInput,
    Understanding,
)
from flows.packio import load_pack, load_pack_dir
from flows.problems import PackInvalid
from flows.render import Renderer, SpeakingStep, format_date
from flows.schema import (
    TELEGRAM_TEXT_LIMIT,
    ChoiceStep,
    ConditionStep,
    Flow,
    HandoffStep,
    Lang,
    Pack,
    PackManifest,
    QuestionStep,
)
from flows.texts import render_footer, text_length

CONTENT = Path(flows.__file__).parent / "content"
FLOW_IDS = sorted(p.stem for p in CONTENT.glob("*.yaml") if p.name != "pack.yaml")
#: A walk that needs more turns than this is going round in circles.
MAX_TURNS = 2000
NO_FLOWS = pytest.mark.skip(reason=f"{CONTENT} holds no flows yet")


@cache
def content() -> Pack:
    """The default pack; if it does not validate (yet), its flows as they parse, to walk anyway."""
    try:
        return load_pack(CONTENT)
    except PackInvalid:
        files = load_pack_dir(CONTENT)
        assert files.manifest is not None, "flows/content has no readable pack.yaml"
        parsed = []
        for _, raw in files.flows:
            try:
                parsed.append(Flow.model_validate(raw))
            except ValueError:
                continue
        return Pack(manifest=PackManifest.model_validate(files.manifest), flows=parsed)


def flow_params() -> list[Any]:
    return FLOW_IDS or [pytest.param("none", marks=NO_FLOWS)]


def check(out: Outcome, where: str) -> None:
    assert out.replies, f"{where}: no reply"
    assert not out.misunderstood, f"{where}: a button the engine showed was refused"
    for reply in out.replies:
        assert reply.text.strip(), f"{where}: an empty reply"
        assert text_length(reply.text) <= TELEGRAM_TEXT_LIMIT, f"{where}: a reply too long"
        assert all(b.label.strip() for b in reply.buttons), f"{where}: a button without a label"


def answers(pack: Pack, slot: str) -> list[str]:
    """One value per branch of any condition on ``slot``, in upper case, and one nobody expects."""
    found = {"something nobody expects"}
    for flow in pack.flows:
        for step in flow.steps.values():
            if isinstance(step, ConditionStep) and step.slot == slot:
                found |= {f"  {b.values[-1].upper()} " for b in step.branches}
    return sorted(found)


class Walked:
    """Everything one exploration saw."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.positions: set[Position] = set()


def explore(pack: Pack, flow_id: str, lang: Lang) -> Walked:
    eng = Engine(pack)
    seen: set[tuple[Position | None, tuple[tuple[str, str], ...]]] = set()
    walked = Walked()
    first = eng.handle(ConversationState(lang=lang),
                       ButtonInput(action=Action(kind=ActionKind.flow, flow=flow_id)))
    todo = [(first, f"{flow_id}/{lang.value}: start")]
    while todo:
        assert len(walked.outcomes) < MAX_TURNS, "the walk does not end"
        out, where = todo.pop()
        check(out, where)
        walked.outcomes.append(out)
        state = out.state
        key = (state.position, tuple(sorted(state.slots.items())))
        if key in seen:
            continue
        seen.add(key)
        nexts: list[tuple[Input, str]] = [
            (ButtonInput(action=b.action), f"{where} > {b.label}")
            for r in out.replies for b in r.buttons
            if b.action.kind in (ActionKind.option, ActionKind.next)
        ]
        position = state.position
        step = None if position is None else pack_step(pack, position)
        if isinstance(step, QuestionStep):
            nexts += [(TextInput(text=a), f"{where} > {a!r}") for a in answers(pack, step.slot)]
        if position is not None and isinstance(step, ChoiceStep | QuestionStep):
            walked.positions.add(position)
            for command in Command:
                if command is not Command.start:
                    check(eng.handle(state, CommandInput(command=command)), f"{where} /{command}")
        todo += [(eng.handle(state, inp), label) for inp, label in nexts]
    return walked


def pack_step(pack: Pack, position: Position) -> object:
    flow = next(f for f in pack.flows if f.id == position.flow)
    return flow.steps[position.step]


@pytest.mark.parametrize("lang", list(Lang))
@pytest.mark.parametrize("flow_id", flow_params())
def test_every_button_of_every_flow_in_every_language(flow_id: str, lang: Lang) -> None:
    pack = content()
    flow = next((f for f in pack.flows if f.id == flow_id), None)
    if flow is None:
        pytest.skip(f"{flow_id}.yaml does not parse as a flow (yet)")
    walked = explore(pack, flow_id, lang)
    chain = pack.manifest.chain(lang)
    shown = [r.text for o in walked.outcomes for r in o.replies]
    handoffs = {(o.handoff.flow, o.handoff.reason, o.handoff.priority)
                for o in walked.outcomes if o.handoff is not None}
    as_of = pack.manifest.ui["as_of"].resolve(lang, chain)
    disclaimer = pack.manifest.ui["disclaimer"].resolve(lang, chain)
    for sid in sorted(reachable(flow.start, flow.steps)):
        step = flow.steps[sid]
        if isinstance(step, ChoiceStep | QuestionStep):
            assert Position(flow=flow_id, step=sid) in walked.positions, f"{sid} never asked"
        if isinstance(step, HandoffStep):
            assert (flow_id, step.reason, step.priority) in handoffs, f"{sid} queued nothing"
        if isinstance(step, SpeakingStep) and step.factual and step.text is not None:
            text = step.text.resolve(lang, chain).strip()
            mine = [s for s in shown if s.startswith(text)]
            assert mine, f"{sid}: its text was never shown"
            assert step.as_of is not None
            dated = as_of.format(date=format_date(step.as_of, lang))
            assert all(dated in s and disclaimer in s for s in mine), f"{sid}: no footer"


@pytest.mark.parametrize("flow_id", flow_params())
def test_every_intent_of_every_flow_starts_it_from_free_text(flow_id: str) -> None:
    pack = content()
    flow = next((f for f in pack.flows if f.id == flow_id), None)
    if flow is None or not flow.intents:
        pytest.skip(f"{flow_id} has no intents (or does not parse yet)")
    eng = Engine(pack)
    for intent in flow.intents:
        understood = Understanding(intent=intent, confidence=0.95)
        out = eng.handle(ConversationState(), TextInput(text="…", understanding=understood))
        check(out, intent)
        assert out.intent == intent
        direct = eng.handle(ConversationState(),
                            ButtonInput(action=Action(kind=ActionKind.flow, flow=flow_id)))
        assert out.replies == direct.replies


@pytest.mark.skipif(not FLOW_IDS, reason=f"{CONTENT} holds no flows yet")
@pytest.mark.parametrize("lang", list(Lang))
def test_start_greets_and_shows_the_menu_in_every_language(lang: Lang) -> None:
    out = Engine(content()).handle(ConversationState(lang=lang),
                                   CommandInput(command=Command.start))
    check(out, "/start")
    assert out.replies[-1].buttons, "no menu after the greeting"
    assert all(b.action.kind in (ActionKind.flow, ActionKind.human)
               for b in out.replies[-1].buttons)


@pytest.mark.skipif(not FLOW_IDS, reason=f"{CONTENT} holds no flows yet")
def test_the_footer_sent_is_as_long_as_the_footer_the_validator_measured() -> None:
    pack = content()
    render = Renderer(pack.manifest)
    compared = 0
    for flow in pack.flows:
        for step in flow.steps.values():
            if not isinstance(step, SpeakingStep) or not step.factual:
                continue
            for lang in Lang:
                ui = {k: pack.manifest.ui[k].resolve(lang, pack.manifest.chain(lang))
                      for k in ("as_of", "sources", "disclaimer")}
                measured = render_footer(as_of=step.as_of, sources=step.sources,
                                         as_of_template=ui["as_of"],
                                         sources_template=ui["sources"],
                                         disclaimer=ui["disclaimer"])
                assert text_length(render.footer(step, lang)) == text_length(measured)
                compared += 1
    assert compared > 0, "the default pack has no factual step"
