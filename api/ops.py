"""What the CLI (``hotline.cli``) calls, in one place: migrations, staff, content packs.

All functions are the ones the api itself uses; this module only gathers them.
``announce_bundle`` tells running api replicas (and bots) that content changed
after an import made outside the api process.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.bundle import announce, load_snapshot
from api.crud.packs import ImportSummary, export_pack, has_content, import_pack
from api.crud.staff import create_staff, get_staff_by_name, revoke_staff
from api.database import make_engine, make_sessionmaker
from api.migrate import downgrade, downgrade_async, run_migrations, upgrade_async

__all__ = [
    "ImportSummary", "announce_bundle", "create_staff", "downgrade", "downgrade_async",
    "export_pack", "get_staff_by_name", "has_content", "import_pack", "make_engine",
    "make_sessionmaker", "revoke_staff", "run_migrations", "upgrade_async",
]


async def announce_bundle(session: AsyncSession, redis: Redis) -> str | None:
    """Compute the bundle's version from the database and announce it on Redis.

    Running api processes rebuild their in-memory bundle when they hear it;
    returns the version, or None while there is no manifest.
    """
    snapshot = await load_snapshot(session)
    if snapshot is None:
        return None
    await announce(redis, snapshot)
    return snapshot.version
