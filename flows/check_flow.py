"""The checks of one flow that the type system cannot do.

Targets that are not steps, jumps to flows or steps that do not exist, steps
nobody can reach or nobody can leave, translations, lengths as Telegram counts
them, and honesty: a factual answer needs its date and its sources, and a date
in the future or long past is flagged. Everything here is pure; what the flow
needs to know of the rest of the pack comes in a :class:`PackContext`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from flows.graph import edges, reachable, trapped
from flows.parsing import FlowParts, ManifestParts
from flows.problems import Problem, error, pointer, warning
from flows.schema import (
    BUTTON_LABEL_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    ChoiceStep,
    ConditionStep,
    EndStep,
    GotoStep,
    HandoffStep,
    Lang,
    MessageStep,
    QuestionStep,
    Step,
)
from flows.texts import check_localized, render_footer, template_fields, text_length

#: Placeholder each footer template takes.
FOOTER_FIELDS = {"as_of": "date", "sources": "sources"}

#: Steps that say something and may state facts.
SpeakingStep = MessageStep | ChoiceStep | QuestionStep | HandoffStep | EndStep


@dataclass(frozen=True)
class PackContext:
    """What checking one flow needs to know about its pack."""

    manifest: ManifestParts | None
    #: Flow id -> its step ids, or None when they are unknown (then goto steps are not checked).
    flow_steps: Mapping[str, Collection[str] | None]
    today: dt.date
    max_age_days: int = 180
    known_intents: Collection[str] | None = None


def check_flow(parts: FlowParts, ctx: PackContext) -> list[Problem]:
    """Every semantic problem of the flow's valid parts."""
    file = parts.file
    required = ctx.manifest.languages if ctx.manifest else []
    problems: list[Problem] = []
    if parts.title is not None:
        problems += check_localized(
            parts.title, "/title", required=required, limit=BUTTON_LABEL_LIMIT, kind="label",
            file=file,
        )
    problems += _check_intents(parts, ctx)
    known = set(parts.steps) | parts.broken
    if parts.steps_readable and parts.start is not None and parts.start not in known:
        problems.append(error("step.unknown_target", "/start", _not_a_step(parts.start), file))
    slots = {s.slot for s in parts.steps.values() if isinstance(s, QuestionStep)}
    for sid, step in parts.steps.items():
        problems += _check_step(sid, step, known, slots, parts, ctx)
    problems += _check_graph(parts)
    return problems


def _check_intents(parts: FlowParts, ctx: PackContext) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for i, intent in parts.intents:
        where = pointer("intents", i)
        if intent in seen:
            problems.append(
                warning("intent.repeated", where, f"{intent!r} is listed twice", parts.file)
            )
        seen.add(intent)
        if ctx.known_intents is not None and intent not in ctx.known_intents:
            problems.append(error(
                "intent.unknown", where, f"{intent!r} is not an intent the classifier knows",
                parts.file,
            ))
    return problems


def _not_a_step(target: str) -> str:
    return f"{target!r} is not a step of this flow"


def _check_step(
    sid: str, step: Step, known: set[str], slots: set[str], parts: FlowParts, ctx: PackContext
) -> list[Problem]:
    base = pointer("steps", sid)
    file = parts.file
    problems = [
        error("step.unknown_target", base + sub, _not_a_step(target), file)
        for sub, target in edges(step) if target not in known
    ]
    if isinstance(step, GotoStep):
        problems += _check_goto(base, step, parts, ctx)
        return problems
    if isinstance(step, ConditionStep):
        if step.slot not in slots:
            problems.append(warning(
                "condition.slot_never_set", base + "/slot",
                f"no question step of this flow sets the slot {step.slot!r}", file,
            ))
        return problems
    required = ctx.manifest.languages if ctx.manifest else []
    if step.text is not None:
        problems += check_localized(
            step.text, base + "/text", required=required, limit=TELEGRAM_TEXT_LIMIT,
            footer=_footer_sizes(step, ctx.manifest), file=file,
        )
    if isinstance(step, ChoiceStep):
        for i, option in enumerate(step.options):
            problems += check_localized(
                option.label, base + pointer("options", i, "label"), required=required,
                limit=BUTTON_LABEL_LIMIT, kind="label", file=file,
            )
    problems += _check_facts(base, step, ctx, file)
    return problems


