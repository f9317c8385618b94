"""The edge: domain errors and malformed requests become HTTP answers here, and only here."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.errors import DomainError, Unauthenticated
from api.schemas.common import pointer

log = logging.getLogger(__name__)


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    detail: Any = exc.detail if exc.detail is not None else exc.message
    return JSONResponse({"detail": detail, "code": exc.code}, exc.status, headers=headers)


def _error_item(error: dict[str, Any]) -> dict[str, Any]:
    loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
    msg = str(error.get("msg", ""))
    ctx = error.get("ctx") or {}
    if error.get("type") == "json_invalid" and isinstance(ctx.get("error"), str):
        msg = f"{msg}: {ctx['error']}"
    return {"loc": loc, "path": pointer(loc), "msg": msg, "type": str(error.get("type", ""))}


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with each error's location; the offending input is not echoed back."""
    assert isinstance(exc, RequestValidationError)
    items = [_error_item(e) for e in exc.errors()]
    return JSONResponse({"detail": items, "code": "invalid_request"}, 422)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug. Logged by type and stack only: messages may carry request content."""
    route = getattr(request.scope.get("route"), "path", "?")
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s %s\n%s", type(exc).__name__, request.method, route, stack)
    return JSONResponse({"detail": "internal error", "code": "internal"}, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
