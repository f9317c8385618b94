"""Presence with a TTL, and the chats of a vanished advisor back in the queue after grace."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff.advisors import AdvisorPresence, Advisors
from handoff.ownership import HolderKind
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Priority, TicketState
from tests.handoff.conftest import T0, RequestFactory, on_duty


async def test_register_and_heartbeat(advisors: Advisors) -> None:
    assert not await advisors.heartbeat("anna", now=T0)  # never registered
    await on_duty(advisors, "anna", "ru", "de", capacity=4)
    assert await advisors.heartbeat("anna", now=T0 + 10)
    presence = await advisors.get("anna")
    assert presence == AdvisorPresence(id="anna", languages=frozenset({Language.ru, Language.de}),
                                       capacity=4)
    assert await advisors.get("nobody") is None


@pytest.mark.parametrize("bad", [
    {"id": "has:colon", "languages": {"ru"}}, {"id": "anna", "languages": set()},
    {"id": "anna", "languages": {"fr"}}, {"id": "anna", "languages": {"ru"}, "capacity": 0},
    {"id": "anna", "languages": {"ru"}, "capacity": 10_000}, {"id": "", "languages": {"ru"}},
])
def test_presence_is_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AdvisorPresence.model_validate(bad)


async def test_absent_advisors_chats_return_after_the_grace(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna", now=T0)  # presence until T0+30
    await on_duty(advisors, "boris", now=T0)
    first = (await queue.enqueue(make_request("person-a1", priority="high", at=0),
                                 now=T0)).ticket_id
    second = (await queue.enqueue(make_request("person-a2", at=1), now=T0)).ticket_id
    await queue.enqueue(make_request("person-newer", at=20), now=T0 + 20)
    await queue.claim(first, "anna", now=T0 + 5)
    await queue.claim(second, "anna", now=T0 + 5)
    await advisors.heartbeat("boris", now=T0 + 140)  # boris stays, anna went silent
    # Presence expired at T0+30; the grace runs until T0+150.
    assert await queue.reap_absent_advisors(now=T0 + 149) == []
    assert (await queue.holder("person-a1")).advisor == "anna"
    back = await queue.reap_absent_advisors(now=T0 + 151)
    assert sorted(back) == sorted([first, second])
    waiting = await queue.waiting()
    # Original priority and first-come place kept: high first, then person-a2 before newer.
    assert [t.conversation for t in waiting] == ["person-a1", "person-a2", "person-newer"]
    assert waiting[0].priority is Priority.high and waiting[0].state is TicketState.queued
    assert (await queue.holder("person-a1")).kind is HolderKind.queued
    assert await advisors.chats("anna") == [] and await advisors.get("anna") is None
    assert await queue.reap_absent_advisors(now=T0 + 1000) == []  # boris expired, held nothing


async def test_reregistering_within_the_grace_keeps_the_chats(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna", now=T0)
    ticket = (await queue.enqueue(make_request("person-kept"), now=T0)).ticket_id
    await queue.claim(ticket, "anna", now=T0 + 5)
    await on_duty(advisors, "anna", now=T0 + 100)  # the browser reconnected
    assert await queue.reap_absent_advisors(now=T0 + 200) == []
    assert await advisors.chats("anna") == [ticket]


async def test_sign_off_returns_chats_at_once(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna")
    ticket = (await queue.enqueue(make_request("person-leaving"), now=T0)).ticket_id
    await queue.claim(ticket, "anna", now=T0 + 5)
    assert await queue.sign_off("anna", now=T0 + 10) == [ticket]
    assert await advisors.get("anna") is None
    assert (await queue.holder("person-leaving")).kind is HolderKind.queued
