"""The audit log, for admins: filtered, newest first, paginated."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.crud import audit as crud
from api.deps import AdminDep, SessionDep
from api.routes.params import API_PREFIX
from api.schemas.audit import AuditEntryPublic, AuditPage, AuditQuery

router = APIRouter(prefix=API_PREFIX, tags=["audit"])


@router.get("/audit", response_model=AuditPage)
async def read_audit(
    query: Annotated[AuditQuery, Query()], session: SessionDep, _: AdminDep
) -> AuditPage:
    rows, count = await crud.list_entries(session, query=query)
    return AuditPage(data=[AuditEntryPublic.model_validate(r) for r in rows], count=count)
