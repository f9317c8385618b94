"""Ownership moves with the queue: transfer, back to the queue, hand back, close, erase."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.advisors import Advisors
from handoff.errors import (
    AdvisorAbsent,
    AtCapacity,
    InvalidOutcome,
    LanguageMismatch,
    NoSuchTicket,
    NotHolder,
)
from handoff.ownership import BOT, QUEUED, Holder, HolderKind, holders
from handoff.queue import EnqueueStatus, HandoffQueue
from handoff.tickets import Language, TicketState
from tests.handoff.conftest import T0, RequestFactory, on_duty


async def _held(queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
                conversation: str, advisor: str = "anna", **changes: object) -> str:
    await on_duty(advisors, advisor, "ru", "uk")
    ticket = (await queue.enqueue(make_request(conversation, **changes), now=T0)).ticket_id
    await queue.claim(ticket, advisor, now=T0 + 60)
    return ticket


async def test_transfer_to_another_advisor(queue: HandoffQueue, advisors: Advisors,
                                           make_request: RequestFactory) -> None:
    ticket = await _held(queue, advisors, make_request, "person-transfer")
    await on_duty(advisors, "boris", "ru")
    moved = await queue.transfer(ticket, "anna", "boris")
    assert moved.advisor == "boris" and moved.state is TicketState.held
    assert (await queue.holder("person-transfer")).advisor == "boris"
    assert await advisors.chats("anna") == [] and await advisors.chats("boris") == [ticket]
    with pytest.raises(NotHolder):  # anna no longer holds it
        await queue.transfer(ticket, "anna", "boris")


async def test_transfer_checks_the_target(queue: HandoffQueue, advisors: Advisors,
                                          make_request: RequestFactory) -> None:
    ticket = await _held(queue, advisors, make_request, "person-target")
    await on_duty(advisors, "german-only", "de")
    await on_duty(advisors, "full", "ru", capacity=1)
    await queue.claim((await queue.enqueue(make_request("person-other"), now=T0)).ticket_id,
                      "full")
    with pytest.raises(AdvisorAbsent):
        await queue.transfer(ticket, "anna", "nobody")
    with pytest.raises(LanguageMismatch):
        await queue.transfer(ticket, "anna", "german-only")
    with pytest.raises(AtCapacity):
        await queue.transfer(ticket, "anna", "full")
    assert (await queue.holder("person-target")).advisor == "anna"


async def test_back_to_the_queue_in_another_language_keeps_its_place(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    ticket = await _held(queue, advisors, make_request, "person-requeue", at=0)
    await queue.enqueue(make_request("person-later", language="de", at=30), now=T0 + 30)
    back = await queue.requeue(ticket, "anna", language=Language.de, now=T0 + 120)
    assert back.state is TicketState.queued and back.advisor is None
    assert back.language is Language.de and back.created.timestamp() == T0
    assert (await queue.holder("person-requeue")).kind is HolderKind.queued
    assert [t.conversation for t in await queue.waiting([Language.de])] == [
        "person-requeue", "person-later"]
    assert await advisors.chats("anna") == []


async def test_hand_back_and_close_return_to_the_bot(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
        redis: Redis) -> None:
    back = await _held(queue, advisors, make_request, "person-handback")
    closed = await _held(queue, advisors, make_request, "person-closed")
    await queue.hand_back(back, "anna", now=T0 + 100)
    await queue.close(closed, "anna", "answered", now=T0 + 200)
    assert await queue.holder("person-handback") == BOT
    assert await queue.holder("person-closed") == BOT
    assert await queue.ticket(back) is None and await queue.ticket(closed) is None
    assert await advisors.chats("anna") == []
    records = [{k.decode(): v.decode() for k, v in fields.items()}
               for _, fields in await redis.xrange(keys.HANDOFF_CLOSED_STREAM)]
    assert [(r["ticket_id"], r["outcome"]) for r in records] == [
        (back, "handed_back"), (closed, "answered")]
    assert records[1]["claimed_ms"] == str(int((T0 + 60) * 1000))
    # A new request after closing is a new ticket.
    again = await queue.enqueue(make_request("person-closed"), now=T0 + 300)
    assert again.status is EnqueueStatus.queued and again.ticket_id != closed


async def test_only_the_holder_may_close(queue: HandoffQueue, advisors: Advisors,
                                         make_request: RequestFactory) -> None:
    ticket = await _held(queue, advisors, make_request, "person-guarded")
    await on_duty(advisors, "mallory", "ru")
    with pytest.raises(NotHolder):
        await queue.close(ticket, "mallory", "answered")
    with pytest.raises(NotHolder):
        await queue.hand_back(ticket, "mallory")
    with pytest.raises(NotHolder):
        await queue.requeue(ticket, "mallory")
    with pytest.raises(NoSuchTicket):
        await queue.close("no-such-ticket", "anna", "answered")
    with pytest.raises(InvalidOutcome):
        await queue.close(ticket, "anna", "DROP TABLE; --")
    assert (await queue.holder("person-guarded")).advisor == "anna"
    await queue.close(ticket, "anna", "answered")
    with pytest.raises(NoSuchTicket):  # a repeated close
        await queue.close(ticket, "anna", "answered")


async def test_queued_ticket_cannot_be_closed(queue: HandoffQueue, advisors: Advisors,
                                              make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna")
    ticket = (await queue.enqueue(make_request("person-waiting"), now=T0)).ticket_id
    with pytest.raises(NotHolder):
        await queue.close(ticket, "anna", "answered")
    assert await queue.holder("person-waiting") == QUEUED


async def test_withdraw_only_while_waiting(queue: HandoffQueue, advisors: Advisors,
                                           make_request: RequestFactory) -> None:
    await queue.enqueue(make_request("person-changed-mind"), now=T0)
    assert await queue.withdraw("person-changed-mind", now=T0 + 5)
    assert await queue.holder("person-changed-mind") == BOT and await queue.waiting() == []
    assert not await queue.withdraw("person-changed-mind")
    await _held(queue, advisors, make_request, "person-with-anna")
    assert not await queue.withdraw("person-with-anna")
    assert (await queue.holder("person-with-anna")).advisor == "anna"


async def test_forget_erases_everything_open(queue: HandoffQueue, advisors: Advisors,
                                             make_request: RequestFactory,
                                             redis: Redis) -> None:
    held = await _held(queue, advisors, make_request, "person-forget1")
    await queue.enqueue(make_request("person-forget2"), now=T0)
    assert await queue.forget("person-forget1") and await queue.forget("person-forget2")
    assert not await queue.forget("person-forget3")
    assert await advisors.chats("anna") == [] and await queue.waiting() == []
    assert await queue.ticket(held) is None
    names = [k.decode() for k in await redis.keys("hotline:handoff:*")]
    assert not [n for n in names if "person-forget" in n]
    assert await redis.xlen(keys.HANDOFF_CLOSED_STREAM) == 0  # nothing kept about them


async def test_holders_in_one_call_and_unreadable_values(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
        redis: Redis) -> None:
    await _held(queue, advisors, make_request, "person-many1")
    await queue.enqueue(make_request("person-many2"), now=T0)
    await redis.set(keys.handoff_holder("person-many3"), b"\xff\xfegarbage")
    found = await holders(redis, ["person-many1", "person-many2", "person-many3",
                                  "person-many4"])
    assert [str(h) for h in found.values()] == ["advisor:anna", "queued", "bot", "bot"]
    assert Holder.parse("advisor:") == BOT and Holder.parse(None) == BOT
