"""A person's place and the wait estimate; overdue alerts reported once."""

from __future__ import annotations

import datetime as dt

from handoff.advisors import Advisors
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Priority
from handoff.watch import Estimate, QueueWatch, describe
from tests.handoff.conftest import T0, RequestFactory, on_duty


async def test_position_counts_higher_priorities_first_in_the_same_language(
        queue: HandoffQueue, watch: QueueWatch, make_request: RequestFactory) -> None:
    await queue.enqueue(make_request("person-first", at=0), now=T0)
    await queue.enqueue(make_request("person-me", at=1), now=T0 + 1)
    await queue.enqueue(make_request("person-urgent", priority="urgent", at=2), now=T0 + 2)
    await queue.enqueue(make_request("person-german", language="de", at=0), now=T0 + 2)
    await queue.enqueue(make_request("person-after", at=3), now=T0 + 3)
    position = await watch.position("person-me", now=T0 + 4)
    assert position is not None
    assert (position.position, position.waiting, position.language, position.priority) == (
        3, 4, Language.ru, Priority.normal)
    assert not position.estimate.known  # no claims yet: "unknown", not a guess
    german = await watch.position("person-german", now=T0 + 4)
    assert german is not None and (german.position, german.waiting) == (1, 1)
    assert await watch.position("person-nobody") is None


async def test_estimate_is_the_median_of_recent_waits_of_that_language(
        queue: HandoffQueue, advisors: Advisors, watch: QueueWatch,
        make_request: RequestFactory) -> None:
    await on_duty(advisors, "anna", capacity=50)
    waits = [60, 120, 600, 180, 240]  # seconds each person waited before a claim
    for i, wait in enumerate(waits):
        ticket = (await queue.enqueue(make_request(f"person-w{i}", at=i * 1000),
                                      now=T0 + i * 1000)).ticket_id
        await queue.claim(ticket, "anna", now=T0 + i * 1000 + wait)
        if i == 1:  # two claims are too few to say anything
            assert not (await watch.estimate(Language.ru, now=T0 + 2000)).known
    estimate = await watch.estimate(Language.ru, now=T0 + 5000)
    assert estimate == Estimate(samples=5, typical_wait=180.0)
    assert describe(estimate) == dt.timedelta(minutes=3)
    assert not (await watch.estimate(Language.de, now=T0 + 5000)).known
    # Claims older than the window no longer count.
    stale = await watch.estimate(Language.ru, now=T0 + 5000 + 24 * 3600)
    assert stale == Estimate(samples=0)
    await queue.enqueue(make_request("person-now"), now=T0 + 5000)
    position = await watch.position("person-now", now=T0 + 5000)
    assert position is not None and position.estimate.typical_wait == 180.0


async def test_overdue_reported_once_per_priority_threshold(
        queue: HandoffQueue, advisors: Advisors, watch: QueueWatch,
        make_request: RequestFactory) -> None:
    urgent = (await queue.enqueue(make_request("person-u", priority="urgent"), now=T0)).ticket_id
    high = (await queue.enqueue(make_request("person-h", priority="high"), now=T0)).ticket_id
    normal = (await queue.enqueue(make_request("person-n"), now=T0)).ticket_id
    claimed = (await queue.enqueue(make_request("person-c", priority="urgent"),
                                   now=T0)).ticket_id
    await on_duty(advisors, "anna")
    await queue.claim(claimed, "anna", now=T0 + 30)
    assert await watch.overdue(now=T0 + 119) == []
    assert [t.id for t in await watch.overdue(now=T0 + 121)] == [urgent]
    assert await watch.overdue(now=T0 + 200) == []  # not repeated
    assert [t.id for t in await watch.overdue(now=T0 + 601)] == [high]
    assert [t.id for t in await watch.overdue(now=T0 + 10_000)] == [normal]
    assert await watch.overdue(now=T0 + 20_000) == []


async def test_raised_priority_alerts_on_its_new_threshold(
        queue: HandoffQueue, watch: QueueWatch, make_request: RequestFactory) -> None:
    ticket = (await queue.enqueue(make_request("person-r"), now=T0)).ticket_id
    await queue.enqueue(make_request("person-r", priority="urgent", at=60), now=T0 + 60)
    assert [t.id for t in await watch.overdue(now=T0 + 121)] == [ticket]
    assert await watch.overdue(now=T0 + 5000) == []


async def test_a_ticket_back_in_the_queue_is_watched_again(
        queue: HandoffQueue, advisors: Advisors, watch: QueueWatch,
        make_request: RequestFactory) -> None:
    ticket = (await queue.enqueue(make_request("person-again", priority="urgent"),
                                  now=T0)).ticket_id
    await on_duty(advisors, "anna")
    await queue.claim(ticket, "anna", now=T0 + 10)
    await queue.requeue(ticket, "anna", now=T0 + 1000)
    assert await watch.overdue(now=T0 + 1100) == []
    assert [t.id for t in await watch.overdue(now=T0 + 1121)] == [ticket]
