"""The engine of the bundle in use, swapped whole when a new bundle arrives.

Handlers read ``holder.current`` once per update and use that snapshot to the
end, so a refresh in the middle of a turn never mixes two bundles: the engine,
the callback references and the version always belong together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.refs import Refs, collisions
from flows.engine import Engine
from flows.schema import Pack

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Current:
    engine: Engine
    refs: Refs
    pack: Pack
    #: The bundle's version (its ETag without quotes), or a label such as "default".
    version: str
    #: Where it came from: "api", "redis" (the last good copy) or "default" (packaged content).
    source: str


class EngineHolder:
    """Holds the current :class:`Current`; :meth:`install` replaces it atomically."""

    def __init__(self) -> None:
        self._current: Current | None = None

    @property
    def current(self) -> Current:
        if self._current is None:
            raise RuntimeError("no bundle installed yet: load one before serving updates")
        return self._current

    @property
    def ready(self) -> bool:
        return self._current is not None

    def install(self, pack: Pack, *, version: str, source: str) -> Current:
        """Build the engine for ``pack`` and make it current."""
        clashes = collisions(f.id for f in pack.flows)
        for flow in pack.flows:
            clashes += [f"{flow.id}.{s}" for s in collisions(flow.steps)]
        if clashes:
            log.warning("bundle %s: callback references collide for %s", version, clashes)
        self._current = Current(Engine(pack), Refs(pack), pack, version, source)
        log.info("flows bundle %s installed (from %s, %d flows)", version, source, len(pack.flows))
        return self._current
