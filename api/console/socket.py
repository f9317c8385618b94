"""``/api/v1/console/ws``: the console's live socket (queue views, messages, alerts).

Authenticated like the HTTP endpoints (cookie or Bearer). The browser cannot
be made to send a custom header on a socket, so a cookie-authenticated socket
must come from this very host (``Origin``): otherwise any site the advisor
visits could open one with their cookie (cross-site WebSocket hijacking).
Refusals happen after accepting, so the client sees the close code (4401:
not logged in, 4403: not allowed) instead of a bare failed handshake.

The client's ``ping`` keeps the advisor's presence alive. Closing the socket
does not sign off: a reloading page keeps its chats, and the reaper returns
them only after the grace period.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.console.auth import CONSOLE_ROLES, advisor_id, resolve
from api.console.deps import get_console
from api.console.live import Connection
from api.errors import Unauthenticated
from api.routes.params import API_PREFIX

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX + "/console", tags=["console"])

NOT_AUTHENTICATED = 4401
NOT_ALLOWED = 4403
#: Client frames are tiny; anything larger is not ours.
MAX_FRAME = 1024


def same_origin(socket: WebSocket) -> bool:
    """The page that opened the socket is served by us (``Host``, or the proxy's
    ``X-Forwarded-Host``); no ``Origin`` means no browser, so no hijacking."""
    origin = socket.headers.get("origin")
    if origin is None:
        return True
    hosts = {socket.headers.get("host", ""), socket.headers.get("x-forwarded-host", "")}
    return urlsplit(origin).netloc.lower() in {h.lower() for h in hosts if h}


@router.websocket("/ws")
async def console_socket(socket: WebSocket) -> None:
    await socket.accept()
    try:
        principal, by_cookie = await resolve(socket)
    except Unauthenticated:
        await socket.close(code=NOT_AUTHENTICATED)
        return
    if principal.role not in CONSOLE_ROLES or (by_cookie and not same_origin(socket)):
        await socket.close(code=NOT_ALLOWED)
        return
    console = get_console(socket)
    conn = Connection(socket=socket, principal=principal)
    await console.hub.attach(conn)
    try:
        while not conn.closed:
            received = await socket.receive()
            if received["type"] == "websocket.disconnect":
                break
            frame = received.get("text")
            if not frame or len(frame) > MAX_FRAME:
                continue  # binary or oversized frames are not ours
            try:
                message = json.loads(frame)
            except ValueError:
                continue
            if not isinstance(message, dict) or message.get("type") != "ping":
                continue
            try:
                await resolve(socket)  # the token may have been revoked since
            except Unauthenticated:
                await socket.close(code=NOT_AUTHENTICATED)
                break
            online = await console.service.advisors.heartbeat(advisor_id(principal))
            await conn.send({"type": "pong", "online": online})
    except WebSocketDisconnect:
        pass
    finally:
        console.hub.detach(conn)
