"""The main menu: the flows a person can pick, computed once per pack.

Flows with a ``menu_order`` are listed, lowest first (ties by id, so the order
never depends on file order); each button starts its flow. When no listed
flow is the way to a person, the menu adds the talk-to-a-person button itself:
nobody should have to type to reach a human.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from flows.outcome import Action, ActionKind, Button, Reply
from flows.render import Renderer, kept, replies
from flows.schema import Flow, Lang


class Menu:
    """The menu reply and the flow buttons, in every language."""

    def __init__(self, flows: Sequence[Flow], renderer: Renderer, human_flow: str | None) -> None:
        listed = [f for f in flows if f.menu_order is not None]
        self._entries = sorted(listed, key=lambda f: (f.menu_order, f.id))
        self._render = renderer
        self._lists_human = any(f.id == human_flow for f in self._entries)
        #: The menu per (language, back, text): built once, it is the commonest reply.
        self._replies: dict[Hashable, tuple[Reply, ...]] = {}

    @property
    def flow_ids(self) -> list[str]:
        """The ids of the listed flows, in menu order."""
        return [f.id for f in self._entries]

    def flow_button(self, flow: Flow, lang: Lang) -> Button:
        """A button that starts ``flow``, labelled with its title."""
        label = self._render.text(flow.title, lang) or flow.id
        return Button(label=label, action=Action(kind=ActionKind.flow, flow=flow.id))

    def reply(self, lang: Lang, *, back: bool, text_key: str = "menu_prompt") -> list[Reply]:
        """The menu under the UI string ``text_key`` (the menu prompt, or "not understood")."""
        return kept(self._replies, (lang, back, text_key),
                    lambda: self._build(lang, back=back, text_key=text_key))

    def _build(self, lang: Lang, *, back: bool, text_key: str) -> list[Reply]:
        buttons = [self.flow_button(f, lang) for f in self._entries]
        buttons += self._render.nav(lang, back=back, menu=False, human=not self._lists_human)
        return replies(self._render.ui(text_key, lang), buttons)
