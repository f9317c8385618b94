"""The whole editorial story through the HTTP API alone, as an admin team lives it."""

from __future__ import annotations

import asyncio
import json

import httpx
from redis.asyncio import Redis

from api.models import Role
from handoff import keys
from tests.api.conftest import StaffFactory, bearer
from tests.api.factories import flow_doc, manifest, unique

API = "/api/v1"


async def _next_message(pubsub, deadline: float = 5.0) -> str:
    async with asyncio.timeout(deadline):
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                return message["data"].decode()


async def test_edit_review_publish_rollback(
    client: httpx.AsyncClient, make_staff: StaffFactory, admin: dict[str, str], redis: Redis
) -> None:
    alice, alice_token = await make_staff(Role.editor)
    bob, bob_token = await make_staff(Role.editor)
    a, b = bearer(alice_token), bearer(bob_token)
    flow_id = unique("story")

    # The admin puts a manifest in force (a fresh note makes it a new version).
    doc = manifest().model_dump(mode="json")
    doc["review_note"] = f"story {flow_id}"
    r = await client.put(f"{API}/manifest", json={"document": doc}, headers=admin)
    assert r.status_code == 200, r.text

    # Alice creates the flow: version 1, authored by her.
    r = await client.post(f"{API}/flows", json={"document": flow_doc(flow_id, "First")}, headers=a)
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert v1["number"] == 1 and v1["author"]["id"] == alice.id and not v1["published"]

    # Bob approves it, Alice publishes it.
    r = await client.post(f"{API}/flows/{flow_id}/versions/1/approve", headers=b)
    assert r.status_code == 200, r.text
    assert r.json()["approved_by"]["id"] == bob.id
    r = await client.post(f"{API}/flows/{flow_id}/versions/1/publish", headers=a)
    assert r.status_code == 200, r.text
    etag1 = r.json()["bundle_version"]

    # Alice edits: a new immutable version 2 with her as author; version 1 unchanged.
    r = await client.put(
        f"{API}/flows/{flow_id}",
        json={"document": flow_doc(flow_id, "Second"), "note": "reworded", "base_version": 1},
        headers=a,
    )
    assert r.status_code == 200, r.text
    assert r.json()["number"] == 2 and r.json()["author"]["name"] == alice.name
    r = await client.get(f"{API}/flows/{flow_id}/versions/1", headers=a)
    assert r.json()["document"]["steps"]["hello"]["text"]["en"] == "First [en]"
    r = await client.get(f"{API}/flows/{flow_id}", headers=a)
    assert r.json()["latest_version"] == 2 and r.json()["published_version"] == 1

    # The diff names exactly what changed.
    r = await client.get(f"{API}/flows/{flow_id}/diff", params={"from": 1, "to": 2}, headers=a)
    assert r.status_code == 200, r.text
    changes = {c["path"]: c for c in r.json()["changes"]}
    assert changes["/steps/hello/text/en"] == {
        "op": "replace", "path": "/steps/hello/text/en",
        "before": "First [en]", "after": "Second [en]",
    }
    assert len(changes) == len(flow_doc(flow_id)["title"])
    assert "-" in r.json()["unified"] and "+" in r.json()["unified"]

    # Two-person rule: Alice cannot approve her own version nor publish it unapproved.
    r = await client.post(f"{API}/flows/{flow_id}/versions/2/approve", headers=a)
    assert r.status_code == 403 and r.json()["code"] == "self_approval"
    r = await client.post(f"{API}/flows/{flow_id}/versions/2/publish", headers=a)
    assert r.status_code == 409 and r.json()["code"] == "approval_required"

    r = await client.get(f"{API}/bundle", headers=a)
    assert r.status_code == 200 and r.headers["etag"] == f'"{etag1}"'
    before = r.json()
    assert before["version"] == etag1

    # Bob approves; Alice publishes; the bundle changes and the bots are told.
    r = await client.post(f"{API}/flows/{flow_id}/versions/2/approve", headers=b)
    assert r.status_code == 200, r.text
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(keys.FLOWS_PUBLISHED_CHANNEL)
        r = await client.post(f"{API}/flows/{flow_id}/versions/2/publish", headers=a)
        assert r.status_code == 200, r.text
        etag2 = r.json()["bundle_version"]
        assert etag2 != etag1
        assert await _next_message(pubsub) == etag2
    assert (await redis.get(keys.FLOWS_ETAG)).decode() == etag2

    r = await client.get(f"{API}/bundle", headers=a)
    assert r.status_code == 200 and r.headers["etag"] == f'"{etag2}"'
    bundle = json.loads(r.content)
    assert bundle["version"] == etag2
    ours = [f for f in bundle["flows"] if f["id"] == flow_id]
    assert ours[0]["steps"]["hello"]["text"]["en"] == "Second [en]"
    assert bundle["manifest"]["review_note"] == f"story {flow_id}"
    r = await client.get(f"{API}/bundle", headers={**a, "If-None-Match": f'"{etag2}"'})
    assert r.status_code == 304 and r.content == b""
    r = await client.get(f"{API}/bundle", headers={**a, "If-None-Match": f'"{etag1}"'})
    assert r.status_code == 200

    # Roll back: version 1 is served again, and the bundle is byte-for-byte what it was.
    r = await client.post(f"{API}/flows/{flow_id}/rollback", json={}, headers=a)
    assert r.status_code == 200, r.text
    assert r.json()["published_version"] == 1 and r.json()["bundle_version"] == etag1
    r = await client.get(f"{API}/bundle", headers=a)
    assert r.json() == before

    # The audit log holds every step, with actor, action and version, in order.
    r = await client.get(f"{API}/audit", params={"flow_id": flow_id, "limit": 50}, headers=admin)
    assert r.status_code == 200, r.text
    entries = [(e["actor_id"], e["action"], e["version"]) for e in reversed(r.json()["data"])]
    assert entries == [
        (alice.id, "flow.create", 1),
        (bob.id, "version.approve", 1),
        (alice.id, "version.publish", 1),
        (alice.id, "flow.update", 2),
        (bob.id, "version.approve", 2),
        (alice.id, "version.publish", 2),
        (alice.id, "flow.rollback", 1),
    ]
    assert r.json()["count"] == len(entries)
    r = await client.get(f"{API}/audit", params={"action": "manifest.update"}, headers=admin)
    assert any(e["actor_name"].startswith("admin") for e in r.json()["data"])
