"""Manifest schema family: the pack-wide settings and UI strings, versioned."""

from __future__ import annotations

import datetime as dt

from api.schemas.common import Input, Output, StaffRef
from api.schemas.flows import Note
from flows.problems import Problem
from flows.schema import PackManifest


class ManifestUpdate(Input):
    document: PackManifest
    note: Note | None = None


class ManifestPublic(Output):
    number: int
    document: PackManifest
    author: StaffRef | None
    created_at: dt.datetime
    note: str | None
    problems: list[Problem] = []
    bundle_version: str | None = None
