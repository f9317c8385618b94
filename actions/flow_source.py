"""The engine for the published flows, kept in memory and revalidated with the bundle's ETag.

Every action call needs the flows, but they change only when an editor
publishes; so the engine is built once per bundle version and the api is asked
at most every ``max_age`` seconds whether it still has that version (an empty
304). When the api cannot be reached, the flows already in memory keep being
served — stale content beats no answer for a person in trouble — and only a
server that never got the bundle reports the api unavailable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Final

from actions.api_client import ApiUnavailable, HotlineApi
from flows.engine import Engine

log = logging.getLogger(__name__)

#: Seconds between two revalidations of the bundle.
DEFAULT_MAX_AGE: Final = 5.0


class FlowSource:
    """The current :class:`~flows.engine.Engine`; one per action server, shared by all calls."""

    def __init__(self, api: HotlineApi, *, max_age: float = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._max_age = max_age
        self._clock = clock
        self._lock = asyncio.Lock()
        self._engine: Engine | None = None
        self._etag: str | None = None
        self._checked: float | None = None
        #: When the last fetch failed while there was nothing to serve.
        self._failed: float | None = None
        #: The bundle version the engine was built from (for logs and tests).
        self.version: str | None = None

    def _fresh(self) -> bool:
        return self._engine is not None and self._checked is not None \
            and self._clock() - self._checked < self._max_age

    async def engine(self) -> Engine:
        """The engine of the latest bundle; :class:`ApiUnavailable` only if there never was one."""
        if self._fresh():
            assert self._engine is not None
            return self._engine
        async with self._lock:  # one revalidation at a time; the others wait for its answer
            if self._fresh():
                assert self._engine is not None
                return self._engine
            if self._engine is None and self._failed is not None \
                    and self._clock() - self._failed < self._max_age:
                # Calls queued behind a failed fetch answer at once instead of each waiting
                # for its own timeout; the api is tried again after max_age.
                raise ApiUnavailable("the bundle could not be fetched a moment ago")
            try:
                fetched = await self._api.fetch_bundle(self._etag if self._engine else None)
            except ApiUnavailable as exc:
                if self._engine is None:
                    self._failed = self._clock()
                    raise
                log.warning("bundle not revalidated (%s); serving version %s", exc.reason,
                            self.version)
                self._checked = self._clock()
                return self._engine
            if fetched is not None:
                self._engine = Engine(fetched.bundle.pack())
                self._etag = fetched.etag
                self.version = fetched.bundle.version
                log.info("flows of bundle %s loaded", self.version)
            self._checked = self._clock()
            assert self._engine is not None
            return self._engine
