"""Migration 0003: the console's tables come and go cleanly, on top of 0002."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from api.migrate import downgrade_async, upgrade_async
from api.record.store import pseudonym_tables
from tests.api.test_migrations import empty_engine  # noqa: F401 - the fixture

CONSOLE_TABLES = {"canned_responses", "conversation_notes", "handoff_closures"}


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_0003_upgrade_downgrade(empty_engine: AsyncEngine) -> None:  # noqa: F811
    await upgrade_async(empty_engine)
    assert CONSOLE_TABLES <= await _tables(empty_engine)
    await downgrade_async(empty_engine, "0002")
    tables = await _tables(empty_engine)
    assert not CONSOLE_TABLES & tables and "conversation_messages" in tables
    await upgrade_async(empty_engine)
    assert CONSOLE_TABLES <= await _tables(empty_engine)


def test_notes_are_erased_with_the_person_and_closures_are_not_personal() -> None:
    names = {t.name for t in pseudonym_tables()}
    assert "conversation_notes" in names and "handoff_closures" not in names
