"""Pieces every schema family shares: strictness, safe text, pagination, problems."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

#: PostgreSQL int4; path and query ids beyond it are refused as 422, not passed to SQL.
MAX_INT = 2**31 - 1
MAX_PAGE = 200


def has_unstorable_text(value: str) -> bool:
    """NUL and lone surrogates cannot be stored by PostgreSQL (text or jsonb): refuse them."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _storable(value: str) -> str:
    if has_unstorable_text(value):
        raise ValueError("text contains NUL or unpaired surrogate characters")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError("date out of range") from exc


SafeText = Annotated[str, AfterValidator(_storable)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
IntId = Annotated[int, Field(ge=1, le=MAX_INT)]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Field(ge=0, le=MAX_INT)]


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Base of response bodies, built from ORM objects or dicts."""

    model_config = ConfigDict(from_attributes=True)


class StaffRef(Output):
    id: int
    name: str


class ErrorItem(BaseModel):
    """One entry of a 422: ``loc`` as FastAPI gives it, ``path`` as a JSON pointer."""

    loc: list[str | int]
    path: str
    msg: str
    type: str
    severity: Literal["error", "warning"] = "error"


class ErrorBody(BaseModel):
    """What every error answer looks like."""

    detail: str | list[ErrorItem]
    code: str | None = None


def pointer(parts: list[Any] | tuple[Any, ...]) -> str:
    """RFC 6901 JSON pointer of a location."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "".join("/" + p for p in escaped)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "The token's role may not do this"},
    413: {"description": "Body larger than the configured limit"},
    422: {"model": ErrorBody, "description": "Malformed request; each error has its path"},
}
