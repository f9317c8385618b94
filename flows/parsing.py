"""From raw documents to models, keeping every part that is valid.

Pydantic stops a flow at its first broken model; an admin wants to hear about
everything at once. So a flow that fails the schema is taken apart: each step
is validated on its own, and the header fields one by one, and the valid parts
still go through the semantic checks. Schema errors become problems with JSON
Pointers into the document as the admin wrote it (pydantic's union tags such
as ``message`` in ``steps.intro.message.text`` are dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError

from flows.problems import Problem, error, pointer
from flows.schema import Flow, Identifier, Lang, LocalizedText, PackManifest, Step

_STEP: TypeAdapter[Step] = TypeAdapter(Step)
_IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)
_LANG = TypeAdapter(Lang)
_TEXT = TypeAdapter(LocalizedText)
_STEP_TAGS = {
    tag
    for member in get_args(get_args(Step)[0])
    for tag in get_args(member.model_fields["type"].annotation)
}


@dataclass
class FlowParts:
    """The valid parts of one flow document. ``model`` is set when all of it is valid."""

    file: str
    model: Flow | None = None
    id: str | None = None
    title: LocalizedText | None = None
    #: (index in the document, intent) for each valid intent.
    intents: list[tuple[int, str]] = field(default_factory=list)
    menu_order: int | None = None
    start: str | None = None
    steps: dict[str, Step] = field(default_factory=dict)
    #: Ids of steps present in the document but invalid.
    broken: set[str] = field(default_factory=set)
    #: False when ``steps`` was not a mapping: which ids exist is unknown.
    steps_readable: bool = True


@dataclass
class ManifestParts:
    """The valid parts of a manifest: enough to check translations and the footer."""

    model: PackManifest | None = None
    languages: list[Lang] = field(default_factory=list)
    ui: dict[str, LocalizedText] = field(default_factory=dict)
    #: False when the document had no readable ``ui`` mapping (the schema error says so).
    ui_readable: bool = True
    #: UI keys present but invalid (already reported by the schema).
    ui_broken: set[str] = field(default_factory=set)

    def chain(self, lang: Lang) -> list[Lang]:
        return self.model.chain(lang) if self.model is not None else []


def schema_problems(exc: ValidationError, raw: Any, file: str = "") -> list[Problem]:
    """One problem per pydantic error, at the pointer of the offending value."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err["loc"])
        note = ""
        if loc and loc[-1] == "[key]":
            loc.pop()
            note = f"key {loc[-1]!r}: " if loc else ""
        if (
            len(loc) > 2 and loc[0] == "steps" and loc[2] in _STEP_TAGS
            and _step_type(raw, loc[1]) == loc[2]
        ):
            del loc[2]
        problems.append(error(f"schema.{err['type']}", pointer(*loc), note + err["msg"], file))
    return problems


def _step_type(raw: Any, step_id: object) -> object:
    steps = raw.get("steps") if isinstance(raw, Mapping) else None
    step = steps.get(step_id) if isinstance(steps, Mapping) else None
    return step.get("type") if isinstance(step, Mapping) else None


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def parse_flow(raw: Any, file: str = "") -> tuple[FlowParts, list[Problem]]:
    """The flow's valid parts and its schema problems."""
    try:
        model = raw if isinstance(raw, Flow) else Flow.model_validate(raw)
    except ValidationError as exc:
        return _salvage_flow(raw, file), schema_problems(exc, raw, file)
    return FlowParts(
        file=file, model=model, id=model.id, title=model.title,
        intents=list(enumerate(model.intents)), menu_order=model.menu_order,
        start=model.start, steps=dict(model.steps),
    ), []


def _salvage_flow(raw: Any, file: str) -> FlowParts:
    parts = FlowParts(file=file, steps_readable=False)
    if not isinstance(raw, Mapping):
        return parts
    parts.id = _valid(_IDENTIFIER, raw.get("id"))
    parts.start = _valid(_IDENTIFIER, raw.get("start"))
    parts.title = _valid(_TEXT, raw.get("title"))
    menu_order = raw.get("menu_order")
    parts.menu_order = menu_order if type(menu_order) is int else None
    intents = raw.get("intents")
    if isinstance(intents, list):
        parts.intents = [(i, x) for i, x in enumerate(intents) if _valid(_IDENTIFIER, x)]
    steps = raw.get("steps")
    parts.steps_readable = isinstance(steps, Mapping)
    if isinstance(steps, Mapping):
        for key, value in steps.items():
            step = _valid(_STEP, value) if _valid(_IDENTIFIER, key) else None
            if step is None:
                parts.broken.add(str(key))
            else:
                parts.steps[key] = step
    return parts


def parse_manifest(raw: Any, file: str = "") -> tuple[ManifestParts, list[Problem]]:
    """The manifest's valid parts and its schema problems."""
    if isinstance(raw, PackManifest):
        return ManifestParts(model=raw, languages=list(raw.languages), ui=dict(raw.ui)), []
    try:
        model = PackManifest.model_validate(raw)
    except ValidationError as exc:
        return _salvage_manifest(raw), schema_problems(exc, raw, file)
    return ManifestParts(model=model, languages=list(model.languages), ui=dict(model.ui)), []


def _salvage_manifest(raw: Any) -> ManifestParts:
    parts = ManifestParts(ui_readable=False)
    if not isinstance(raw, Mapping):
        return parts
    languages = raw.get("languages")
    if isinstance(languages, list):
        parts.languages = [lang for lang in (_valid(_LANG, x) for x in languages) if lang]
    ui = raw.get("ui", {})
    if isinstance(ui, Mapping):
        parts.ui_readable = True
        for key, value in ui.items():
            text = _valid(_TEXT, value) if isinstance(key, str) else None
            if text is not None:
                parts.ui[key] = text
            else:
                parts.ui_broken.add(str(key))
    return parts
