"""The bundle cache against the real api: one fetch, ETag revalidation (304), stale over nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from actions.api_client import ApiUnavailable, HotlineApi
from actions.flow_source import FlowSource
from tests.actions.conftest import API_BASE


class Clock:
    """Time that moves only when the test says so (tests never wait on the real clock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def recorded(api_app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    """A client of the real api that records the status of every answer."""
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(transport=transport,
                                 event_hooks={"response": [record]}) as client:
        yield client, statuses


async def test_bundle_is_fetched_once_then_revalidated(
    recorded: tuple[httpx.AsyncClient, list[int]], service_token: str, free_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, statuses = recorded
    clock = Clock()
    api = HotlineApi(API_BASE, service_token, client)
    source = FlowSource(api, max_age=5.0, clock=clock)

    engine = await source.engine()
    assert statuses == [200] and source.version is not None
    assert engine.flow_for("leave_country") == "leave_country"
    assert await source.engine() is engine and statuses == [200]  # fresh: no request

    clock.now += 5.0
    assert await source.engine() is engine
    assert statuses == [200, 304]  # revalidated with If-None-Match, nothing rebuilt

    # The api goes away: the flows already loaded keep being served.
    async with httpx.AsyncClient(proxy=f"http://127.0.0.1:{free_port}") as dead:
        api.attach(dead)  # every request now fails to connect
        clock.now += 5.0
        assert await source.engine() is engine
    assert "bundle not revalidated (GET /api/v1/bundle: ConnectError)" in caplog.text


async def test_without_any_bundle_the_api_is_unavailable(free_port: int) -> None:
    async with httpx.AsyncClient() as client:
        source = FlowSource(HotlineApi(f"http://127.0.0.1:{free_port}", "t", client))
        with pytest.raises(ApiUnavailable):
            await source.engine()


async def test_refused_token_is_unavailable(
    recorded: tuple[httpx.AsyncClient, list[int]],
) -> None:
    client, statuses = recorded
    source = FlowSource(HotlineApi(API_BASE, None, client))
    with pytest.raises(ApiUnavailable, match="401"):
        await source.engine()
    assert statuses == [401]


async def test_unstarted_client_is_unavailable() -> None:
    with pytest.raises(ApiUnavailable, match="not started"):
        await HotlineApi(API_BASE, "t").fetch_bundle()


async def test_after_a_failure_the_api_is_asked_again_only_after_max_age(
    recorded: tuple[httpx.AsyncClient, list[int]], service_token: str, free_port: int,
) -> None:
    client, statuses = recorded
    clock = Clock()
    api = HotlineApi(API_BASE, service_token)
    source = FlowSource(api, max_age=5.0, clock=clock)
    async with httpx.AsyncClient(proxy=f"http://127.0.0.1:{free_port}") as dead:
        api.attach(dead)
        with pytest.raises(ApiUnavailable, match="ConnectError"):
            await source.engine()
        api.attach(client)  # the api is back, but the failure is remembered for max_age
        with pytest.raises(ApiUnavailable, match="a moment ago"):
            await source.engine()
        assert statuses == []
        clock.now += 5.0
        assert (await source.engine()).flow_for("summons") == "summons"
        assert statuses == [200]