def _check_goto(base: str, step: GotoStep, parts: FlowParts, ctx: PackContext) -> list[Problem]:
    if step.flow not in ctx.flow_steps:
        return [error("goto.unknown_flow", base + "/flow", f"there is no flow {step.flow!r}",
                      parts.file)]
    steps = ctx.flow_steps[step.flow]
    if step.step is not None and steps is not None and step.step not in steps:
        return [error("goto.unknown_step", base + "/step",
                      f"flow {step.flow!r} has no step {step.step!r}", parts.file)]
    return []


def _check_facts(base: str, step: SpeakingStep, ctx: PackContext, file: str) -> list[Problem]:
    problems = []
    if step.factual and step.as_of is None:
        problems.append(error("factual.missing_as_of", base + "/as_of",
                              "a factual step needs the date its facts were checked", file))
    if step.factual and not step.sources:
        problems.append(error("factual.missing_sources", base + "/sources",
                              "a factual step needs at least one source", file))
    if not step.factual and step.as_of is not None and not step.sources:
        problems.append(error("step.as_of_without_sources", base + "/sources",
                              "as_of is set but no sources say where the facts come from", file))
    if not step.factual and step.sources and step.as_of is None:
        problems.append(error("step.sources_without_as_of", base + "/as_of",
                              "sources are given but no as_of date says when they were checked",
                              file))
    if step.as_of is not None:
        age = (ctx.today - step.as_of).days
        if age < 0:
            problems.append(error("as_of.future", base + "/as_of",
                                  f"as_of {step.as_of} is after today ({ctx.today})", file))
        elif age > ctx.max_age_days:
            problems.append(warning(
                "as_of.stale", base + "/as_of",
                f"as_of {step.as_of} is {age} days old (more than {ctx.max_age_days}): "
                "check the facts again", file,
            ))
    for i, source in enumerate(step.sources):
        where = base + pointer("sources", i)
        if source.date is not None and source.date > ctx.today:
            problems.append(error("source.date_future", where + "/date",
                                  f"the source is dated {source.date}, after today", file))
        if source.url is not None and not source.url.startswith(("https://", "http://")):
            problems.append(error("source.url_scheme", where + "/url",
                                  "a source link must start with https:// or http://", file))
    return problems


def _footer_sizes(step: SpeakingStep, manifest: ManifestParts | None) -> dict[Lang, int]:
    """Per language, the length of the footer the engine appends to this step's text."""
    if manifest is None or step.text is None:
        return {}
    if not (step.factual or step.sources or step.as_of is not None):
        return {}
    sizes = {}
    for lang in step.text.root:
        templates = {}
        for key in ("as_of", "sources", "disclaimer"):
            text = manifest.ui.get(key)
            template = text.resolve(lang, manifest.chain(lang)) if text is not None else ""
            if key in FOOTER_FIELDS and template_fields(template) != {FOOTER_FIELDS[key]}:
                template = template.replace("{", "{{").replace("}", "}}")
            templates[key] = template
        footer = render_footer(
            as_of=step.as_of, sources=step.sources, as_of_template=templates["as_of"],
            sources_template=templates["sources"], disclaimer=templates["disclaimer"],
        )
        sizes[lang] = text_length(footer)
    return sizes


def _check_graph(parts: FlowParts) -> list[Problem]:
    problems = []
    if not parts.broken and parts.start in parts.steps:
        seen = reachable(parts.start, parts.steps)
        problems += [
            error("step.unreachable", pointer("steps", sid),
                  f"no path from the start step {parts.start!r} leads here", parts.file)
            for sid in parts.steps if sid not in seen
        ]
    stuck = trapped(parts.steps, exits=parts.broken)
    for sid in sorted(stuck):
        loop = sorted(reachable(sid, parts.steps))
        problems.append(error(
            "step.no_exit", pointer("steps", sid),
            "no end, handoff, goto or closing message can be reached from here; "
            f"it only leads round {', '.join(loop)}", parts.file,
        ))
    return problems
