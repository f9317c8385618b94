"""Migrations on an empty database: upgrade → downgrade → upgrade, and they match the models."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from api.migrate import alembic_config, downgrade_async, upgrade_async
from api.models import Base

TABLES = {"staff", "flows", "flow_versions", "manifest_versions", "audit_log"}


@pytest.fixture
async def empty_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A brand-new database on the run's server, dropped afterwards."""
    base, _, query = database_url.partition("?")
    server = base.rsplit("/", 1)[0]
    suffix = ("?" + query) if query else ""
    name = f"hotline_migr_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(f"{server}/postgres{suffix}", isolation_level="AUTOCOMMIT",
                                poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(f"{server}/{name}{suffix}", poolclass=NullPool)
    yield engine
    await engine.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_engine: AsyncEngine) -> None:
    assert await _tables(empty_engine) == set()
    await upgrade_async(empty_engine)
    assert TABLES <= await _tables(empty_engine)
    await downgrade_async(empty_engine, "base")
    assert await _tables(empty_engine) == {"alembic_version"}
    await upgrade_async(empty_engine)
    assert TABLES <= await _tables(empty_engine)

    def diff(conn) -> list:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)

    async with empty_engine.connect() as conn:
        assert await conn.run_sync(diff) == []


def test_script_location_does_not_depend_on_the_working_directory(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    location = alembic_config().get_main_option("script_location")
    assert location is not None and location.endswith("migrations")
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() is not None
