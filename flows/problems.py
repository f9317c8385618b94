"""What validation found, in a form an admin can act on.

A problem names the file (empty when the document did not come from a file, as
when an admin saves one flow through the API) and a JSON Pointer (RFC 6901)
into that document: ``leave_country.yaml#/steps/intro/text/de`` is the German
text of step ``intro``. Pointers name where a value *should* be, so a missing
translation points at the key to add. ``code`` is a stable slug for tests and
tooling; ``message`` is for people.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

Severity = Literal["error", "warning"]


class Problem(BaseModel):
    """One thing wrong with a pack. Errors block publishing; warnings do not."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    code: str
    #: JSON Pointer into the document; "" is the whole document.
    path: str
    message: str
    #: File name inside the pack directory, or "" for a document without a file.
    file: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def location(self) -> str:
        """``file#pointer`` (or the bare pointer), the form printed and shown to admins."""
        if self.file:
            return f"{self.file}#{self.path}"
        return self.path or "/"


class PackInvalid(Exception):
    """Raised when a pack cannot be used; carries every problem found, not the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__(format_problems(self.problems))


def pointer(*parts: object) -> str:
    """A JSON Pointer from path segments, escaping ``~`` and ``/`` as RFC 6901 asks."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def error(code: str, path: str, message: str, file: str = "") -> Problem:
    return Problem(severity="error", code=code, path=path, message=message, file=file)


def warning(code: str, path: str, message: str, file: str = "") -> Problem:
    return Problem(severity="warning", code=code, path=path, message=message, file=file)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Grouped by file and by pointer (``options/2`` before ``options/10``), duplicates dropped."""
    return sorted(set(problems), key=_sort_key)


def _sort_key(p: Problem) -> tuple[str, list[tuple[int, int, str]], str, str, str]:
    segments = [(0, int(s), "") if s.isdigit() else (1, 0, s) for s in p.path.split("/")]
    return (p.file, segments, p.severity, p.code, p.message)


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem and a count, for the CLI and for exception messages."""
    ordered = sort_problems(problems)
    if not ordered:
        return "No problems found."
    lines = [f"{p.severity.upper():7} {p.location}  [{p.code}] {p.message}" for p in ordered]
    errors = sum(p.severity == "error" for p in ordered)
    warnings = len(ordered) - errors
    lines.append(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(lines)
