"""Audit log schema family: read-only, for admins."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import IntId, Limit, Offset, Output, UtcDatetime
from flows.schema import Identifier


class Action(StrEnum):
    """Every kind of staff write the api records."""

    flow_create = "flow.create"
    flow_update = "flow.update"
    version_approve = "version.approve"
    version_publish = "version.publish"
    flow_rollback = "flow.rollback"
    flow_import = "flow.import"
    manifest_update = "manifest.update"
    manifest_import = "manifest.import"
    pack_import = "pack.import"
    staff_create = "staff.create"
    staff_revoke = "staff.revoke"
    handoff_open = "handoff.open"
    console_login = "console.login"
    console_logout = "console.logout"
    console_online = "console.online"
    console_offline = "console.offline"
    console_claim = "console.claim"
    console_read = "console.read"
    console_reply = "console.reply"
    console_note = "console.note"
    console_transfer = "console.transfer"
    console_hand_back = "console.hand_back"
    console_close = "console.close"
    canned_create = "canned.create"
    canned_update = "canned.update"
    canned_delete = "canned.delete"


class AuditQuery(BaseModel):
    """Filters of ``GET /audit``; unknown query parameters are refused."""

    model_config = ConfigDict(extra="forbid")

    actor_id: IntId | None = None
    action: Action | None = None
    flow_id: Identifier | None = None
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    limit: Limit = 50
    offset: Offset = 0


class AuditEntryPublic(Output):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    action: str
    flow_id: str | None
    version: int | None
    detail: dict[str, Any] = Field(default_factory=dict)


class AuditPage(Output):
    data: list[AuditEntryPublic]
    count: int
