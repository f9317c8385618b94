"""Short references to flow and step ids, so an engine action fits in a button.

Telegram gives a button 64 bytes of callback data, and flow and step ids may
be 64 characters each, so an :class:`~flows.outcome.Action` travels as its
one-letter kind, a 6-character reference to its flow and one to its step, and
the option index. References are short hashes, resolved against the bundle
that is current when the tap arrives: after a content change a stale
reference resolves to nothing, and the engine answers "please choose again"
exactly as for a forged tap. Nothing here raises on bad data. No aiogram here:
the web chat uses the same references without paying for its import.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from flows.outcome import Action, ActionKind
from flows.schema import Pack

#: What an unresolvable reference becomes: no flow or step is called this.
UNKNOWN = "?"
#: Option indexes beyond this are nonsense (a choice has at most 12 options).
MAX_INDEX = 99


def ref(identifier: str) -> str:
    """A 6-character, URL-safe, colon-free reference to an id (32 bits of BLAKE2b)."""
    digest = hashlib.blake2b(identifier.encode(), digest_size=4).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Compact(NamedTuple):
    """An action as it travels: kind letter, flow reference, step reference, index."""

    k: str
    f: str = ""
    s: str = ""
    i: int | None = None


def forged() -> Action:
    """The action fed to the engine for data that is not ours: it matches no button."""
    return Action(kind=ActionKind.option, flow=UNKNOWN, step=UNKNOWN, index=-1)


class Refs:
    """The references of one bundle, to compact actions and expand them again."""

    def __init__(self, pack: Pack) -> None:
        self._flows: dict[str, str] = {}
        self._steps: dict[tuple[str, str], str] = {}
        for flow in pack.flows:
            self._flows.setdefault(ref(flow.id), flow.id)
            for step in flow.steps:
                self._steps.setdefault((flow.id, ref(step)), step)

    @staticmethod
    def compact(action: Action) -> Compact:
        return Compact(
            k=action.kind.value,
            f="" if action.flow is None else ref(action.flow),
            s="" if action.step is None else ref(action.step),
            i=action.index,
        )

    def expand(self, data: Compact) -> Action:
        """The action a tap asks for; anything unknown becomes something the engine rejects."""
        try:
            kind = ActionKind(data.k)
        except ValueError:
            return forged()
        flow = None if not data.f else self._flows.get(data.f, UNKNOWN)
        step = None
        if data.s:
            step = self._steps.get((flow, data.s), UNKNOWN) if flow else UNKNOWN
        index = data.i
        if index is not None and not 0 <= index <= MAX_INDEX:
            index = -1
        return Action(kind=kind, flow=flow, step=step, index=index)


def collisions(ids: Iterable[str]) -> list[str]:
    """Ids whose reference another id already has (vanishingly rare; logged at bundle load)."""
    seen: dict[str, str] = {}
    clashes = []
    for identifier in ids:
        other = seen.setdefault(ref(identifier), identifier)
        if other != identifier:
            clashes.append(identifier)
    return clashes
