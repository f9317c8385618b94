"""``POST /handoffs``: a ticket on the Redis stream, idempotent by id, nothing identifying kept."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from api.models import Role
from handoff import keys
from handoff.tickets import TicketRequest
from tests.api.conftest import StaffFactory, bearer

API = "/api/v1"
BODY = {"conversation": "c0nv-ersation_1", "language": "uk", "intent": "summons",
        "reason": "wants a person", "priority": "high"}


async def test_service_opens_a_ticket(
    client: httpx.AsyncClient, make_staff: StaffFactory, redis: Redis
) -> None:
    _, token = await make_staff(Role.service)
    r = await client.post(f"{API}/handoffs", json=BODY, headers=bearer(token))
    assert r.status_code == 202, r.text
    ticket = r.json()["ticket_id"]
    entries = await redis.xrange(keys.HANDOFF_STREAM)
    fields = {k.decode(): v.decode() for k, v in entries[-1][1].items()}
    assert fields["ticket_id"] == ticket and fields["conversation"] == BODY["conversation"]
    assert fields["priority"] == "high" and fields["language"] == "uk"
    assert fields["source"] == "service"


async def test_idempotency_key_is_the_ticket_id(
    client: httpx.AsyncClient, make_staff: StaffFactory, redis: Redis
) -> None:
    service, token = await make_staff(Role.service)
    other, other_token = await make_staff(Role.service)
    headers = {**bearer(token), "Idempotency-Key": "retry-key-0001"}
    first = await client.post(f"{API}/handoffs", json=BODY, headers=headers)
    second = await client.post(f"{API}/handoffs", json=BODY, headers=headers)
    assert first.json() == second.json() == {"ticket_id": f"{service.id}-retry-key-0001"}
    third = await client.post(f"{API}/handoffs", json=BODY,
                              headers={**bearer(other_token), "Idempotency-Key": "retry-key-0001"})
    assert third.json()["ticket_id"] != first.json()["ticket_id"]
    entries = await redis.xrange(keys.HANDOFF_STREAM)
    assert TicketRequest.from_stream(entries[-1][1]).id == third.json()["ticket_id"]
    r = await client.post(f"{API}/handoffs", json=BODY,
                          headers={**bearer(token), "Idempotency-Key": "no"})
    assert r.status_code == 422


async def test_staff_handoff_is_audited_without_the_conversation(
    client: httpx.AsyncClient, make_staff: StaffFactory, admin: dict[str, str]
) -> None:
    advisor, token = await make_staff(Role.advisor)
    r = await client.post(f"{API}/handoffs", json=BODY, headers=bearer(token))
    assert r.status_code == 202
    r = await client.get(f"{API}/audit", params={"actor_id": advisor.id}, headers=admin)
    entries = r.json()["data"]
    assert [e["action"] for e in entries] == ["handoff.open"]
    assert BODY["conversation"] not in r.text and BODY["reason"] not in r.text


@pytest.mark.parametrize("change", [
    {"conversation": "short"}, {"conversation": "has space in it"}, {"conversation": 12345678},
    {"language": "fr"}, {"priority": "whenever"}, {"reason": "x" * 201}, {"reason": ""},
    {"intent": "Not An Intent"}, {"reason": "nul\x00"}, {"telegram_id": 42},
])
async def test_bad_handoffs_are_422(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, object]
) -> None:
    r = await client.post(f"{API}/handoffs", json={**BODY, **change}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"].startswith("/body")
