"""/forget in the middle of a handoff leaves nothing in Redis that names or quotes the person.

After the erasure and after the sender sent what was queued (the deletions and the
confirmation), every key of the test's Redis db is read — strings, hashes, sets,
sorted sets, lists and streams — and none may hold the person's pseudonym, raw chat
id or words. Documented exceptions, both by design:

- the ``erase`` event on the events stream names the pseudonym: it is what tells the
  api to delete the transcripts, so it must (it carries nothing else);
- the sender's per-chat bookkeeping (``outbox:chat:<id>`` sequence numbers, the
  ``outbox:chat-rate:<id>`` rate-limit state and the sent-messages index deletions are
  done from) is keyed by the raw chat id in Redis only — never PostgreSQL — holds no
  words, and expires (handoff/outbox.py, bot/sender.py).
"""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from bot.app import make_desk
from bot.callbacks import ForgetCb, HandoffCb
from bot.notifier import QueueNotifier
from handoff import keys
from handoff.events import ConversationEvent, EventType
from handoff.relay import PersonMessage, RelayKind, relay
from tests.bot.conftest import BotEnv, bot_settings
from tests.bot.queue_helpers import hold, take_in
from tests.fakes import make_callback_update, make_message_update
from tests.fakes.sender_harness import eventually, running_sender

CHAT = 918273645
WORDS = ["мне пришла повестка в пятницу, Шаурма-4711", "я в Казани, улица Приметная-5523",
         "ждать больше не могу Фонарь-9932"]


async def dump(redis: Redis) -> dict[bytes, list[bytes]]:
    """Every key and everything in it, as bytes."""
    found: dict[bytes, list[bytes]] = {}
    async for key in redis.scan_iter(count=1000):
        kind = (await redis.type(key)).decode()
        values: list[Any]
        if kind == "string":
            values = [await redis.get(key)]
        elif kind == "hash":
            values = [x for kv in (await redis.hgetall(key)).items() for x in kv]
        elif kind == "set":
            values = list(await redis.smembers(key))
        elif kind == "zset":
            values = [m for m, _ in await redis.zrange(key, 0, -1, withscores=True)]
        elif kind == "list":
            values = await redis.lrange(key, 0, -1)
        elif kind == "stream":
            values = [x for _, fields in await redis.xrange(key) for kv in fields.items()
                      for x in kv]
        else:
            raise AssertionError(f"unexpected key type {kind}")
        found[key] = [v if isinstance(v, bytes) else str(v).encode() for v in values if v]
    return found


async def test_forget_during_a_handoff_leaves_nothing_naming_the_person(bot_env: BotEnv) -> None:
    env, redis = bot_env, bot_env.redis
    pseudonym = env.pseudonym(CHAT)
    await env.feed(make_message_update(env.next_id(), CHAT, WORDS[0]))
    # queued, then withdrawn (the closed-tickets stream now names them), then queued again
    await env.feed(make_message_update(env.next_id(), CHAT, "/advisor"))
    await take_in(env)
    await env.feed(make_callback_update(env.next_id(), CHAT, HandoffCb(a="withdraw").pack()))
    await env.feed(make_message_update(env.next_id(), CHAT, WORDS[1]))
    await QueueNotifier(redis, desk=make_desk(redis, bot_settings()),
                        chat_sealer=env.chat_sealer).sweep(now=time.time())
    ticket = await hold(env, CHAT)
    await env.feed(make_message_update(env.next_id(), CHAT, WORDS[2]))
    # an advisor's answer not yet relayed
    await relay(redis, PersonMessage.for_ticket(ticket, RelayKind.advisor_text, "ответ"))
    before = await dump(redis)
    assert any(pseudonym.encode() in v for vs in before.values() for v in vs)

    await env.feed(make_callback_update(env.next_id(), CHAT, ForgetCb(confirm=True).pack()))
    async with running_sender(env.bot, redis):
        async def drained() -> bool:
            return await redis.xlen(keys.OUTBOX_STREAM) == 0
        await eventually(drained)

    needles = [pseudonym.encode(), str(CHAT).encode(), *(w.encode() for w in WORDS),
               *(w.split()[-1].encode() for w in WORDS)]
    leftovers = []
    for key, values in (await dump(redis)).items():
        if key in (keys.outbox_chat(CHAT).encode(), keys.outbox_messages(CHAT).encode(),
                   keys.outbox_chat_rate(CHAT).encode()):
            continue  # the sender's own per-chat bookkeeping (see the module docstring)
        for needle in needles:
            if needle in key:
                leftovers.append((key, "name"))
            for value in values:
                if needle in value:
                    leftovers.append((key, value[:80]))
    events = [ConversationEvent.from_fields(f) for _, f in await redis.xrange(keys.EVENTS_STREAM)]
    erase_only = [(e.type, e.conversation) for e in events] == [(EventType.erase, pseudonym)]
    assert erase_only, events
    # the one erase event is the only thing left that names the person
    assert [key for key, _ in leftovers] == [keys.EVENTS_STREAM.encode()], leftovers
    # and the queue no longer knows them
    assert await redis.get(keys.handoff_holder(pseudonym)) is None
    assert await redis.hlen(keys.HANDOFF_TOLD) == 0  # what the notifier told them, too
