"""The edge of the action server: malformed calls get a 400, bugs a 500 that echoes nothing.

rasa-sdk's own webhook trusts its body: a tracker without ``sender_id`` or a
JSON array ends in a 500 whose answer echoes the whole request — the person's
messages — back into the Rasa server's logs. This guard checks calls to our
actions before rasa-sdk sees them and answers a malformed one in rasa-sdk's
own rejection shape (``{"error", "action_name"}``, 400). Calls naming an
action we do not have go through untouched, so rasa-sdk answers its usual 404.
"""

from __future__ import annotations

import json
import logging
import traceback
import zlib
from collections.abc import Collection
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

log = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhook"
#: rasa-sdk names its webhook route after the app and the handler.
WEBHOOK_ROUTE: Final = "rasa_sdk.webhook"
#: A tracker with every event of a long conversation stays well below this.
DEFAULT_MAX_BODY_BYTES: Final = 8_000_000

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class MalformedCall(ValueError):
    """The body is not an action call we can run; the message names where, never what."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _TrackerState(_Loose):
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    slots: dict[str, Any] = {}
    latest_message: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []


class ActionCall(_Loose):
    """The part of Rasa's call that the actions rely on; everything else passes as it is."""

    next_action: Name
    sender_id: str | None = None
    tracker: _TrackerState
    domain: dict[str, Any] | None = None
    version: str | None = None


def read_body(body: bytes, encoding: str | None, *, limit: int) -> Any:
    """The JSON of a (possibly deflated) body; decompression stops at ``limit`` bytes."""
    if (encoding or "").lower() == "deflate":
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise MalformedCall("body is not valid deflate data") from exc
        if len(body) > limit or inflater.unconsumed_tail:
            raise MalformedCall("inflated body is too large")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedCall("body is not JSON") from exc


def _where(exc: ValidationError) -> str:
    first = exc.errors(include_input=False)[0]
    path = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{path}: {first['msg']}"


def install(app: Sanic, actions: Collection[str], *, max_body_bytes: int) -> None:
    """Guard ``app``'s webhook: check calls to ``actions``, answer bugs without echoing."""
    app.config.REQUEST_MAX_SIZE = max_body_bytes

    async def check_call(request: Request) -> HTTPResponse | None:
        if request.path != WEBHOOK_PATH or request.method != "POST":
            return None
        request.ctx.action_name = None
        if not _arrived_whole(request):
            return None  # Sanic is answering the error (413, 400) that cut the body short
        try:
            data = read_body(request.body, request.headers.get("content-encoding"),
                             limit=max_body_bytes)
        except MalformedCall as exc:
            return _rejected(f"Invalid body request: {exc}", None)
        name = data.get("next_action") if isinstance(data, dict) else None
        if not isinstance(name, str) or name not in actions:
            # Not ours (or no action at all): rasa-sdk answers as it always does.
            if not isinstance(data, dict):
                return _rejected("Invalid body request: not a JSON object", None)
            return None
        request.ctx.action_name = name
        try:
            ActionCall.model_validate(data)
        except ValidationError as exc:
            return _rejected(f"Invalid body request: {_where(exc)}", name)
        return None

    async def on_error(request: Request, exception: BaseException) -> HTTPResponse:
        name = getattr(request.ctx, "action_name", None)
        if isinstance(exception, SanicException):
            return _http_error(request, exception)
        # A bug: logged by type and stack only, since messages may carry what people wrote.
        stack = "".join(traceback.format_tb(exception.__traceback__))
        log.error("action %s failed with %s\n%s", name, type(exception).__name__, stack)
        return json_response({"error": "the action failed; see the action server's log",
                              "action_name": name}, status=500)

    app.register_middleware(check_call, "request")
    app.error_handler.add(Exception, on_error, route_names=[WEBHOOK_ROUTE])
    # rasa-sdk's catch-all turns a 404 or 405 into a 500; HTTP errors keep their status here.
    app.error_handler.add(SanicException, _http_error)


def _http_error(request: Request, exception: SanicException) -> HTTPResponse:
    name = getattr(request.ctx, "action_name", None)
    return json_response({"error": str(exception), "action_name": name},
                         status=exception.status_code, headers=exception.headers)


def _rejected(message: str, name: str | None) -> HTTPResponse:
    return json_response({"error": message, "action_name": name}, status=400)


def _arrived_whole(request: Request) -> bool:
    """False when the body was announced but not received: Sanic stopped reading it (too large,
    malformed), and runs request middleware again while it answers with the error."""
    if request.body:
        return True
    length = request.headers.get("content-length", "0").strip()
    chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
    return not chunked and (not length.isdigit() or int(length) == 0)
