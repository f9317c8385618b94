"""Texts as Telegram sees them: their length, the footer of factual answers, their checks.

Telegram measures a message in UTF-16 code units (an emoji is often two), so
that is what we count. A factual answer is sent with a footer (as of, sources,
disclaimer) built by :func:`render_footer`; a text that fits alone can
overflow with it, so the validator measures text and footer together. The
engine should build its footer with the same function so the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping, Sequence
from typing import Literal

from flows.problems import Problem, error, pointer
from flows.schema import Lang, LocalizedText, Source


def text_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def template_fields(template: str) -> set[str] | None:
    """The ``{names}`` a ``str.format`` template uses, or None when it would not format."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return None


def source_text(source: Source) -> str:
    """One source as the footer lists it: title, date when known, then the link."""
    text = source.title if source.date is None else f"{source.title}, {source.date.isoformat()}"
    return text if not source.url else f"{text} {source.url}"


def render_footer(
    *,
    as_of: dt.date | None,
    sources: Sequence[Source],
    as_of_template: str,
    sources_template: str,
    disclaimer: str,
) -> str:
    """The block appended to a factual answer; templates take ``{date}`` and ``{sources}``."""
    lines = []
    if as_of is not None:
        lines.append(as_of_template.format(date=as_of.isoformat()))
    if sources:
        lines.append(sources_template.format(sources="; ".join(map(source_text, sources))))
    if disclaimer:
        lines.append(disclaimer)
    return "\n\n" + "\n".join(lines) if lines else ""


def check_localized(
    text: LocalizedText,
    at: str,
    *,
    required: Sequence[Lang],
    limit: int,
    kind: Literal["text", "label"] = "text",
    footer: Mapping[Lang, int] | None = None,
    file: str = "",
) -> list[Problem]:
    """Missing translations, blank texts and texts over ``limit``, all of them.

    ``at`` is the pointer of the localized text; ``footer`` gives, per language,
    how many characters the engine will add when it sends the text.
    """
    problems = []
    for lang in required:
        if lang not in text.root:
            problems.append(error(
                f"{kind}.missing_translation", pointer_in(at, lang),
                f"no {lang.value} {kind}; the pack requires {', '.join(required)}", file,
            ))
    for lang, value in text.root.items():
        where = pointer_in(at, lang)
        if not value.strip():
            problems.append(error(f"{kind}.empty", where, f"the {lang.value} {kind} is blank",
                                  file))
            continue
        extra = (footer or {}).get(lang, 0)
        size = text_length(value) + extra
        if size > limit:
            detail = f", {extra} of them the as-of/sources/disclaimer footer" if extra else ""
            problems.append(error(
                f"{kind}.too_long", where,
                f"the {lang.value} {kind} is {size} characters{detail}; the limit is {limit}",
                file,
            ))
    return problems


def pointer_in(base: str, *parts: object) -> str:
    """``base`` extended by further segments."""
    return base + pointer(*parts)
