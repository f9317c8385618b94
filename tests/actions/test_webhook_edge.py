"""The webhook's edge: unknown actions, malformed and compressed bodies, bugs that echo nothing."""

from __future__ import annotations

import json
import zlib
from typing import Any

import httpx
import pytest

from actions.flow_source import FlowSource
from hotline.settings import ActionsSettings
from tests.actions.conftest import ActionServerFactory
from tests.actions.payloads import action_call, user_message

FLOW = "action_hotline_flow"


def call(**tracker_changes: Any) -> dict[str, Any]:
    body = action_call(FLOW, user_message("как уехать", intent="leave_country"))
    body["tracker"].update(tracker_changes)
    return body


async def test_unknown_action_is_rasa_sdks_404(actions_client: httpx.AsyncClient) -> None:
    body = action_call("action_does_not_exist", user_message("hi", intent="greet"))
    r = await actions_client.post("/webhook", json=body)
    assert r.status_code == 404
    assert r.json() == {"error": "No registered action found for name 'action_does_not_exist'.",
                        "action_name": "action_does_not_exist"}


@pytest.mark.parametrize(("content", "where"), [
    (b"{not json", "body is not JSON"),
    (b"", "body is not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b"\xff\xfe", "body is not JSON"),
])
async def test_unparsable_body_is_400(
    actions_client: httpx.AsyncClient, content: bytes, where: str,
) -> None:
    r = await actions_client.post("/webhook", content=content,
                                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"error": f"Invalid body request: {where}", "action_name": None}


@pytest.mark.parametrize(("change", "where"), [
    ({"tracker": None}, "tracker"),
    ({"tracker": {"slots": {}}}, "tracker.sender_id"),
    ({"tracker": {"sender_id": ""}}, "tracker.sender_id"),
    ({"tracker": {"sender_id": 12345}}, "tracker.sender_id"),
    ({"tracker": {"sender_id": "x", "slots": ["a"]}}, "tracker.slots"),
    ({"tracker": {"sender_id": "x", "events": "many"}}, "tracker.events"),
    ({"tracker": {"sender_id": "x", "latest_message": "hello"}}, "tracker.latest_message"),
    ({"domain": ["not", "a", "mapping"]}, "domain"),
    ({"next_action": "action_hotline_flow", "sender_id": {"a": 1}}, "sender_id"),
])
async def test_malformed_call_is_400_with_its_place(
    actions_client: httpx.AsyncClient, change: dict[str, Any], where: str,
) -> None:
    body = {**action_call(FLOW, user_message("secret text", intent="greet")), **change}
    r = await actions_client.post("/webhook", json=body)
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["action_name"] == FLOW
    assert answer["error"].startswith(f"Invalid body request: {where}:")
    assert "secret text" not in r.text


async def test_odd_but_wellformed_trackers_still_get_an_answer(
    actions_client: httpx.AsyncClient,
) -> None:
    """Rasa fills what it knows; a person fills metadata and entities. Neither may crash us."""
    weird = user_message("/hotline_button{broken", intent="hotline_button", confidence=7.5,
                         entities=[{"entity": 3}, {"no": "entity"}],
                         metadata={"language": ["ru"], "lang": "klingon"})
    weird["intent_ranking"] = [{"name": None}, "x", {"name": "greet", "confidence": "high"}]
    for latest in (weird, {}, {"intent": "greet", "text": None, "entities": None}):
        body = action_call(FLOW, latest)
        r = await actions_client.post("/webhook", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["responses"], latest


async def test_huge_text_is_answered(actions_client: httpx.AsyncClient) -> None:
    body = action_call(FLOW, user_message("а" * 4096 * 20, intent="nlu_fallback"))
    r = await actions_client.post("/webhook", json=body)
    assert r.status_code == 200 and r.json()["responses"]


async def test_deflated_body_is_read(actions_client: httpx.AsyncClient) -> None:
    raw = json.dumps(call()).encode()
    r = await actions_client.post("/webhook", content=zlib.compress(raw),
                                  headers={"Content-Encoding": "deflate",
                                           "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["responses"]


async def test_bad_deflate_and_deflate_bombs_are_400(
    action_server: ActionServerFactory, actions_settings: ActionsSettings,
    api_http: httpx.AsyncClient,
) -> None:
    async with action_server(actions_settings, http_client=api_http,
                             max_body_bytes=100_000) as client:
        headers = {"Content-Encoding": "deflate", "Content-Type": "application/json"}
        r = await client.post("/webhook", content=b"not deflate", headers=headers)
        assert r.status_code == 400 and "deflate" in r.json()["error"]
        bomb = zlib.compress(b"[" + b" " * 10_000_000 + b"]", 9)
        assert len(bomb) < 100_000
        r = await client.post("/webhook", content=bomb, headers=headers)
        assert r.status_code == 400 and "too large" in r.json()["error"]
        r = await client.post("/webhook", content=b" " * 200_000)
        assert r.status_code == 413, r.text


async def test_a_bug_is_500_without_echo(
    actions_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: FlowSource) -> Any:
        raise RuntimeError("something about как уехать")

    monkeypatch.setattr(FlowSource, "engine", broken)
    r = await actions_client.post("/webhook", json=call())
    assert r.status_code == 500
    assert r.json() == {"error": "the action failed; see the action server's log",
                        "action_name": FLOW}
    assert "уехать" not in r.text and "tg-" not in r.text


async def test_other_paths_are_json_404(actions_client: httpx.AsyncClient) -> None:
    r = await actions_client.get("/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    r = await actions_client.get("/webhook")
    assert r.status_code == 405
