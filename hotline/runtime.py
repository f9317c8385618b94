"""Turning settings into running servers: the shared start-up of every command.

Every ``hotline`` command that touches data calls :func:`resolve` first. It
starts the embedded servers for whichever URL is unset, settles the secret
key, and hands back settings whose ``database_url`` and ``redis_url`` are
real, so nothing downstream knows or cares whether they are embedded.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from hotline.embedded import EmbeddedServers
from hotline.settings import CommonSettings

S = TypeVar("S", bound=CommonSettings)


def configure_logging(level: str) -> None:
    """Plain logs without identifiers: handlers log ids as pseudonyms only."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Third-party loggers that would print request URLs with tokens or chat ids.
    for noisy in ("aiogram.event", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def resolved(settings: S) -> Iterator[S]:
    """Yield ``settings`` with real server URLs; stop embedded servers on exit."""
    # platformdirs (used by pgserver) warns without a runtime dir, as in CI or a root shell.
    # It wants a private (0700) directory.
    if "XDG_RUNTIME_DIR" not in os.environ:
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="hotline-xdg-")
    settings.data_dir = settings.data_dir.expanduser().resolve()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    servers = EmbeddedServers(settings.data_dir)
    # Before the URLs are filled in: whether we are embedded decides the secret policy.
    settings.ensure_secret()
    try:
        if settings.database_url is None:
            settings.database_url = servers.start_postgres()
        if settings.redis_url is None:
            settings.redis_url = servers.start_redis()
        yield settings
    finally:
        servers.close()
