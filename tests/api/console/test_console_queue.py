"""Presence, the queue view and claiming: what an advisor sees and which "take" wins."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from api.models import Role
from handoff.relay import RelayKind
from tests.api.console.conftest import CONSOLE, Advisor, Enqueue, relayed


async def test_me_and_presence(client: httpx.AsyncClient, advisor: Advisor) -> None:
    headers = await advisor(None)
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert me["presence"] is None and me["role"] == "advisor" and me["id"].isdigit()
    r = await client.put(f"{CONSOLE}/presence", headers=headers,
                         json={"languages": ["uk", "ru", "ru"], "capacity": 2})
    assert r.status_code == 200
    assert r.json() == {"languages": ["ru", "uk"], "capacity": 2}
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert me["presence"] == {"languages": ["ru", "uk"], "capacity": 2}
    assert (await client.delete(f"{CONSOLE}/presence", headers=headers)).status_code == 204
    assert (await client.get(f"{CONSOLE}/me", headers=headers)).json()["presence"] is None


@pytest.mark.parametrize("body", [
    {"languages": [], "capacity": 1}, {"languages": ["xx"]}, {"languages": "ru"},
    {"languages": ["ru"], "capacity": 0}, {"languages": ["ru"], "capacity": 21},
    {"languages": ["ru"], "capacity": "3"}, {"languages": ["ru"], "capacity": 2.5},
    {"languages": ["ru"], "extra": True}, {}, [], "ru",
])
async def test_bad_presence_is_422(client: httpx.AsyncClient, advisor: Advisor,
                                   body: object) -> None:
    headers = await advisor(None)
    r = await client.put(f"{CONSOLE}/presence", headers=headers, json=body)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], list)


async def test_malformed_json_is_422(client: httpx.AsyncClient, advisor: Advisor) -> None:
    headers = await advisor(None) | {"content-type": "application/json"}
    r = await client.put(f"{CONSOLE}/presence", headers=headers, content=b'{"languages": [')
    assert r.status_code == 422


async def test_queue_view_online_and_offline(client: httpx.AsyncClient, advisor: Advisor,
                                             enqueue: Enqueue) -> None:
    ru, ru_conv = await enqueue("ru")
    urgent, _ = await enqueue("ru", priority="urgent")
    de, _ = await enqueue("de")
    offline = await advisor(None)
    view = (await client.get(f"{CONSOLE}/queue", headers=offline)).json()
    assert view["online"] is False and view["capacity"] == 0 and view["mine"] == []
    assert [t["id"] for t in view["waiting"]][:2] == [urgent, ru]
    assert de in {t["id"] for t in view["waiting"]} and view["waiting_total"] == 3
    online = await advisor(["ru"], capacity=2)
    view = (await client.get(f"{CONSOLE}/queue", headers=online)).json()
    assert view["online"] is True and view["capacity"] == 2 and view["open_chats"] == 0
    assert [t["id"] for t in view["waiting"]] == [urgent, ru]
    assert view["waiting_total"] == 2
    first = view["waiting"][0]
    assert first["urgent"] is True and first["priority"] == "urgent"
    assert first["state"] == "queued" and first["advisor"] is None
    assert first["overdue"] is False and first["waited_seconds"] >= 0
    assert first["reason"] == "asked for a person" and first["intent"] == "summons"
    assert set(first) == {"id", "language", "priority", "urgent", "reason", "intent", "channel",
                          "created", "queued_at", "waited_seconds", "state", "advisor",
                          "overdue"}
    assert ru_conv not in (await client.get(f"{CONSOLE}/queue", headers=online)).text


async def test_queue_view_sends_fifty_and_the_total(client: httpx.AsyncClient, advisor: Advisor,
                                                    enqueue: Enqueue) -> None:
    for _ in range(55):
        await enqueue("be")
    headers = await advisor(["be"])
    view = (await client.get(f"{CONSOLE}/queue", headers=headers)).json()
    assert len(view["waiting"]) == 50 and view["waiting_total"] == 55


async def test_claim_next_takes_the_most_urgent_and_tells_the_person(
    client: httpx.AsyncClient, advisor: Advisor, enqueue: Enqueue, redis: Redis
) -> None:
    headers = await advisor(["ru"])
    assert (await client.post(f"{CONSOLE}/tickets/claim-next", headers=headers)
            ).status_code == 204
    await enqueue("ru")
    urgent, _ = await enqueue("ru", priority="urgent")
    r = await client.post(f"{CONSOLE}/tickets/claim-next", headers=headers)
    assert r.status_code == 200
    me = (await client.get(f"{CONSOLE}/me", headers=headers)).json()
    assert r.json()["id"] == urgent and r.json()["state"] == "held"
    assert r.json()["advisor"] == me["name"]
    messages = [m for m in await relayed(redis) if m.ticket == urgent]
    assert [m.kind for m in messages] == [RelayKind.claimed]
    assert messages[0].chat == "sealed-chat-ref" and messages[0].text is None
    view = (await client.get(f"{CONSOLE}/queue", headers=headers)).json()
    assert [t["id"] for t in view["mine"]] == [urgent] and view["open_chats"] == 1


async def test_claim_is_idempotent_for_the_holder(client: httpx.AsyncClient, advisor: Advisor,
                                                  enqueue: Enqueue, redis: Redis) -> None:
    headers = await advisor(["ru"])
    ticket, _ = await enqueue("ru")
    for _ in range(2):
        r = await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
        assert r.status_code == 200
    assert [m.kind for m in await relayed(redis) if m.ticket == ticket] == [RelayKind.claimed]


async def test_claim_refusals(client: httpx.AsyncClient, advisor: Advisor,
                              enqueue: Enqueue) -> None:
    anna = await advisor(["ru"], capacity=1)
    boris = await advisor(["ru", "uk"], capacity=1)
    first, _ = await enqueue("ru")
    second, _ = await enqueue("ru")
    uk, _ = await enqueue("uk")
    assert (await client.post(f"{CONSOLE}/tickets/{first}/claim", headers=anna)
            ).status_code == 200
    r = await client.post(f"{CONSOLE}/tickets/{first}/claim", headers=boris)
    assert (r.status_code, r.json()["code"]) == (409, "taken")
    assert r.json()["detail"]
    r = await client.post(f"{CONSOLE}/tickets/{second}/claim", headers=anna)
    assert (r.status_code, r.json()["code"]) == (409, "capacity")
    r = await client.post(f"{CONSOLE}/tickets/{uk}/claim", headers=anna)
    assert r.status_code in (403, 409)  # at capacity or not her language: refused either way
    carl = await advisor(["ru"])
    r = await client.post(f"{CONSOLE}/tickets/{uk}/claim", headers=carl)
    assert (r.status_code, r.json()["code"]) == (403, "language")
    offline = await advisor(None)
    r = await client.post(f"{CONSOLE}/tickets/{second}/claim", headers=offline)
    assert (r.status_code, r.json()["code"]) == (409, "absent")
    r = await client.post(f"{CONSOLE}/tickets/claim-next", headers=offline)
    assert (r.status_code, r.json()["code"]) == (409, "absent")


@pytest.mark.parametrize("forged", ["nope", "a" * 128, "x%20y", "..%2F..%2Fetc", "0", "ü"])
async def test_forged_ticket_ids_are_404(client: httpx.AsyncClient, advisor: Advisor,
                                         forged: str) -> None:
    headers = await advisor(["ru"])
    for method, suffix, body in [("POST", "/claim", None), ("GET", "", None),
                                 ("POST", "/reply", {"text": "hi"}),
                                 ("POST", "/notes", {"text": "hi"}),
                                 ("POST", "/transfer", {"language": "uk"}),
                                 ("POST", "/hand-back", None),
                                 ("POST", "/close", {"outcome": "resolved"})]:
        r = await client.request(method, f"{CONSOLE}/tickets/{forged}{suffix}", headers=headers,
                                 json=body)
        assert r.status_code == 404, (method, suffix, r.text)


async def test_admins_may_use_the_console(client: httpx.AsyncClient, advisor: Advisor,
                                          enqueue: Enqueue) -> None:
    headers = await advisor(["en"], role=Role.admin)
    ticket, _ = await enqueue("en")
    r = await client.post(f"{CONSOLE}/tickets/{ticket}/claim", headers=headers)
    assert r.status_code == 200


async def test_outcomes(client: httpx.AsyncClient, advisor: Advisor) -> None:
    r = await client.get(f"{CONSOLE}/outcomes", headers=await advisor(None))
    assert r.json() == ["resolved", "information_given", "referred", "no_reply", "abusive",
                        "other"]
