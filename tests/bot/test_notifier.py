"""The queue notifier tells a waiting person their place once, and again only on real change."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from bot.app import make_desk
from bot.notifier import QueueNotifier
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from handoff.advisors import AdvisorPresence, Advisors
from handoff.queue import HandoffQueue
from handoff.tickets import Language, TicketRequest
from hotline.crypto import Pseudonymizer, Sealer
from tests.bot.conftest import SECRET, bot_settings

CHATS = list(range(7301, 7311))
pseudonymize = Pseudonymizer(SECRET)
chat_sealer = Sealer(SECRET, "chat")


def notifier(redis: Redis, **options: float) -> QueueNotifier:
    return QueueNotifier(redis, desk=make_desk(redis, bot_settings()), chat_sealer=chat_sealer,
                         **options)


async def enqueue(redis: Redis, chat: int, at: float, lang: str = "ru") -> str:
    who = pseudonymize("telegram", chat)
    result = await HandoffQueue(redis).enqueue(TicketRequest(
        id=f"req-{chat}", conversation=who, language=Language(lang), reason="asked",
        chat=chat_sealer.seal(str(chat), context=who)), now=at)
    return result.ticket_id


async def sent(redis: Redis) -> list[tuple[int, str]]:
    import json

    out = []
    for _, fields in await redis.xrange(keys.OUTBOX_STREAM):
        out.append((int(fields[b"chat"]), json.loads(fields[b"data"])["text"]))
    await redis.delete(keys.OUTBOX_STREAM)
    return out


async def test_told_once_then_only_on_meaningful_change(redis: Redis) -> None:
    t0 = time.time()
    tickets = [await enqueue(redis, chat, t0 + i / 1000) for i, chat in enumerate(CHATS)]
    n = notifier(redis)
    assert await n.sweep(now=t0) == 10
    first = await sent(redis)
    assert [chat for chat, _ in first] == CHATS
    assert first[3][1].startswith(text(T.queue_position, Lang.ru, position=4))
    assert text(T.queue_unknown, Lang.ru) in first[3][1]
    # nothing changed: nothing told, however often it sweeps
    assert await n.sweep(now=t0 + 5) == 0
    assert await n.sweep(now=t0 + 90) == 0
    # the first person is claimed: everyone moves up one place
    await Advisors(redis).register(AdvisorPresence(id="adv1", languages=frozenset({Language.ru}),
                                                   capacity=3))
    await HandoffQueue(redis).claim(tickets[0], "adv1")
    assert await n.sweep(now=t0 + 100) == 3  # into the top three; 5→4 or 10→9 is no news
    moved = await sent(redis)
    assert [chat for chat, _ in moved] == CHATS[1:4]
    assert moved[0][1].startswith(text(T.queue_position, Lang.ru, position=1))
    # another claim: news for those last told long ago (into the top three, or a quarter
    # closer: 5→3, 6→4, 7→5, 8→6) — not for those told a moment ago, nor 9→7 or 10→8
    await HandoffQueue(redis).claim(tickets[1], "adv1")
    assert await n.sweep(now=t0 + 130) == 4
    assert [chat for chat, _ in await sent(redis)] == CHATS[4:8]
    # a minute after they were last told, the two who moved up get their news
    assert await n.sweep(now=t0 + 170) == 2
    assert [chat for chat, _ in await sent(redis)] == CHATS[2:4]
    # the claimed people's "told" entries are gone (they are no longer waiting)
    told = await redis.hgetall(keys.HANDOFF_TOLD)
    assert tickets[0].encode() not in told and tickets[1].encode() not in told
    assert len(told) == 8
    # kept by ticket id: nothing in it names a person
    assert not any(pseudonymize("telegram", chat).encode() in b"".join([*told, *told.values()])
                   for chat in CHATS)


async def test_a_new_estimate_is_news_for_everyone(redis: Redis) -> None:
    t0 = time.time()
    for i, chat in enumerate(CHATS[:4]):
        await enqueue(redis, chat, t0 + i / 1000)
    n = notifier(redis)
    await n.sweep(now=t0)
    await sent(redis)
    # five recent claims in Russian waited about ten minutes
    now_ms = int(t0 * 1000)
    await redis.lpush(keys.handoff_waits("ru"), *[f"{now_ms}:{600_000}" for _ in range(5)])
    assert await n.sweep(now=t0 + 61) == 4
    told = await sent(redis)
    assert all(text(T.queue_estimate, Lang.ru, minutes=10) in body for _, body in told)


async def test_the_notifier_follows_queue_changes_and_stops_cleanly(redis: Redis) -> None:
    n = notifier(redis, sweep_every=3600.0, settle=0.0)
    stop = asyncio.Event()
    task = asyncio.create_task(n.run(stop))
    for _ in range(200):  # until it has subscribed (its first sweep finds nothing)
        if (await redis.pubsub_numsub(keys.QUEUE_CHANGED))[0][1]:
            break
        await asyncio.sleep(0.025)
    await enqueue(redis, CHATS[0], time.time())
    for _ in range(400):
        if await redis.xlen(keys.OUTBOX_STREAM):
            break
        await asyncio.sleep(0.025)
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.done()
    ((chat, body),) = await sent(redis)
    assert chat == CHATS[0] and text(T.queue_position, Lang.ru, position=1) in body


async def test_news_for_many_is_paced_nearest_the_front_first(redis: Redis) -> None:
    """Telegram's budget is shared with advisors' replies: at most ``per_second`` notes."""
    t0 = time.time()
    many = list(range(8001, 8031))  # 30 people
    for i, chat in enumerate(many):
        await enqueue(redis, chat, t0 + i / 1000, lang="de" if i % 2 else "ru")
    n = notifier(redis, per_second=5.0, burst=20)
    assert await n.sweep(now=t0) == 20
    first = [chat for chat, _ in await sent(redis)]
    # places 1..10 in both languages (ru: even chats, de: odd ones), front first
    assert sorted(first) == sorted(many[:20])
    assert await n.sweep(now=t0 + 0.5) == 2  # half a second refills two notes
    assert await n.sweep(now=t0 + 2.5) == 8  # and the rest as the budget allows
    assert sorted(chat for chat, _ in await sent(redis)) == sorted(many[20:])
    assert await n.sweep(now=t0 + 10) == 0  # nobody told twice
