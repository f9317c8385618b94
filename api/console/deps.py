"""How routes reach the console's resources (built in the lifespan, kept on ``app.state``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from api.console.live import LiveHub
from api.console.service import ConsoleService


@dataclass(frozen=True)
class Console:
    service: ConsoleService
    hub: LiveHub


def get_console(conn: HTTPConnection) -> Console:
    console: Console = conn.app.state.console
    return console


def get_service(conn: HTTPConnection) -> ConsoleService:
    return get_console(conn).service


ServiceDep = Annotated[ConsoleService, Depends(get_service)]
