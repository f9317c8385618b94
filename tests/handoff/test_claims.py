"""Claims: atomic under contention, within languages and capacity, forged ids refused."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import redis.asyncio as aioredis
from redis.asyncio import Redis

from handoff.advisors import Advisors
from handoff.errors import AdvisorAbsent, AtCapacity, LanguageMismatch, NoSuchTicket, TicketTaken
from handoff.ownership import HolderKind
from handoff.queue import HandoffQueue
from handoff.tickets import Language, TicketState
from tests.handoff.conftest import CONFIG, T0, RequestFactory, on_duty


async def test_twenty_advisors_take_the_same_ticket_one_wins(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
        redis_url: str) -> None:
    ticket = (await queue.enqueue(make_request("person-contended"), now=T0)).ticket_id
    names = [f"adv{i}" for i in range(20)]
    for name in names:
        await on_duty(advisors, name)
    clients = [aioredis.from_url(redis_url) for _ in range(5)]
    try:
        queues = [HandoffQueue(c, CONFIG) for c in clients]

        async def press(i: int) -> str:
            try:
                await queues[i % 5].claim(ticket, names[i], now=T0 + 1)
            except TicketTaken:
                return "taken"
            return "won"

        results = await asyncio.gather(*(press(i) for i in range(20)))
    finally:
        for c in clients:
            await c.aclose()
    assert Counter(results) == {"won": 1, "taken": 19}
    winner = names[results.index("won")]
    assert (await queue.holder("person-contended")).advisor == winner
    assert await advisors.chats(winner) == [ticket]


async def test_race_of_twenty_over_a_hundred_every_ticket_once(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
        redis_url: str) -> None:
    languages = ["ru", "uk", "be", "en", "de"]
    for i in range(100):
        await queue.enqueue(make_request(f"person-{i:04d}", language=languages[i % 5],
                                         priority=["urgent", "high", "normal"][i % 3], at=i),
                            now=T0 + 100)
    names = [f"adv{i}" for i in range(20)]
    for i, name in enumerate(names):  # every language served by several advisors
        await on_duty(advisors, name, languages[i % 5], languages[(i + 2) % 5], capacity=10)
    clients = [aioredis.from_url(redis_url) for _ in range(4)]
    try:
        queues = [HandoffQueue(c, CONFIG) for c in clients]

        async def work(i: int) -> list[str]:
            taken = []
            while (ticket := await queues[i % 4].claim_next(names[i], now=T0 + 200)) is not None:
                assert ticket.language.value in (languages[i % 5], languages[(i + 2) % 5])
                taken.append(ticket.id)
            return taken

        per_advisor = await asyncio.gather(*(work(i) for i in range(20)))
    finally:
        for c in clients:
            await c.aclose()
    claimed = [t for taken in per_advisor for t in taken]
    assert len(claimed) == 100 and len(set(claimed)) == 100
    assert all(len(taken) <= 10 for taken in per_advisor)
    assert await queue.waiting() == []
    for i, taken in enumerate(per_advisor):
        assert sorted(taken) == await advisors.chats(names[i])


async def test_claim_next_takes_the_best_across_the_advisors_languages(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    await queue.enqueue(make_request("person-ru-normal", language="ru", at=0), now=T0)
    await queue.enqueue(make_request("person-de-high", language="de", priority="high", at=5),
                        now=T0)
    await queue.enqueue(make_request("person-uk-urgent", language="uk", priority="urgent"),
                        now=T0)
    await on_duty(advisors, "anna", "ru", "de", capacity=5)
    first = await queue.claim_next("anna", now=T0 + 10)
    second = await queue.claim_next("anna", now=T0 + 10)
    third = await queue.claim_next("anna", now=T0 + 10)
    assert first is not None and first.conversation == "person-de-high"
    assert second is not None and second.conversation == "person-ru-normal"
    assert third is None  # the Ukrainian one is not hers to take
    assert [t.conversation for t in await queue.waiting()] == ["person-uk-urgent"]


async def test_languages_are_respected(queue: HandoffQueue, advisors: Advisors,
                                       make_request: RequestFactory) -> None:
    german = (await queue.enqueue(make_request("person-german", language="de"), now=T0)).ticket_id
    await queue.enqueue(make_request("person-russian", language="ru"), now=T0)
    await on_duty(advisors, "boris", "ru", "uk")
    view = await queue.list_for("boris")
    assert [t.conversation for t in view.tickets] == ["person-russian"]
    with pytest.raises(LanguageMismatch):
        await queue.claim(german, "boris")
    assert (await queue.ticket(german)).state is TicketState.queued  # type: ignore[union-attr]


async def test_capacity_is_respected(queue: HandoffQueue, advisors: Advisors,
                                     make_request: RequestFactory) -> None:
    ids = [(await queue.enqueue(make_request(f"person-cap{i}"), now=T0)).ticket_id
           for i in range(3)]
    await on_duty(advisors, "clara", capacity=2)
    await queue.claim(ids[0], "clara")
    await queue.claim_next("clara")
    view = await queue.list_for("clara")
    assert (view.open_chats, view.capacity, view.can_claim) == (2, 2, False)
    with pytest.raises(AtCapacity):
        await queue.claim(ids[2], "clara")
    with pytest.raises(AtCapacity):
        await queue.claim_next("clara")
    assert [t.id for t in await queue.waiting()] == [ids[2]]


async def test_claiming_twice_is_idempotent_for_the_holder(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory) -> None:
    ticket = (await queue.enqueue(make_request("person-double"), now=T0)).ticket_id
    await on_duty(advisors, "dora", capacity=1)
    first = await queue.claim(ticket, "dora", now=T0 + 1)
    again = await queue.claim(ticket, "dora", now=T0 + 2)  # a retried click, even at capacity
    assert first == again and again.advisor == "dora"


@pytest.mark.parametrize("forged", ["no-such-ticket", "x" * 5000, "../../etc", "", "a b",
                                    "ticket\x00nul", "\u0442\u0438\u043a\u0435\u0442"])
async def test_forged_ticket_ids_are_domain_errors(
        queue: HandoffQueue, advisors: Advisors, forged: str) -> None:
    await on_duty(advisors, "eve")
    with pytest.raises(NoSuchTicket):
        await queue.claim(forged, "eve")
    assert await queue.ticket(forged) is None


@pytest.mark.parametrize("advisor", ["ghost", "", "x" * 500, "has:colon", "ad visor"])
async def test_absent_or_forged_advisors_cannot_claim(
        queue: HandoffQueue, make_request: RequestFactory, advisor: str) -> None:
    ticket = (await queue.enqueue(make_request("person-nobody"), now=T0)).ticket_id
    with pytest.raises(AdvisorAbsent):
        await queue.claim(ticket, advisor)
    with pytest.raises(AdvisorAbsent):
        await queue.claim_next(advisor)
    with pytest.raises(AdvisorAbsent):
        await queue.list_for(advisor)
    assert (await queue.holder("person-nobody")).kind is HolderKind.queued


async def test_claim_sets_the_holder_and_publishes(
        queue: HandoffQueue, advisors: Advisors, make_request: RequestFactory,
        redis: Redis) -> None:
    await on_duty(advisors, "fred")
    pubsub = redis.pubsub()
    await pubsub.subscribe("hotline:handoff:changed")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    ticket = (await queue.enqueue(make_request("person-live"), now=T0)).ticket_id
    await queue.claim(ticket, "fred")
    events = []
    for _ in range(2):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
        assert message is not None
        events.append(message["data"])
    await pubsub.aclose()
    assert b'"event":"queued"' in events[0] and b'"event":"claimed"' in events[1]
    assert b"person-live" not in b"".join(events)  # consoles get ids, not pseudonyms
    holder = await queue.holder("person-live")
    assert (holder.kind, holder.advisor, str(holder)) == (HolderKind.advisor, "fred",
                                                          "advisor:fred")
    assert not holder.bot_may_answer
    assert Language.ru in (await advisors.get("fred")).languages  # type: ignore[union-attr]
