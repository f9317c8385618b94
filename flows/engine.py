"""The conversation engine: (state, input) -> outcome, the same for every channel.

Pure and deterministic: no I/O, no clock, no randomness, so the Telegram bot,
the web chat and the Rasa actions behave alike and a turn can be replayed.
Everything a person sends is checked against the pack and their state —
buttons carry where they were shown, so a stale or forged tap gets a polite
"please choose again", never an exception.

Talking to a person is never more than one tap away, and asking for one (the
command, the button, the menu entry or the words) queues a handoff at once;
the talk-to-a-person flow is shown alongside, so its triage can only raise the
priority. Channels must treat a repeated request for a conversation that is
already waiting as such an update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flows.menu import Menu
from flows.outcome import (
    Action,
    ActionKind,
    ButtonInput,
    Command,
    CommandInput,
    ConversationState,
    HandoffRequest,
    Input,
    Outcome,
    Position,
    TextInput,
    Understanding,
)
from flows.render import Renderer, replies
from flows.schema import ChoiceStep, Flow, Pack, Priority, QuestionStep
from flows.walk import Walk, Walker

#: Positions kept for "back".
MAX_HISTORY = 20
#: Longest answer to a question kept in a slot.
MAX_SLOT_CHARS = 200
HUMAN_INTENT = "talk_to_human"
GREET_INTENT = "greet"
HUMAN_REASON = "asked for a person"
#: Intents that must reach a person even when the pack has no flow for them.
HANDOFF_INTENTS: Mapping[str, Priority] = {
    HUMAN_INTENT: Priority.normal,
    "urgent_danger": Priority.urgent,
    "serving_soldier": Priority.urgent,
}
#: Confident intents that interrupt a question instead of being taken as its answer.
INTERRUPTING_INTENTS = frozenset({"urgent_danger"})
_RANK = {Priority.urgent: 0, Priority.high: 1, Priority.normal: 2}


class Engine:
    """Runs the flows of one pack; build one per published pack and share it."""

    def __init__(self, pack: Pack) -> None:
        self._flows: dict[str, Flow] = {}
        self._by_intent: dict[str, str] = {}
        for flow in pack.flows:
            self._flows.setdefault(flow.id, flow)
            for intent in flow.intents:
                self._by_intent.setdefault(intent, flow.id)
        self._render = Renderer(pack.manifest)
        self._human_flow = self._by_intent.get(HUMAN_INTENT)
        self._menu = Menu(list(self._flows.values()), self._render, self._human_flow)
        self._walker = Walker(self._flows, self._render, self._menu)

    def flow_for(self, intent: str) -> str | None:
        """The id of the flow that answers ``intent``, if the pack has one."""
        return self._by_intent.get(intent)

    def handle(self, state: ConversationState, inp: Input) -> Outcome:
        """The replies to ``inp`` and the state to keep until the next input."""
        if isinstance(inp, CommandInput):
            return self._command(state, inp.command)
        if isinstance(inp, ButtonInput):
            return self._button(state, inp.action)
        return self._text(state, inp)

    # inputs ------------------------------------------------------------------

    def _command(self, state: ConversationState, command: Command) -> Outcome:
        if command is Command.start:
            fresh = ConversationState(lang=state.lang)
            greet = self._by_intent.get(GREET_INTENT)
            return self._menu_outcome(fresh) if greet is None else self._go(fresh, greet, None)
        if command is Command.back:
            return self._back(state)
        if command is Command.human:
            return self._human(state)
        return self._menu_outcome(state)

    def _button(self, state: ConversationState, action: Action) -> Outcome:
        kind = action.kind
        bare = action.flow is None and action.step is None and action.index is None
        if kind is ActionKind.back and bare:
            return self._back(state)
        if kind is ActionKind.menu and bare:
            return self._menu_outcome(state)
        if kind is ActionKind.human and bare:
            return self._human(state)
        if kind is ActionKind.flow and action.flow in self._flows and action.step is None \
                and action.index is None:
            return self._go(state, action.flow, None)
        here = state.position
        pinned = here is not None and (action.flow, action.step) == (here.flow, here.step)
        step = self._walker.step(here) if pinned else None
        if kind is ActionKind.option and isinstance(step, ChoiceStep) and here is not None \
                and action.index is not None and 0 <= action.index < len(step.options):
            return self._go(state, here.flow, step.options[action.index].next)
        if kind is ActionKind.next and here is not None and step is not None \
                and action.index is None and self._walker.waiting(here) is None:
            return self._go(state, here.flow, here.step)
        return self._repeat(state)

    def _text(self, state: ConversationState, inp: TextInput) -> Outcome:
        understood = inp.understanding
        sure = understood is not None and not understood.uncertain
        question = self._walker.waiting(state.position)
        if isinstance(question, QuestionStep) and state.position is not None and not (
                sure and understood is not None and understood.intent in INTERRUPTING_INTENTS):
            answer = " ".join(inp.text.split())[:MAX_SLOT_CHARS].strip()
            if not answer:
                return self._repeat(state)
            slots = {**state.slots, question.slot: answer}
            return self._go(state, state.position.flow, question.next, slots=slots)
        if sure and understood is not None:
            flow = self._by_intent.get(understood.intent)
            needs_person = flow is None and understood.intent in HANDOFF_INTENTS
            if understood.intent == HUMAN_INTENT or needs_person:
                return self._human(state, intent=understood.intent)
            if flow is not None:
                return self._go(state, flow, None, intent=understood.intent)
        elif understood is not None:
            candidates = self._candidates(understood)
            if len(candidates) >= 2:
                return self._which_one(state, candidates[:2])
        return self._repeat(state)

    # moves -------------------------------------------------------------------

    def _go(
        self, state: ConversationState, flow_id: str, step_id: str | None, *,
        slots: Mapping[str, str] | None = None, intent: str | None = None,
    ) -> Outcome:
        """Leave the current position for ``step_id`` of ``flow_id`` (its start when None)."""
        history = self._pushed(state.history, state.position)
        slots = state.slots if slots is None else dict(slots)
        walk = self._walker.walk(flow_id, step_id, lang=state.lang, slots=slots,
                                 back=bool(history), intent=intent)
        if walk.position is not None and walk.position == state.position:
            # Back to the same step (asked again, or a loop): "back" must not lead to itself.
            history = list(state.history)
            walk = self._walker.walk(flow_id, step_id, lang=state.lang, slots=slots,
                                     back=bool(history), intent=intent)
        if flow_id == self._human_flow and step_id is None:
            walk.handoff = _most_urgent(walk.handoff, self._human_request(Priority.normal, intent))
        return self._outcome(state, walk, history=history, slots=slots, intent=intent)

    def _human(self, state: ConversationState, *, intent: str | None = None) -> Outcome:
        """Queue for a person now and show the talk-to-a-person flow, if the pack has one."""
        priority = HANDOFF_INTENTS.get(intent or HUMAN_INTENT, Priority.normal)
        request = self._human_request(priority, intent)
        if self._human_flow is not None:
            outcome = self._go(state, self._human_flow, None, intent=intent)
            return outcome.model_copy(update={"handoff": _most_urgent(outcome.handoff, request)})
        history = self._pushed(state.history, state.position)
        walk = Walk(handoff=request)
        if self._render.has_ui("handoff_queued"):
            walk.replies = replies(self._render.ui("handoff_queued", state.lang))
        else:
            walk.replies = self._menu.reply(state.lang, back=bool(history))
        return self._outcome(state, walk, history=history, slots=state.slots, intent=intent)

    def _back(self, state: ConversationState) -> Outcome:
        """Return to the last waiting step still in the pack; the menu when there is none."""
        history = list(state.history)
        while history:
            position = history.pop()
            step = self._walker.waiting(position)
            if step is not None:
                shown = self._walker.prompt(position, step, state.lang, back=bool(history))
                new = state.model_copy(update={"position": position, "history": history})
                return Outcome(replies=shown, state=new)
        new = state.model_copy(update={"position": None, "history": []})
        return Outcome(replies=self._menu.reply(state.lang, back=False), state=new)

    def _menu_outcome(self, state: ConversationState) -> Outcome:
        history = self._pushed(state.history, state.position)
        new = state.model_copy(update={"position": None, "history": history})
        return Outcome(replies=self._menu.reply(state.lang, back=bool(history)), state=new)

    def _repeat(self, state: ConversationState) -> Outcome:
        """Input that did not fit: ask again where the person is, or offer the menu."""
        lang, here = state.lang, state.position
        step = self._walker.step(here)
        nav = self._render.nav(lang, back=bool(state.history))
        if here is None or step is None:
            new = state.model_copy(update={"position": None})
            shown = self._menu.reply(lang, back=bool(state.history), text_key="not_understood")
            return Outcome(replies=shown, state=new, misunderstood=True)
        if isinstance(step, QuestionStep):
            shown = self._walker.prompt(here, step, lang, back=bool(state.history))
        elif isinstance(step, ChoiceStep):
            buttons = self._walker.option_buttons(here, step, lang) + nav
            shown = replies(self._render.ui("repeat_step", lang), buttons)
        else:
            buttons = [self._walker.next_button(here, lang), *nav]
            shown = replies(self._render.ui("repeat_step", lang), buttons)
        return Outcome(replies=shown, state=state, misunderstood=True)

    def _which_one(self, state: ConversationState, flow_ids: Sequence[str]) -> Outcome:
        buttons = [self._menu.flow_button(self._flows[f], state.lang) for f in flow_ids]
        buttons += self._render.nav(state.lang, back=False)
        return Outcome(replies=replies(self._render.ui("which_one", state.lang), buttons),
                       state=state)

    # helpers -----------------------------------------------------------------

    def _candidates(self, understood: Understanding) -> list[str]:
        """Distinct flows of the classifier's candidates, best first."""
        ranked = understood.alternatives or [(understood.intent, understood.confidence)]
        found: list[str] = []
        for intent, _ in ranked:
            flow = self._by_intent.get(intent)
            if flow is not None and flow not in found:
                found.append(flow)
        return found

    def _pushed(self, history: Sequence[Position], position: Position | None) -> list[Position]:
        """``history`` with ``position`` added when it is a waiting step worth returning to."""
        if position is None or self._walker.waiting(position) is None:
            return list(history)
        if history and history[-1] == position:
            return list(history)
        return [*history, position][-MAX_HISTORY:]

    def _human_request(self, priority: Priority, intent: str | None) -> HandoffRequest:
        """What asking for a person queues; an intent without its own flow names itself."""
        asked = intent in (None, HUMAN_INTENT)
        return HandoffRequest(priority=priority, reason=HUMAN_REASON if asked else f"{intent}",
                              flow=self._human_flow, intent=intent or HUMAN_INTENT)

    @staticmethod
    def _outcome(
        state: ConversationState, walk: Walk, *, history: list[Position],
        slots: Mapping[str, str], intent: str | None,
    ) -> Outcome:
        new = state.model_copy(update={"position": walk.position, "history": history,
                                       "slots": dict(slots)})
        return Outcome(replies=walk.replies, state=new, handoff=walk.handoff, intent=intent)


def _most_urgent(first: HandoffRequest | None, second: HandoffRequest) -> HandoffRequest:
    """The request to keep when a turn produced two: the more urgent, the flow's own on a tie."""
    if first is None or _RANK[second.priority] < _RANK[first.priority]:
        return second
    return first
