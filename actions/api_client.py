"""The api over HTTP: the published bundle (with its ETag) and the handoff endpoint.

This is the only place the action server talks to the network. Every failure
— connection refused, timeout, a 5xx, a refused token, an answer of the wrong
shape — becomes :class:`ApiUnavailable`, which the actions turn into a calm
message. Nothing identifying is logged: the conversation id is already a
pseudonym, and it is not logged either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.schema import Flow, Lang, Pack, PackManifest, Priority

log = logging.getLogger(__name__)

BUNDLE_PATH: Final = "/api/v1/bundle"
HANDOFFS_PATH: Final = "/api/v1/handoffs"
#: Rasa waits for the action; a slow api must not hold the person for long.
DEFAULT_TIMEOUT: Final = httpx.Timeout(5.0, connect=2.0)


class ApiUnavailable(Exception):
    """The api could not do what was asked; ``reason`` is for the log, never for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Bundle(BaseModel):
    """``GET /api/v1/bundle``: the published pack and its version (the ETag)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: str
    manifest: PackManifest
    flows: list[Flow]

    def pack(self) -> Pack:
        return Pack(manifest=self.manifest, flows=self.flows)


@dataclass(frozen=True, slots=True)
class FetchedBundle:
    bundle: Bundle
    etag: str | None


class HandoffCreate(BaseModel):
    """``POST /api/v1/handoffs``; the api checks the same limits (8–128 characters, ≤ 200)."""

    conversation: str = Field(pattern=r"^[A-Za-z0-9_-]{8,128}$")
    language: Lang
    intent: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    reason: str = Field(min_length=1, max_length=200)
    priority: Priority = Priority.normal


class _Accepted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ticket_id: str = Field(min_length=1, max_length=200)


class HotlineApi:
    """A client of the api for one action server; the HTTP client is attached at start-up."""

    def __init__(self, base_url: str, token: str | None,
                 client: httpx.AsyncClient | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client
        if not token:
            log.warning("HOTLINE_API_TOKEN is not set: the api will refuse every request")

    def attach(self, client: httpx.AsyncClient) -> None:
        self._client = client

    def detach(self) -> httpx.AsyncClient | None:
        client, self._client = self._client, None
        return client

    async def fetch_bundle(self, etag: str | None = None) -> FetchedBundle | None:
        """The published bundle, or None when it still has ``etag`` (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        response = await self._request("GET", BUNDLE_PATH, headers=headers)
        if response.status_code == 304 and etag:
            return None
        if response.status_code != 200:
            raise self._refused(response, "bundle")
        try:
            bundle = Bundle.model_validate_json(response.content)
        except ValidationError as exc:
            raise ApiUnavailable(f"bundle of an unexpected shape ({exc.error_count()} errors)") \
                from exc
        return FetchedBundle(bundle=bundle, etag=response.headers.get("etag"))

    async def open_handoff(self, request: HandoffCreate, *, idempotency_key: str | None) -> str:
        """Queue the conversation for an advisor; the ticket id. Retries with the same key
        yield the same ticket, so a turn Rasa repeats is not queued twice."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = await self._request("POST", HANDOFFS_PATH, headers=headers,
                                       json=request.model_dump(mode="json"))
        if response.status_code != 202:
            raise self._refused(response, "handoff")
        try:
            return _Accepted.model_validate_json(response.content).ticket_id
        except ValidationError as exc:
            raise ApiUnavailable("handoff answer of an unexpected shape") from exc

    async def _request(self, method: str, path: str, *, headers: dict[str, str],
                       json: object | None = None) -> httpx.Response:
        if self._client is None:
            raise ApiUnavailable("the HTTP client is not started")
        try:
            return await self._client.request(
                method, self._base + path, headers={**self._headers, **headers}, json=json,
            )
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{method} {path}: {type(exc).__name__}") from exc

    @staticmethod
    def _refused(response: httpx.Response, what: str) -> ApiUnavailable:
        status = response.status_code
        if status in (401, 403):
            log.error("the api refused the %s request (%s): check HOTLINE_API_TOKEN", what, status)
        elif status < 500:
            # A 4xx other than auth is a bug on this side (or nothing is published yet).
            log.error("the api answered %s to the %s request", status, what)
        return ApiUnavailable(f"{what}: HTTP {status}")
