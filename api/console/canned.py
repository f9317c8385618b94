"""Canned answers: ready-made texts advisors insert and edit before sending; admins keep them.

Plain text, not sealed: they are written by staff for everyone and name no person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.console.schemas import CannedIn
from api.crud.audit import record
from api.errors import NotFound
from api.models import CannedResponse
from api.schemas.audit import Action

LIMIT = 500


async def list_canned(session: AsyncSession, *, language: str | None
                      ) -> Sequence[CannedResponse]:
    stmt = select(CannedResponse)
    if language is not None:
        stmt = stmt.where(CannedResponse.language == language)
    rows = await session.scalars(
        stmt.order_by(CannedResponse.language, CannedResponse.title, CannedResponse.id)
        .limit(LIMIT))
    return rows.all()


async def create_canned(session: AsyncSession, principal: Principal,
                        body: CannedIn) -> CannedResponse:
    row = CannedResponse(language=body.language.value, title=body.title, text=body.text,
                         created_by_id=principal.id)
    session.add(row)
    await session.flush()
    record(session, actor=principal, action=Action.canned_create,
           detail={"canned": row.id, "language": row.language})
    await session.commit()
    return row


async def update_canned(session: AsyncSession, principal: Principal, canned_id: int,
                        body: CannedIn) -> CannedResponse:
    row = await session.get(CannedResponse, canned_id)
    if row is None:
        raise NotFound("no canned answer with this id")
    row.language, row.title, row.text = body.language.value, body.title, body.text
    row.updated_at = dt.datetime.now(dt.UTC)
    record(session, actor=principal, action=Action.canned_update, detail={"canned": row.id})
    await session.commit()
    return row


async def delete_canned(session: AsyncSession, principal: Principal, canned_id: int) -> None:
    row = await session.get(CannedResponse, canned_id)
    if row is None:
        raise NotFound("no canned answer with this id")
    await session.delete(row)
    record(session, actor=principal, action=Action.canned_delete, detail={"canned": canned_id})
    await session.commit()
