"""Staff accounts (admins only) and ``/me`` (anyone with a token)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.crud import staff as crud
from api.deps import AdminDep, AnyRoleDep, ResourcesDep, SessionDep
from api.routes.params import API_PREFIX, LimitQuery, OffsetQuery, StaffIdPath
from api.schemas.staff import Me, StaffCreate, StaffList, StaffPublic, StaffWithToken

router = APIRouter(prefix=API_PREFIX, tags=["staff"])


@router.get("/me", response_model=Me)
async def read_me(principal: AnyRoleDep) -> Me:
    """Who this token belongs to; a cheap way to check a token."""
    return Me(id=principal.id, name=principal.name, role=principal.role)


@router.get("/staff", response_model=StaffList)
async def list_staff(
    session: SessionDep, _: AdminDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> StaffList:
    rows, count = await crud.list_staff(session, limit=limit, offset=offset)
    return StaffList(data=[StaffPublic.model_validate(r) for r in rows], count=count)


@router.post("/staff", status_code=status.HTTP_201_CREATED, response_model=StaffWithToken)
async def create_staff(body: StaffCreate, session: SessionDep, actor: AdminDep) -> StaffWithToken:
    """Create an account; the token in this response is never shown again."""
    staff, token = await crud.create_staff(session, name=body.name, role=body.role, actor=actor)
    return StaffWithToken(**StaffPublic.model_validate(staff).model_dump(), token=token)


@router.get("/staff/{staff_id}", response_model=StaffPublic)
async def read_staff(staff_id: StaffIdPath, session: SessionDep, _: AdminDep) -> StaffPublic:
    return StaffPublic.model_validate(await crud.get_staff(session, staff_id=staff_id))


@router.post("/staff/{staff_id}/revoke", response_model=StaffPublic)
async def revoke_staff(
    staff_id: StaffIdPath, session: SessionDep, actor: AdminDep, resources: ResourcesDep
) -> StaffPublic:
    """Disable the account's token now (other api replicas within the token cache TTL)."""
    staff = await crud.revoke_staff(session, staff_id=staff_id, actor=actor)
    resources.tokens.forget(staff.id)
    return StaffPublic.model_validate(staff)
