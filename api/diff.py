"""Differences between two versions of a document, as JSON-pointer changes and as text."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any

from api.schemas.common import pointer
from api.schemas.flows import DiffChange


def _changes(a: Any, b: Any, path: tuple[str | int, ...]) -> Iterator[DiffChange]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            where = (*path, key)
            if key not in b:
                yield DiffChange(op="remove", path=pointer(where), before=a[key])
            elif key not in a:
                yield DiffChange(op="add", path=pointer(where), after=b[key])
            else:
                yield from _changes(a[key], b[key], where)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            where = (*path, i)
            if i >= len(b):
                yield DiffChange(op="remove", path=pointer(where), before=a[i])
            elif i >= len(a):
                yield DiffChange(op="add", path=pointer(where), after=b[i])
            else:
                yield from _changes(a[i], b[i], where)
    elif a != b or type(a) is not type(b):
        yield DiffChange(op="replace", path=pointer(path), before=a, after=b)


def json_changes(before: Any, after: Any) -> list[DiffChange]:
    """Leaf-level changes from ``before`` to ``after`` (lists compared by position)."""
    return list(_changes(before, after, ()))


def unified(before: Any, after: Any, *, from_name: str, to_name: str) -> str:
    """A unified diff of the two documents pretty-printed with sorted keys."""
    a = json.dumps(before, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(after, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, fromfile=from_name, tofile=to_name, lineterm=""))
