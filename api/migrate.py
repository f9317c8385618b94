"""Alembic, run from code: the CLI's ``hotline migrate``, first start, and tests.

``migrations/`` is located next to this package (it is installed with it), so
this works from any working directory without an ini file. The async variants
run on a caller's engine inside its event loop; the sync ones start a loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from api.database import async_url


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged ``migrations/`` (no alembic.ini needed)."""
    import migrations

    script_location = Path(migrations.__file__).resolve().parent
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if database_url is not None:
        # ConfigParser interpolation: a literal % must be doubled.
        config.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def upgrade_async(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade on an existing engine (inside the caller's event loop), in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def downgrade_async(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def _with_engine(database_url: str, revision: str, up: bool) -> None:
    engine = create_async_engine(async_url(database_url), poolclass=NullPool)
    try:
        await (upgrade_async if up else downgrade_async)(engine, revision)
    finally:
        await engine.dispose()


def run_migrations(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking; call from sync code such as the CLI)."""
    asyncio.run(_with_engine(database_url, revision, up=True))


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the database down to ``revision`` (``base`` drops every table)."""
    asyncio.run(_with_engine(database_url, revision, up=False))
