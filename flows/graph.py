"""The step graph of a flow: where each step can lead, what is reachable, what is stuck.

A person must always be able to get somewhere: a flow whose steps only lead
back into each other keeps them pressing buttons forever. These helpers work on
the steps that passed the schema; a step that leads to an id that is not a step
(reported elsewhere) counts as a way out, so one typo is reported once, not
again as a trap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flows.problems import pointer
from flows.schema import (
    ChoiceStep,
    ConditionStep,
    EndStep,
    GotoStep,
    HandoffStep,
    MessageStep,
    QuestionStep,
    Step,
)


def edges(step: Step) -> list[tuple[str, str]]:
    """``(pointer inside the step, target step id)`` for every way the step continues."""
    if isinstance(step, MessageStep):
        return [("/next", step.next)] if step.next is not None else []
    if isinstance(step, QuestionStep):
        return [("/next", step.next)]
    if isinstance(step, ChoiceStep):
        return [(pointer("options", i, "next"), o.next) for i, o in enumerate(step.options)]
    if isinstance(step, ConditionStep):
        found = [(pointer("branches", i, "next"), b.next) for i, b in enumerate(step.branches)]
        return [*found, ("/default", step.default)]
    return []


def is_exit(step: Step) -> bool:
    """Whether the flow can end here: an end, a handoff, a jump elsewhere, a final message."""
    if isinstance(step, EndStep | HandoffStep | GotoStep):
        return True
    return isinstance(step, MessageStep) and step.next is None


def reachable(start: str, steps: Mapping[str, Step]) -> set[str]:
    """Ids of the steps a person can arrive at from ``start`` (itself included)."""
    if start not in steps:
        return set()
    seen = {start}
    todo = [start]
    while todo:
        for _, target in edges(steps[todo.pop()]):
            if target in steps and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def trapped(steps: Mapping[str, Step], exits: Iterable[str] = ()) -> set[str]:
    """Ids of the steps from which no way out of the flow can be reached.

    ``exits`` adds steps to treat as ways out, such as steps that failed the
    schema and whose targets are therefore unknown.
    """
    predecessors: dict[str, set[str]] = {sid: set() for sid in steps}
    free = set(exits) & set(steps)
    for sid, step in steps.items():
        if is_exit(step):
            free.add(sid)
        for _, target in edges(step):
            if target in steps:
                predecessors[target].add(sid)
            else:
                free.add(sid)
    todo = list(free)
    while todo:
        for before in predecessors[todo.pop()]:
            if before not in free:
                free.add(before)
                todo.append(before)
    return set(steps) - free
