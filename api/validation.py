"""Checks a flow or manifest must pass before it is stored, on top of the pydantic schema.

Errors become a 422 (``ValidationFailed``) listing every problem with the
pointer into the request body; warnings (stale dates, a missing translation
with a fallback) are returned to the editor with the saved version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from api.errors import ValidationFailed
from api.schemas.common import has_unstorable_text, pointer
from flows.problems import Problem, error
from flows.schema import Flow, PackManifest
from flows.validate import validate_flow, validate_pack


def canonical(document: BaseModel) -> tuple[dict[str, Any], str]:
    """The stored form of a document (defaults left out) and its content hash."""
    data: dict[str, Any] = document.model_dump(mode="json", exclude_defaults=True)
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: unstorable text is refused by the checks, hashing must not fail first.
    return data, hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def _unstorable(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[str]:
    if isinstance(value, str):
        if has_unstorable_text(value):
            yield pointer(path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and has_unstorable_text(key):
                yield pointer((*path, key))
            yield from _unstorable(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unstorable(item, (*path, i))


def _storable(data: dict[str, Any]) -> list[Problem]:
    return [
        error("text.unstorable", where, "text contains NUL or unpaired surrogate characters")
        for where in _unstorable(data)
    ]


def raise_errors(
    problems: list[Problem], *, prefix: tuple[str, ...] = ("body", "document")
) -> None:
    """Raise ``ValidationFailed`` if any problem is an error; the detail lists them all."""
    if not any(p.severity == "error" for p in problems):
        return
    detail = []
    for p in problems:
        segments = [s.replace("~1", "/").replace("~0", "~") for s in p.path.split("/")[1:]]
        loc = [*prefix, *segments]
        detail.append(
            {"loc": loc, "path": pointer(loc), "msg": p.message, "type": p.code,
             "severity": p.severity}
        )
    raise ValidationFailed("the document has errors", detail=detail)


def check_flow_document(
    flow: Flow,
    data: dict[str, Any],
    *,
    manifest: PackManifest | None,
    other_flows: Mapping[str, Mapping[str, Any]],
    max_age_days: int,
    known_intents: Collection[str] | None = None,
) -> list[Problem]:
    """Validate a flow against the rest of the content; return its warnings or raise on errors.

    ``other_flows`` are the latest documents of the other flows (goto targets,
    intents already claimed).
    """
    problems = _storable(data)
    if not problems:
        steps = {
            fid: list(doc.get("steps", {})) for fid, doc in other_flows.items() if fid != flow.id
        }
        owners = {
            intent: fid
            for fid, doc in other_flows.items()
            if fid != flow.id
            for intent in doc.get("intents", [])
        }
        problems = validate_flow(
            flow, manifest, today=dt.date.today(), known_flow_ids=steps,
            intent_owners=owners, known_intents=known_intents, max_age_days=max_age_days,
        )
    raise_errors(problems)
    return problems


def check_manifest_document(
    manifest: PackManifest, data: dict[str, Any], *, max_age_days: int
) -> list[Problem]:
    """Validate a manifest on its own; return its warnings or raise on errors."""
    problems = _storable(data)
    if not problems:
        found = validate_pack(manifest, [], today=dt.date.today(), max_age_days=max_age_days)
        problems = [p for p in found if p.code != "pack.empty"]
    raise_errors(problems)
    return problems
