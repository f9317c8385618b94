"""Staff schema family. A token appears in exactly one response: the one creating it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from api.models import Role
from api.schemas.common import Input, Output

StaffName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w .@+-]+$")]


class StaffCreate(Input):
    name: StaffName
    role: Role


class StaffPublic(Output):
    id: int
    name: str
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class StaffWithToken(StaffPublic):
    #: Shown once; only its hash is stored. Use as ``Authorization: Bearer <token>``.
    token: str


class StaffList(Output):
    data: list[StaffPublic]
    count: int


class Me(Output):
    id: int
    name: str
    role: Role
