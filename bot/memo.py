"""What the bot derives from the same few objects again and again, found again cheaply.

The engine keeps its replies (flows/render.py ``kept``), so a turn's messages
are mostly the same objects every time: the menu, a flow's steps, the bot's
notices. What is made from them — the message for a reply, two messages
joined, an outbox entry's JSON, a checked keyboard — is kept here by the
identity of what it was made from. Identity, not equality: hashing a message
(its buttons' pydantic actions) cost more than the work it would save.

Each entry holds the objects it was made from, so their ids cannot be reused
by other objects while the entry exists; a full memo starts over (these are
a pack's worth of objects, far fewer than its size). :class:`Memo` is the
same bounded keeping for values found by an ordinary key (a record's bytes,
an outbox body, a keyboard's repr).
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import Enum
from typing import Final, Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Values by an ordinary key, at most ``size`` of them (a full memo starts over)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> V:
        if len(self._items) >= self._size:
            self._items.clear()
        self._items[key] = value
        return value


class _Missing(Enum):
    MISSING = "missing"


#: What :meth:`IdentityMemo.get` returns for nothing kept (a kept value may be None).
MISSING: Final = _Missing.MISSING


class IdentityMemo(Generic[V]):
    """Values by the identity of the objects they were made from (and a plain key part)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[Hashable, tuple[tuple[object, ...], V]] = {}

    def get(self, *made_from: object, plain: Hashable = None) -> V | Literal[_Missing.MISSING]:
        """The value kept for exactly these objects (and ``plain``), else :data:`MISSING`."""
        entry = self._items.get((*map(id, made_from), plain))
        if entry is None or any(a is not b for a, b in zip(entry[0], made_from, strict=True)):
            return MISSING
        return entry[1]

    def put(self, value: V, *made_from: object, plain: Hashable = None) -> V:
        if len(self._items) >= self._size:
            self._items.clear()
        self._items[(*map(id, made_from), plain)] = (made_from, value)
        return value
