"""Engine and session factory, built by whoever starts the process (lifespan, CLI, tests).

Nothing here runs at import time: callers pass the URL in and own the engine.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_SYNC_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://")


def async_url(database_url: str) -> str:
    """The asyncpg flavour of a PostgreSQL URL (``DATABASE_URL`` may come without a driver)."""
    for scheme in _SYNC_SCHEMES:
        if database_url.startswith(scheme):
            return "postgresql+asyncpg://" + database_url[len(scheme) :]
    return database_url


def make_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine for the api: a modest pool, connections checked before use after idling."""
    return create_async_engine(
        async_url(database_url), pool_size=pool_size, max_overflow=10, pool_pre_ping=True
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built from them)."""
    return async_sessionmaker(engine, expire_on_commit=False)
