"""Turning pack texts into replies: languages, the factual footer, buttons, Telegram's length limit.

The engine decides *what* to say; this module decides how it reads. Every
text is resolved in the person's language along the manifest's fallback
chain. A factual answer carries a footer (as of, sources, disclaimer) laid out
exactly as :func:`flows.texts.render_footer` lays it out for the validator,
with dates written the way each language writes them but of the same length
(``dd.mm.yyyy``, or ISO 8601 in English, where ``04/05`` would be ambiguous),
so what the validator measured is what is sent. Texts longer than a Telegram
message are split at paragraph, then line, then word boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from flows.outcome import Action, ActionKind, Button, Reply
from flows.schema import (
    TELEGRAM_TEXT_LIMIT,
    ChoiceStep,
    EndStep,
    HandoffStep,
    Lang,
    LocalizedText,
    MessageStep,
    PackManifest,
    QuestionStep,
    Source,
)
from flows.texts import text_length

#: Steps that show a text (and may state facts).
SpeakingStep = MessageStep | ChoiceStep | QuestionStep | HandoffStep | EndStep

#: Used only when a pack lacks a UI string (validated packs never do): a reply is never blank.
_FALLBACK_UI = {
    "menu_prompt": "☰",
    "back": "◀️",
    "main_menu": "🏠",
    "talk_to_human": "🙋",
    "next": "▶️",
    "repeat_step": "⬇️",
    "not_understood": "❔",
    "which_one": "❔",
}


def format_date(date: dt.date, lang: Lang) -> str:
    """A date as readers of ``lang`` expect it: 14.04.2023, or 2023-04-14 in English."""
    if lang is Lang.en:
        return date.isoformat()
    return date.strftime("%d.%m.%Y")


def _fill(template: str, field: str, value: str) -> str:
    """``template.format(field=value)``, or plain substitution when the template is broken."""
    try:
        return template.format(**{field: value})
    except (KeyError, IndexError, ValueError):
        return template.replace("{" + field + "}", value)


def _cut(text: str, limit: int) -> int:
    """Length of the longest prefix of ``text`` within ``limit`` UTF-16 units."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, cut at the most natural boundary."""
    parts: list[str] = []
    rest = text.strip()
    while text_length(rest) > limit:
        head = rest[: _cut(rest, limit)]
        at = -1
        for sep in ("\n\n", "\n", " "):
            at = head.rfind(sep)
            if at > 0:
                break
        at = at if at > 0 else max(len(head), 1)
        parts.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


_T = TypeVar("_T")


def kept(cache: dict[Hashable, tuple[_T, ...]], key: Hashable,
         build: Callable[[], Iterable[_T]]) -> list[_T]:
    """``build()`` once per ``key``, a fresh list of it every time.

    A pack never changes, so the buttons and replies built from it (immutable
    pydantic models) are kept rather than rebuilt every turn, which was ~5 %
    of an update's CPU; callers may extend the list they get.
    """
    built = cache.get(key)
    if built is None:
        built = cache[key] = tuple(build())
    return list(built)


class Renderer:
    """The manifest's texts in a person's language, and the replies built from them."""

    def __init__(self, manifest: PackManifest) -> None:
        self._manifest = manifest
        self._chains = {lang: manifest.chain(lang) for lang in Lang}
        self._nav: dict[Hashable, tuple[Button, ...]] = {}

    def text(self, text: LocalizedText | None, lang: Lang) -> str:
        """``text`` in ``lang``, else along the fallback chain; "" when there is none."""
        return "" if text is None else text.resolve(lang, self._chains[lang])

    def ui(self, key: str, lang: Lang) -> str:
        """A shared UI string; a neutral symbol stands in when the pack lacks it."""
        return self.text(self._manifest.ui.get(key), lang) or _FALLBACK_UI.get(key, "")

    def has_ui(self, key: str) -> bool:
        return key in self._manifest.ui

    def source(self, source: Source, lang: Lang) -> str:
        """One source as the footer lists it: title, date when known, then the link."""
        text = source.title
        if source.date is not None:
            text = f"{text}, {format_date(source.date, lang)}"
        return text if not source.url else f"{text} {source.url}"

    def footer(self, step: SpeakingStep, lang: Lang) -> str:
        """As of, sources and disclaimer for a step that states facts; "" for any other step."""
        if not (step.factual or step.sources or step.as_of is not None):
            return ""
        lines = []
        if step.as_of is not None:
            lines.append(_fill(self.ui("as_of", lang), "date", format_date(step.as_of, lang)))
        if step.sources:
            listed = "; ".join(self.source(s, lang) for s in step.sources)
            lines.append(_fill(self.ui("sources", lang), "sources", listed))
        disclaimer = self.ui("disclaimer", lang)
        if disclaimer:
            lines.append(disclaimer)
        return "\n\n" + "\n".join(lines) if lines else ""

    def step_text(self, step: SpeakingStep, lang: Lang) -> str:
        """The step's text followed by its footer."""
        return (self.text(step.text, lang) + self.footer(step, lang)).strip()

    def button(self, key: str, lang: Lang, action: Action) -> Button:
        return Button(label=self.ui(key, lang), action=action)

    def nav(self, lang: Lang, *, back: bool, menu: bool = True, human: bool = True) -> list[Button]:
        """The navigation row under a waiting step: back, main menu, talk to a person."""
        return kept(self._nav, (lang, back, menu, human),
                    lambda: self._build_nav(lang, back=back, menu=menu, human=human))

    def _build_nav(self, lang: Lang, *, back: bool, menu: bool, human: bool) -> list[Button]:
        buttons = []
        if back:
            buttons.append(self.button("back", lang, Action(kind=ActionKind.back)))
        if menu:
            buttons.append(self.button("main_menu", lang, Action(kind=ActionKind.menu)))
        if human:
            buttons.append(self.button("talk_to_human", lang, Action(kind=ActionKind.human)))
        return buttons


def replies(text: str, buttons: Sequence[Button] = (), *, protect: bool = False) -> list[Reply]:
    """``text`` as replies within Telegram's limit; the buttons go under the last one."""
    pieces = split_text(text)
    if not pieces[-1]:
        if not buttons:
            return []
        pieces[-1] = "⬇️"
    last = len(pieces) - 1
    return [
        Reply(text=piece, buttons=list(buttons) if i == last else [], protect_content=protect)
        for i, piece in enumerate(pieces)
    ]
