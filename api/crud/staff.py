"""Staff accounts and their tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal, hash_token, new_token, same_hash
from api.crud.audit import Actor, record
from api.errors import Conflict, NotFound
from api.models import Role, Staff
from api.schemas.audit import Action


async def create_staff(
    session: AsyncSession, *, name: str, role: Role | str, actor: Actor | None = None
) -> tuple[Staff, str]:
    """Create an account and return it with its token, the only time the token exists."""
    token = new_token()
    staff = Staff(
        name=name,
        role=Role(role),
        token_hash=hash_token(token),
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(staff)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"a staff member named {name!r} exists") from exc
    record(session, actor=actor, action=Action.staff_create, detail={
        "staff_id": staff.id, "name": staff.name, "role": staff.role.value,
    })
    await session.commit()
    return staff, token


async def get_staff(session: AsyncSession, *, staff_id: int) -> Staff:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id}")
    return staff


async def get_staff_by_name(session: AsyncSession, *, name: str) -> Staff:
    staff = await session.scalar(select(Staff).where(Staff.name == name))
    if staff is None:
        raise NotFound(f"no staff member named {name!r}")
    return staff


async def list_staff(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Staff], int]:
    total = await session.scalar(select(func.count()).select_from(Staff))
    rows = await session.scalars(select(Staff).order_by(Staff.id).limit(limit).offset(offset))
    return rows.all(), total or 0


async def revoke_staff(
    session: AsyncSession, *, staff_id: int, actor: Actor | None = None
) -> Staff:
    """Disable an account's token for good. Admins cannot lock themselves out this way."""
    if actor is not None and actor.id == staff_id:
        raise Conflict("you cannot revoke your own token; ask another admin")
    staff = await session.get(Staff, staff_id, with_for_update=True)
    if staff is None:
        raise NotFound(f"no staff member {staff_id}")
    if staff.revoked_at is not None:
        raise Conflict(f"staff member {staff_id} is already revoked")
    staff.revoked_at = dt.datetime.now(dt.UTC)
    record(session, actor=actor, action=Action.staff_revoke, detail={
        "staff_id": staff.id, "name": staff.name,
    })
    await session.commit()
    return staff


async def principal_for_hash(session: AsyncSession, *, digest: str) -> Principal | None:
    """The active staff member holding the token with this hash, if any."""
    staff = await session.scalar(select(Staff).where(Staff.token_hash == digest))
    if staff is None or staff.revoked_at is not None or not same_hash(staff.token_hash, digest):
        return None
    return Principal(id=staff.id, name=staff.name, role=staff.role)


def principal_of(staff: Staff) -> Principal:
    return Principal(id=staff.id, name=staff.name, role=staff.role)

