"""Liveness, readiness and Prometheus metrics, at the root and without a token."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import ResourcesDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])
PING_TIMEOUT = 2.0


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    postgres: str
    redis: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (it answers); says nothing about its servers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(resources: ResourcesDep) -> JSONResponse:
    """PostgreSQL and Redis both answer: take traffic. 503 otherwise."""

    async def pg() -> str:
        async with resources.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "ok"

    async def rd() -> str:
        await resources.redis.ping()
        return "ok"

    results: dict[str, str] = {}
    for name, probe in (("postgres", pg), ("redis", rd)):
        try:
            results[name] = await asyncio.wait_for(probe(), PING_TIMEOUT)
        except (SQLAlchemyError, RedisError, OSError, TimeoutError) as exc:
            log.warning("readyz: %s down (%s)", name, type(exc).__name__)
            results[name] = "down"
    ok = all(v == "ok" for v in results.values())
    body = Readiness(status="ok" if ok else "unavailable", **results)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")
