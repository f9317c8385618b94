"""Walking a flow from one step to the next place where the person has to act.

Messages are shown one after another and the walk goes on by itself through
conditions and gotos until a step waits for the person (a choice or a
question), hands off, or the flow ends (then the menu follows). At most
:data:`MAX_REPLIES` replies are sent in one turn; a longer chain stops with a
"next" button so nobody gets a wall of messages — except before a handoff,
which is never deferred: help must be on its way at once. A goto or condition
loop (a content error the validator does not catch across flows) ends the walk
instead of hanging it, and so does a target that does not exist.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from flows.menu import Menu
from flows.outcome import Action, ActionKind, Button, HandoffRequest, Position, Reply
from flows.render import Renderer, kept, replies
from flows.schema import (
    ChoiceStep,
    ConditionStep,
    EndStep,
    Flow,
    GotoStep,
    HandoffStep,
    Lang,
    MessageStep,
    QuestionStep,
    Step,
)

#: Replies of flow steps sent in one turn before a "next" button (the menu comes on top).
MAX_REPLIES = 4
#: Steps one walk may pass through; more means a loop the content should not have.
MAX_HOPS = 64

WaitingStep = ChoiceStep | QuestionStep


@dataclass
class Walk:
    """Where a walk stopped: its replies, the new position (None at the menu), a handoff."""

    replies: list[Reply] = field(default_factory=list)
    position: Position | None = None
    handoff: HandoffRequest | None = None


class Walker:
    """Runs steps of the flows of one pack; knows nothing of inputs or history."""

    def __init__(self, flows: Mapping[str, Flow], renderer: Renderer, menu: Menu) -> None:
        self._flows = flows
        self._render = renderer
        self._menu = menu
        #: Built once (flows/render.py :func:`kept`): a choice's buttons per (flow, step,
        #: language), and what a step shows per (step, language, back) — keyed by the step
        #: object's id, which lives as long as this walker's pack.
        self._options: dict[Hashable, tuple[Button, ...]] = {}
        self._shown: dict[Hashable, tuple[Reply, ...]] = {}

    def step(self, position: Position | None) -> Step | None:
        """The step at ``position``, or None when it does not exist (any more)."""
        flow = self._flows.get(position.flow) if position is not None else None
        return flow.steps.get(position.step) if flow is not None and position is not None else None

    def waiting(self, position: Position | None) -> WaitingStep | None:
        """The step at ``position`` when it is one that waits for the person."""
        step = self.step(position)
        return step if isinstance(step, ChoiceStep | QuestionStep) else None

    def prompt(
        self, position: Position, step: WaitingStep, lang: Lang, *, back: bool,
    ) -> list[Reply]:
        """A waiting step as shown: its text, its options, the navigation buttons."""
        def build() -> list[Reply]:
            buttons: list[Button] = []
            if isinstance(step, ChoiceStep):
                buttons = self.option_buttons(position, step, lang)
            buttons += self._render.nav(lang, back=back)
            return replies(self._render.step_text(step, lang), buttons,
                           protect=step.protect_content)

        return kept(self._shown, (id(step), lang, back), build)

    def option_buttons(self, position: Position, step: ChoiceStep, lang: Lang) -> list[Button]:
        return kept(self._options, (position.flow, position.step, lang), lambda: (
            Button(label=self._render.text(option.label, lang) or str(i + 1),
                   action=Action(kind=ActionKind.option, flow=position.flow,
                                 step=position.step, index=i))
            for i, option in enumerate(step.options)))

    def next_button(self, position: Position, lang: Lang) -> Button:
        action = Action(kind=ActionKind.next, flow=position.flow, step=position.step)
        return self._render.button("next", lang, action)

    def walk(
        self, flow_id: str, step_id: str | None, *, lang: Lang, slots: Mapping[str, str],
        back: bool, intent: str | None = None,
    ) -> Walk:
        """Run from ``step_id`` of ``flow_id`` (its start when None) to the next stop.

        Past the reply cap the walk goes on, holding its replies back: if a
        handoff follows before the person has to act, everything is sent with
        it; otherwise the turn stops with a "next" button where the cap was hit.
        """
        done = Walk()
        seen: set[tuple[str, str]] = set()
        capped: tuple[Position, int] | None = None
        while True:
            flow = self._flows.get(flow_id)
            if step_id is None and flow is not None:
                step_id = flow.start
            if flow is None or step_id is None or step_id not in flow.steps \
                    or (flow_id, step_id) in seen or len(seen) >= MAX_HOPS:
                return self._ended(done, lang, back, capped)
            step = flow.steps[step_id]
            seen.add((flow_id, step_id))
            here = Position(flow=flow_id, step=step_id)
            if isinstance(step, ConditionStep):
                step_id = _branch(step, slots)
                continue
            if isinstance(step, GotoStep):
                flow_id, step_id = step.flow, step.step
                continue
            if isinstance(step, HandoffStep):
                topic = intent or next(iter(flow.intents), None)
                return self._handoff(done, here, step, lang, topic)
            if capped is None and len(done.replies) >= MAX_REPLIES:
                capped = (here, len(done.replies))
            if isinstance(step, ChoiceStep | QuestionStep):
                if capped:
                    return self._paused(done, capped, lang)
                done.replies += self.prompt(here, step, lang, back=back)
                done.position = here
                return done
            done.replies += self._say(step, lang)
            if isinstance(step, EndStep) or step.next is None:
                return self._ended(done, lang, back, capped)
            step_id = step.next

    def _say(self, step: MessageStep | EndStep, lang: Lang) -> list[Reply]:
        """A message or closing text; a factual one offers a person right under it."""
        def build() -> list[Reply]:
            human = step.factual or bool(step.sources) or step.as_of is not None
            buttons = self._render.nav(lang, back=False, menu=False) if human else []
            return replies(self._render.step_text(step, lang), buttons,
                           protect=step.protect_content)

        return kept(self._shown, (id(step), lang, False), build)

    def _handoff(
        self, done: Walk, here: Position, step: HandoffStep, lang: Lang, intent: str | None,
    ) -> Walk:
        text = self._render.step_text(step, lang)
        if not text and self._render.has_ui("handoff_queued"):
            text = self._render.ui("handoff_queued", lang)
        if text:
            menu = self._render.nav(lang, back=False, human=False)
            done.replies += replies(text, menu, protect=step.protect_content)
        done.handoff = HandoffRequest(priority=step.priority, reason=step.reason, flow=here.flow,
                                      intent=intent)
        done.position = None
        return done

    def _ended(
        self, done: Walk, lang: Lang, back: bool, capped: tuple[Position, int] | None,
    ) -> Walk:
        if capped:
            return self._paused(done, capped, lang)
        done.replies += self._menu.reply(lang, back=back)
        done.position = None
        return done

    def _paused(self, done: Walk, capped: tuple[Position, int], lang: Lang) -> Walk:
        """Drop what was held back after the cap; a "next" button continues from there."""
        here, count = capped
        done.replies = done.replies[:count]
        done.replies[-1] = _with_first(done.replies[-1], self.next_button(here, lang))
        done.position = here
        return done


def _branch(step: ConditionStep, slots: Mapping[str, str]) -> str:
    """The target for the slot's value: the first branch listing it (any case), else the default."""
    value = slots.get(step.slot, "").strip().casefold()
    for branch in step.branches:
        if any(value == v.strip().casefold() for v in branch.values):
            return branch.next
    return step.default


def _with_first(reply: Reply, button: Button) -> Reply:
    return reply.model_copy(update={"buttons": [button, *reply.buttons]})
