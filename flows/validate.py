"""Validation of a content pack, or of one flow an admin saves: every problem at once.

Entry points: :func:`validate_pack` (a manifest and raw flow documents, as
read from a directory), :func:`validate_flow` (one flow, checked against the
rest of the pack, for the API), :func:`validate_pack_dir` (files on disk, for
the CLI) and :func:`format_problems`. Problems point into the documents; see
:mod:`flows.problems` for the pointer convention. Errors mean the content must
not be published; warnings (stale dates, a condition on a slot set elsewhere,
a file named unlike its flow) mean someone should look.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from flows.check_flow import FOOTER_FIELDS, PackContext, check_flow
from flows.parsing import FlowParts, ManifestParts, parse_flow, parse_manifest
from flows.problems import Problem, error, format_problems, pointer, sort_problems, warning
from flows.schema import (
    BUTTON_LABEL_LIMIT,
    REQUIRED_UI_KEYS,
    TELEGRAM_TEXT_LIMIT,
    Flow,
    PackManifest,
)
from flows.texts import check_localized, template_fields

__all__ = ["format_problems", "validate_flow", "validate_pack", "validate_pack_dir"]

MANIFEST_FILE = "pack.yaml"
#: A flow with this id would be written over the manifest.
RESERVED_FLOW_IDS = frozenset({"pack"})
#: UI strings shown as buttons, held to the button label limit.
BUTTON_UI_KEYS = frozenset({"back", "main_menu", "talk_to_human"})


def validate_pack(
    manifest: PackManifest | Mapping[str, Any] | None,
    flows_raw: Sequence[tuple[str, Any]],
    *,
    today: dt.date,
    max_age_days: int = 180,
    known_intents: Collection[str] | None = None,
) -> list[Problem]:
    """Every problem of a pack: ``flows_raw`` is ``(file name, document)`` per flow.

    A ``None`` manifest (its file was missing or unreadable, which the reader
    reports) skips the checks that need its languages and UI strings.
    """
    problems: list[Problem] = []
    mparts: ManifestParts | None = None
    if manifest is not None:
        mparts, found = parse_manifest(manifest, MANIFEST_FILE)
        problems += found + check_manifest(mparts, MANIFEST_FILE)
    flows: list[FlowParts] = []
    for file, raw in flows_raw:
        parts, found = parse_flow(raw, file)
        flows.append(parts)
        problems += found
    problems += _check_pack(flows)
    flow_steps: dict[str, Collection[str] | None] = {}
    for parts in flows:
        if parts.id is not None and parts.id not in flow_steps:
            flow_steps[parts.id] = _step_ids(parts)
    ctx = PackContext(mparts, flow_steps, today, max_age_days, known_intents)
    for parts in flows:
        problems += check_flow(parts, ctx)
    return sort_problems(problems)


def validate_flow(
    flow: Flow | Mapping[str, Any],
    manifest: PackManifest | Mapping[str, Any] | None,
    *,
    today: dt.date,
    known_flow_ids: Collection[str] | Mapping[str, Collection[str]] = (),
    intent_owners: Mapping[str, str] | None = None,
    known_intents: Collection[str] | None = None,
    max_age_days: int = 180,
) -> list[Problem]:
    """Every problem of one flow, with pointers relative to the flow document.

    ``known_flow_ids`` are the other flows a goto may name; pass a mapping of
    flow id to its step ids to have goto steps checked too. ``intent_owners``
    maps each intent claimed by another flow to that flow's id. The manifest is
    taken as already valid: its own problems are not this flow's.
    """
    parts, problems = parse_flow(flow)
    mparts = parse_manifest(manifest)[0] if manifest is not None else None
    flow_steps: dict[str, Collection[str] | None] = (
        {k: set(v) for k, v in known_flow_ids.items()}
        if isinstance(known_flow_ids, Mapping)
        else dict.fromkeys(known_flow_ids)
    )
    if parts.id is not None:
        flow_steps[parts.id] = _step_ids(parts)
        problems += _check_reserved(parts)
    for i, intent in parts.intents:
        owner = (intent_owners or {}).get(intent)
        if owner is not None and owner != parts.id:
            problems.append(error("intent.duplicate", pointer("intents", i),
                                  f"flow {owner!r} already answers {intent!r}"))
    ctx = PackContext(mparts, flow_steps, today, max_age_days, known_intents)
    return sort_problems(problems + check_flow(parts, ctx))


def validate_pack_dir(
    path: str | Path,
    *,
    today: dt.date,
    max_age_days: int = 180,
    known_intents: Collection[str] | None = None,
) -> list[Problem]:
    """Read a pack directory and validate it; unreadable files become problems, too."""
    from flows.packio import load_pack_dir  # the reader builds on this module

    files = load_pack_dir(path)
    return sort_problems(files.problems + validate_pack(
        files.manifest, files.flows, today=today, max_age_days=max_age_days,
        known_intents=known_intents,
    ))


def check_manifest(parts: ManifestParts, file: str = "") -> list[Problem]:
    """UI strings: present, translated, short enough, with the placeholders the engine fills."""
    problems = []
    model = parts.model
    if model is not None and model.default_language not in model.languages:
        problems.append(error(
            "manifest.default_language", "/default_language",
            f"the default language {model.default_language.value} must be one of the languages",
            file,
        ))
    for key in REQUIRED_UI_KEYS if parts.ui_readable else ():
        if key not in parts.ui and key not in parts.ui_broken:
            problems.append(error("ui.missing_key", pointer("ui", key),
                                  f"the UI string {key!r} is required", file))
    for key, text in parts.ui.items():
        button = key in BUTTON_UI_KEYS
        problems += check_localized(
            text, pointer("ui", key), required=parts.languages,
            limit=BUTTON_LABEL_LIMIT if button else TELEGRAM_TEXT_LIMIT,
            kind="label" if button else "text", file=file,
        )
        if key in FOOTER_FIELDS:
            problems += _check_placeholders(key, text.root, FOOTER_FIELDS[key], file)
    return problems


def _check_placeholders(key: str, texts: Mapping[Any, str], name: str, file: str) -> list[Problem]:
    problems = []
    for lang, template in texts.items():
        where = pointer("ui", key, lang)
        fields = template_fields(template)
        if fields is None:
            problems.append(error("ui.placeholder_syntax", where,
                                  "unbalanced { or }: write {{ and }} for literal braces", file))
            continue
        if name not in fields:
            problems.append(error("ui.placeholder_missing", where,
                                  f"the text must contain {{{name}}}", file))
        for other in sorted(fields - {name}):
            problems.append(error("ui.placeholder_unknown", where,
                                  f"{{{other}}} is not filled in; only {{{name}}} is", file))
    return problems


def _step_ids(parts: FlowParts) -> set[str] | None:
    return set(parts.steps) | parts.broken if parts.steps_readable else None


def _check_reserved(parts: FlowParts) -> list[Problem]:
    if parts.id not in RESERVED_FLOW_IDS:
        return []
    return [error("flow.reserved_id", "/id",
                  f"{parts.id!r} is reserved: its file would replace {MANIFEST_FILE}", parts.file)]


def _check_pack(flows: Sequence[FlowParts]) -> list[Problem]:
    """What only the pack as a whole shows: clashing ids, intents, menu places, file names."""
    problems: list[Problem] = []
    if not flows:
        problems.append(warning("pack.empty", "", "the pack has no flows", MANIFEST_FILE))
    by_id: dict[str, list[FlowParts]] = defaultdict(list)
    by_intent: dict[str, list[tuple[FlowParts, int]]] = defaultdict(list)
    by_menu: dict[int, list[FlowParts]] = defaultdict(list)
    for parts in flows:
        if parts.id is not None:
            by_id[parts.id].append(parts)
            problems += _check_reserved(parts)
            if parts.file and parts.file != f"{parts.id}.yaml":
                problems.append(warning(
                    "file.name_mismatch", "/id",
                    f"flow {parts.id!r} should live in {parts.id}.yaml (export writes it there)",
                    parts.file,
                ))
        for i, intent in parts.intents:
            by_intent[intent].append((parts, i))
        if parts.menu_order is not None:
            by_menu[parts.menu_order].append(parts)
    for flow_id, same in by_id.items():
        if len(same) > 1:
            files = ", ".join(p.file for p in same)
            problems += [error("flow.duplicate_id", "/id", f"{flow_id!r} is the id of {files}",
                               p.file) for p in same]
    for intent, claims in by_intent.items():
        owners = {p.file for p, _ in claims}
        if len(owners) > 1:
            problems += [error(
                "intent.duplicate", pointer("intents", i),
                f"{intent!r} is claimed by {', '.join(sorted(owners))}; one flow per intent",
                p.file,
            ) for p, i in claims]
    for order, same in by_menu.items():
        if len(same) > 1:
            files = ", ".join(p.file for p in same)
            problems += [warning("menu.duplicate_order", "/menu_order",
                                 f"menu_order {order} is used by {files}", p.file) for p in same]
    return problems
