"""Enqueue: order by priority then arrival, one ticket per conversation, never lowered."""

from __future__ import annotations

from redis.asyncio import Redis

from handoff import keys
from handoff.advisors import Advisors
from handoff.ownership import HolderKind
from handoff.queue import EnqueueStatus, HandoffQueue
from handoff.tickets import Language, Priority, TicketState
from tests.handoff.conftest import T0, RequestFactory, on_duty


async def test_priority_first_then_first_come(queue: HandoffQueue,
                                              make_request: RequestFactory) -> None:
    plan = [("n1", "normal", 0), ("h1", "high", 1), ("u1", "urgent", 2), ("n2", "normal", 3),
            ("u2", "urgent", 4), ("h2", "high", 5)]
    for name, priority, at in plan:
        await queue.enqueue(make_request(f"person-{name}", priority=priority, at=at), now=T0 + 10)
    waiting = await queue.waiting()
    assert [t.conversation for t in waiting] == [
        "person-u1", "person-u2", "person-h1", "person-h2", "person-n1", "person-n2"]
    assert all(t.state is TicketState.queued for t in waiting)


async def test_fifo_is_by_the_producers_time_not_arrival(queue: HandoffQueue,
                                                         make_request: RequestFactory) -> None:
    # The intake may see a later request first (two producers, a backlog): created decides.
    await queue.enqueue(make_request("person-late", at=5), now=T0 + 10)
    await queue.enqueue(make_request("person-early", at=1), now=T0 + 10)
    assert [t.conversation for t in await queue.waiting()] == ["person-early", "person-late"]


async def test_future_times_are_clamped_to_now(queue: HandoffQueue,
                                               make_request: RequestFactory) -> None:
    await queue.enqueue(make_request("person-liar", at=10_000), now=T0 + 10)
    await queue.enqueue(make_request("person-honest", at=5), now=T0 + 10)
    assert [t.conversation for t in await queue.waiting()] == ["person-honest", "person-liar"]


async def test_same_request_twice_is_one_ticket(queue: HandoffQueue,
                                                make_request: RequestFactory) -> None:
    request = make_request("person-twice")
    first = await queue.enqueue(request, now=T0)
    again = await queue.enqueue(request, now=T0 + 1)
    assert first.status is EnqueueStatus.queued
    assert again.status is EnqueueStatus.duplicate and again.ticket_id == first.ticket_id
    assert len(await queue.waiting()) == 1


async def test_second_request_updates_and_raises_never_lowers(
        queue: HandoffQueue, make_request: RequestFactory) -> None:
    first = await queue.enqueue(make_request("person-a", at=0), now=T0)
    await queue.enqueue(make_request("person-b", priority="high", at=1), now=T0 + 1)
    raised = await queue.enqueue(make_request("person-a", priority="urgent", at=2,
                                              reason="in danger", intent="urgent_danger"),
                                 now=T0 + 2)
    assert raised.status is EnqueueStatus.updated and raised.ticket_id == first.ticket_id
    lowered = await queue.enqueue(make_request("person-a", priority="normal", at=3,
                                               reason="just a question"), now=T0 + 3)
    assert lowered.status is EnqueueStatus.updated
    ticket = await queue.ticket(first.ticket_id)
    assert ticket is not None and ticket.priority is Priority.urgent
    # A less urgent request does not overwrite what the urgent one said.
    assert (ticket.reason, ticket.intent) == ("in danger", "urgent_danger")
    assert ticket.created.timestamp() == T0  # its place among urgent ones is its first request
    await queue.enqueue(make_request("person-a", priority="urgent", at=4, intent=None,
                                     reason="still in danger"), now=T0 + 4)
    ticket = await queue.ticket(first.ticket_id)
    assert ticket is not None
    assert (ticket.reason, ticket.intent) == ("still in danger", "urgent_danger")
    assert [t.conversation for t in await queue.waiting()] == ["person-a", "person-b"]


async def test_language_change_moves_the_ticket(queue: HandoffQueue,
                                                make_request: RequestFactory) -> None:
    first = await queue.enqueue(make_request("person-lang", language="ru"), now=T0)
    await queue.enqueue(make_request("person-lang", language="de"), now=T0 + 1)
    assert await queue.waiting([Language.ru]) == []
    [ticket] = await queue.waiting([Language.de])
    assert ticket.id == first.ticket_id


async def test_held_conversation_is_not_queued_again(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna")
    first = await queue.enqueue(make_request("person-held"), now=T0)
    await queue.claim(first.ticket_id, "anna", now=T0 + 5)
    again = await queue.enqueue(make_request("person-held", priority="urgent"), now=T0 + 6)
    assert again.status is EnqueueStatus.held and again.advisor == "anna"
    assert again.ticket_id == first.ticket_id
    assert await queue.waiting() == []
    assert (await queue.holder("person-held")).advisor == "anna"


async def test_enqueue_sets_queued(queue: HandoffQueue, make_request: RequestFactory,
                                   redis: Redis) -> None:
    assert (await queue.holder("person-new")).kind is HolderKind.bot
    await queue.enqueue(make_request("person-new"), now=T0)
    assert (await queue.holder("person-new")).kind is HolderKind.queued
    assert await redis.get(keys.handoff_holder("person-new")) == b"queued"
