"""Flow schema family: what editors send and what they get back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from api.models import FlowRecord, FlowVersion
from api.schemas.common import Input, IntId, Output, SafeText, StaffRef
from flows.problems import Problem
from flows.schema import Flow

Note = Annotated[SafeText, Field(max_length=500)]


class FlowCreate(Input):
    """A new flow; its id is ``document.id``."""

    document: Flow
    note: Note | None = None


class FlowUpdate(Input):
    """A new version of an existing flow. ``base_version`` guards against lost updates."""

    document: Flow
    note: Note | None = None
    base_version: IntId | None = Field(
        default=None, description="The version this edit started from; 409 if no longer latest"
    )


class RollbackRequest(Input):
    """Go back to an earlier published version (default: the one published before the current)."""

    to_version: IntId | None = None


class FlowVersionSummary(Output):
    flow_id: str
    number: int
    author: StaffRef | None
    created_at: dt.datetime
    note: str | None
    content_hash: str
    approved_by: StaffRef | None
    approved_at: dt.datetime | None
    last_published_at: dt.datetime | None
    published: bool = False

    @classmethod
    def of(cls, version: FlowVersion, flow: FlowRecord) -> FlowVersionSummary:
        out = cls.model_validate(version)
        out.published = flow.published_version == version.number
        return out


class FlowVersionPublic(FlowVersionSummary):
    document: Flow
    #: Warnings from validation (errors never get this far: they are a 422).
    problems: list[Problem] = Field(default_factory=list)

    @classmethod
    def of(
        cls, version: FlowVersion, flow: FlowRecord, problems: list[Problem] | None = None
    ) -> FlowVersionPublic:
        out = cls.model_validate(version)
        out.published = flow.published_version == version.number
        out.problems = problems or []
        return out


class FlowVersionsPublic(Output):
    data: list[FlowVersionSummary]
    count: int


class FlowSummary(Output):
    id: str
    created_at: dt.datetime
    latest_version: int
    published_version: int | None
    published_at: dt.datetime | None


class FlowsPublic(Output):
    data: list[FlowSummary]
    count: int


class FlowPublic(FlowSummary):
    """A flow with its newest version in full."""

    latest: FlowVersionPublic


class DiffChange(Output):
    op: Literal["add", "remove", "replace"]
    path: str
    before: Any = None
    after: Any = None


class FlowDiff(Output):
    flow_id: str
    from_version: int
    to_version: int
    changes: list[DiffChange]
    #: The same difference as a unified diff of the pretty-printed documents.
    unified: str


class PublishResult(Output):
    flow_id: str
    published_version: int | None
    #: The bundle's new ETag value.
    bundle_version: str | None
