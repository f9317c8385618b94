"""Handoffs reach the real api's queue pseudonymously, at the right priority; failures stay calm."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from actions import texts
from actions.services import CHANNEL
from actions.turn import HANDOFF_SLOT, STATE_SLOT
from api.app import create_app
from flows.schema import Lang
from handoff import keys
from hotline.crypto import Pseudonymizer
from hotline.settings import ActionsSettings, ApiSettings
from tests.actions.conftest import SECRET, ActionServerFactory
from tests.actions.payloads import action_call, user_message
from tests.actions.test_flow_action import run, slot

HANDOFF = "action_hotline_handoff"
FLOW = "action_hotline_flow"
SENDER = "tg-502771234"


async def tickets(redis: Redis) -> list[dict[str, str]]:
    entries = await redis.xrange(keys.HANDOFF_STREAM)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]


@pytest.mark.parametrize(("intent", "priority"), [
    ("urgent_danger", "urgent"), ("serving_soldier", "urgent"), ("summons", "high"),
    ("talk_to_human", "normal"), ("privacy", "normal"),
])
async def test_handoff_priority_follows_the_intent(
    actions_client: httpx.AsyncClient, redis: Redis, intent: str, priority: str,
) -> None:
    latest = user_message("меня задержали на границе прямо сейчас", intent=intent,
                          metadata={"language": "uk"})
    body = await run(actions_client, action_call(HANDOFF, latest, sender=SENDER))

    [ticket] = await tickets(redis)
    assert ticket["priority"] == priority and ticket["intent"] == intent
    assert ticket["language"] == "uk" and ticket["source"] == "service"
    assert ticket["conversation"] == Pseudonymizer(SECRET)(CHANNEL, SENDER)
    assert all(SENDER not in v and "502771234" not in v for v in ticket.values())
    assert all("границе" not in v for v in ticket.values())  # no message text either
    assert slot(body, HANDOFF_SLOT) == ticket["ticket_id"]
    assert [m["text"] for m in body["responses"]] == [texts.HANDOFF_QUEUED[Lang.uk]]


async def test_a_retried_turn_is_queued_once(
    actions_client: httpx.AsyncClient, redis: Redis,
) -> None:
    latest = user_message("позовите человека", intent="talk_to_human", message_id="m-1")
    first = await run(actions_client, action_call(HANDOFF, latest))
    again = await run(actions_client, action_call(HANDOFF, latest))
    assert slot(first, HANDOFF_SLOT) == slot(again, HANDOFF_SLOT)
    other = await run(actions_client, action_call(
        HANDOFF, user_message("позовите человека", intent="talk_to_human", message_id="m-2")))
    assert slot(other, HANDOFF_SLOT) != slot(first, HANDOFF_SLOT)


async def test_urgent_flow_opens_an_urgent_handoff(
    actions_client: httpx.AsyncClient, redis: Redis,
) -> None:
    latest = user_message("I was detained at the border", intent="urgent_danger",
                          metadata={"language": "en"})
    body = await run(actions_client, action_call(FLOW, latest, sender="web-77"))

    [ticket] = await tickets(redis)
    assert ticket["priority"] == "urgent" and ticket["intent"] == "urgent_danger"
    assert ticket["conversation"] == Pseudonymizer(SECRET)(CHANNEL, "web-77") != "web-77"
    assert slot(body, HANDOFF_SLOT) == ticket["ticket_id"]
    assert body["responses"][0]["text"].startswith("I'm here.")
    assert texts.HANDOFF_FAILED[Lang.en] not in [m["text"] for m in body["responses"]]


async def test_asking_for_a_person_mid_flow_queues_at_once(
    actions_client: httpx.AsyncClient, redis: Redis,
) -> None:
    first = await run(actions_client, action_call(
        FLOW, user_message("повестка пришла", intent="summons")))
    human = [b["payload"] for b in first["responses"][-1]["buttons"] if '"h"' in b["payload"]]
    assert human, first["responses"]
    latest = user_message(human[0], intent="hotline_button", confidence=1.0,
                          entities=[{"entity": "hotline_action", "value": "h"}])
    body = await run(actions_client, action_call(
        FLOW, latest, slots={STATE_SLOT: slot(first, STATE_SLOT)}))

    [ticket] = await tickets(redis)
    assert ticket["priority"] == "normal" and ticket["intent"] == "talk_to_human"
    assert slot(body, HANDOFF_SLOT) == ticket["ticket_id"]


# The api unreachable or failing -------------------------------------------------------------


@pytest.fixture
def settings_of_unreachable_api(service_token: str, free_port: int) -> ActionsSettings:
    return ActionsSettings.model_validate({
        "API_URL": f"http://127.0.0.1:{free_port}", "HOTLINE_API_TOKEN": service_token,
        "HOTLINE_SECRET_KEY": SECRET,
    })


@pytest.mark.parametrize("lang", [Lang.ru, Lang.de])
async def test_api_down_gets_a_calm_message(
    action_server: ActionServerFactory, settings_of_unreachable_api: ActionsSettings, lang: Lang,
) -> None:
    # No client injected: the server builds its own at start-up, against a closed port.
    async with action_server(settings_of_unreachable_api) as client:
        latest = user_message("как уехать", intent="leave_country", metadata={"language": lang})
        body = await run(client, action_call(FLOW, latest))
        assert body == {"events": [], "responses": [_message(texts.UNAVAILABLE[lang])]}

        latest = user_message("мне угрожают", intent="urgent_danger", metadata={"language": lang})
        body = await run(client, action_call(HANDOFF, latest))
        assert body["responses"] == [_message(texts.HANDOFF_FAILED[lang])]
        assert slot(body, HANDOFF_SLOT) is None


@pytest.fixture
async def api_without_redis(
    database_url: str, engine: AsyncEngine, free_port: int, published: Any,
) -> Any:
    """The real api whose Redis is gone: the bundle is served from memory, handoffs fail (500)."""
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port}/0", socket_connect_timeout=0.5)
    settings = ApiSettings.model_validate({"DATABASE_URL": database_url,
                                           "REDIS_URL": f"redis://127.0.0.1:{free_port}/0"})
    app: FastAPI = create_app(settings, engine=engine, redis=dead)
    async with app.router.lifespan_context(app):
        yield app
    await dead.aclose()


async def test_api_5xx_on_handoff_keeps_the_flow_and_says_so(
    action_server: ActionServerFactory, actions_settings: ActionsSettings,
    api_without_redis: FastAPI, service_token: str,
) -> None:
    transport = httpx.ASGITransport(app=api_without_redis, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport) as http, \
            action_server(actions_settings, http_client=http) as client:
        r = await http.post("http://api.test/api/v1/handoffs", json={
            "conversation": "probe-conversation", "language": "ru", "reason": "probe"},
            headers={"Authorization": f"Bearer {service_token}"})
        assert r.status_code == 500  # the premise: the api fails, it does not refuse

        latest = user_message("меня задержали", intent="urgent_danger")
        body = await run(client, action_call(FLOW, latest))
        texts_sent = [m["text"] for m in body["responses"]]
        assert texts_sent[0].startswith("Я здесь.")  # the safety information still comes
        assert texts_sent[-1] == texts.HANDOFF_FAILED[Lang.ru]
        assert slot(body, HANDOFF_SLOT) is None and slot(body, STATE_SLOT)


async def test_refused_token_is_a_calm_message(
    action_server: ActionServerFactory, api_http: httpx.AsyncClient,
) -> None:
    settings = ActionsSettings.model_validate({
        "API_URL": "http://api.test", "HOTLINE_API_TOKEN": "hl_forged_token_0000",
        "HOTLINE_SECRET_KEY": SECRET,
    })
    async with action_server(settings, http_client=api_http) as client:
        body = await run(client, action_call(HANDOFF, user_message("help", intent="talk_to_human")))
        assert body["responses"] == [_message(texts.HANDOFF_FAILED[Lang.ru])]


def _message(text: str) -> dict[str, Any]:
    """A text-only message as rasa-sdk's collecting dispatcher records it."""
    return {"text": text, "buttons": [], "elements": [], "custom": {}, "template": None,
            "response": None, "image": None, "attachment": None}
