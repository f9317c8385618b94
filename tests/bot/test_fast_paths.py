"""The cheaper paths of the update pipeline keep what the slower ones guaranteed.

The turn's writes in one Lua call (bot/commit.py), the window check folded
into the sender's turn (bot/outbox_store.py), cached keyboards
(bot/delivery.py) and the coroutine filters (bot/handlers/filters.py).
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from bot.commit import Remembered, TurnCommit
from bot.delivery import parse_markup
from bot.handlers.filters import (
    has_no_text,
    has_text,
    in_private,
    not_private,
    tapped_outside_private,
)
from bot.outbox_store import SenderStore, parse_entry
from bot.ratelimit import RateLimits
from bot.tickets import FIELD as TICKET_FIELD
from handoff import keys
from handoff.events import ConversationEvent, EventType
from handoff.outbox import OUTBOX_STREAM, Outbox, OutgoingMessage, Ready

CHAT = 4242
WHO = "p" * 43


def _event(n: int) -> ConversationEvent:
    return ConversationEvent(id=f"ev:{n}", type=EventType.message_out, conversation=WHO,
                             text="sealed")


def _message(n: int, **extra: Any) -> OutgoingMessage:
    return OutgoingMessage(id=f"tg:test:{n}", chat_id=CHAT, text=f"reply {n}", **extra)


def _ready(n: int, **extra: Any) -> Ready:
    """What the turn hands the commit: the message checked and dumped (bot/outgoing.ready)."""
    return Ready.of(_message(n, **extra))


async def test_commit_writes_the_whole_turn_in_one_call(redis: Redis) -> None:
    commit = TurnCommit(redis)
    markup = {"inline_keyboard": [[{"text": "Menu", "callback_data": "a:m:::"}]]}
    stream_id = await commit(
        pseudonym=WHO, chat_id=CHAT,
        outgoing=[_ready(1, reply_markup=markup), _ready(2, delete_after=3600)],
        events=[_event(1), _event(2), _event(3)], record=b'{"autodelete_hours":1}',
        record_ttl=600, ticket=(TICKET_FIELD, '{"id":"t1"}'),
        remembered=Remembered(CHAT, 77, 3600))
    assert stream_id is not None
    tickets = await redis.xrange(keys.HANDOFF_STREAM)
    assert [(i.decode(), f) for i, f in tickets] == [(stream_id, {b"ticket": b'{"id":"t1"}'})]
    assert await redis.get(keys.bot_conversation(WHO)) == b'{"autodelete_hours":1}'
    assert 0 < await redis.ttl(keys.bot_conversation(WHO)) <= 600
    events = await redis.xrange(keys.EVENTS_STREAM)
    assert [ConversationEvent.from_fields(f).id for _, f in events] == ["ev:1", "ev:2", "ev:3"]
    entries = [parse_entry(i.decode(), {k.decode(): v.decode() for k, v in f.items()})
               for i, f in await redis.xrange(OUTBOX_STREAM)]
    assert [(e.seq, e.message) for e in entries] == [
        (1, _message(1, reply_markup=markup)), (2, _message(2, delete_after=3600))]
    assert await redis.zrange(keys.outbox_messages(CHAT), 0, -1) == [b"77"]
    due = await redis.zrange(keys.OUTBOX_DELETE_DUE, 0, -1, withscores=True)
    assert due[0][0] == f"{CHAT}:77".encode()
    assert due[0][1] == pytest.approx(time.time() * 1000 + 3_600_000, abs=60_000)


async def test_commit_is_idempotent_and_respects_a_block(redis: Redis) -> None:
    commit = TurnCommit(redis)
    for _ in range(2):  # a retried turn queues its messages once
        assert await commit(pseudonym=WHO, chat_id=CHAT, outgoing=[_ready(1)]) is None
    assert await redis.xlen(OUTBOX_STREAM) == 1
    await redis.set(keys.outbox_blocked(CHAT), 1)
    await commit(pseudonym=WHO, chat_id=CHAT, outgoing=[_ready(2)], events=[_event(9)],
                 record=b"{}", record_ttl=60)
    assert await redis.xlen(OUTBOX_STREAM) == 1  # nothing queued to a chat that blocked us
    assert await redis.xlen(keys.EVENTS_STREAM) == 1
    assert await redis.get(keys.bot_conversation(WHO)) == b"{}"
    assert await redis.exists(keys.outbox_messages(CHAT)) == 0  # nothing remembered


async def test_commit_survives_a_flushed_script_cache(redis: Redis) -> None:
    commit = TurnCommit(redis)
    await commit(pseudonym=WHO, chat_id=CHAT, outgoing=[_ready(1)])
    await redis.script_flush()
    await commit(pseudonym=WHO, chat_id=CHAT, outgoing=[_ready(2)])
    assert await redis.xlen(OUTBOX_STREAM) == 2


async def test_commit_numbers_after_the_outboxs_own_enqueue(redis: Redis) -> None:
    await Outbox(redis).enqueue(_message(1))
    await TurnCommit(redis)(pseudonym=WHO, chat_id=CHAT, outgoing=[_ready(2), _ready(3)])
    seqs = [int(f[b"seq"]) for _, f in await redis.xrange(OUTBOX_STREAM)]
    assert seqs == [1, 2, 3]


def _entry(n: int) -> Any:
    """An entry of its own chat (no lease or per-chat limit in the way)."""
    fields = {"id": f"tg:test:{n}", "chat": str(CHAT + n), "seq": "0", "data": '{"text":"hi"}'}
    entry = parse_entry(f"1-{n}", fields)
    entry.token = f"me/1-{n}"
    return entry


async def test_turn_records_the_send_in_the_window_when_its_slot_is_now(redis: Redis) -> None:
    limits = RateLimits(global_rate=1.0, per_chat_rate=100.0, chat_burst=10, headroom=1.0)
    store = SenderStore(redis, limits, lock_ms=10_000)
    first = await store.turn(_entry(1))
    assert (first.status, first.seconds, first.gate) == ("go", 0.0, 0.0)
    assert await redis.zcard(keys.OUTBOX_RATE_WINDOW) == 1
    second = await store.turn(_entry(2))  # the next global slot is a second away
    assert second.status == "go" and second.seconds > 0.5 and second.gate is None
    assert await redis.zcard(keys.OUTBOX_RATE_WINDOW) == 1  # checked after the sleep instead


async def test_turn_reports_a_full_window(redis: Redis) -> None:
    limits = RateLimits(global_rate=1000.0, per_chat_rate=1000.0, chat_burst=10)
    store = SenderStore(redis, limits, lock_ms=10_000)
    now_us = int(time.time() * 1_000_000)
    await redis.zadd(keys.OUTBOX_RATE_WINDOW,
                     {f"old{i}": now_us for i in range(limits.window_limit)})
    turn = await store.turn(_entry(1))
    assert turn.status == "go" and turn.gate is not None and turn.gate > 0


def test_keyboards_are_checked_once_and_bad_ones_every_time() -> None:
    raw = {"inline_keyboard": [[{"text": "A", "callback_data": "x"}]]}
    assert parse_markup(raw) is parse_markup(json.loads(json.dumps(raw)))
    for bad in ({"inline_keyboard": "x"}, {"inline_keyboard": [[{"text": 1}]]}):
        for _ in range(2):
            with pytest.raises(ValidationError):
                parse_markup(bad)
    for bad in ({"nothing": 1}, {"inline_keyboard": [[{"text": object()}]]}):
        with pytest.raises(ValueError):
            parse_markup(bad)


async def test_filters_say_what_the_magic_filters_said() -> None:
    def msg(text: str | None, kind: str) -> Any:
        return SimpleNamespace(text=text, chat=SimpleNamespace(type=kind))

    assert await has_text(msg("hi", "private")) and not await has_text(msg("", "private"))
    assert await has_no_text(msg(None, "private")) and not await has_no_text(msg("x", "group"))
    assert await in_private(msg("x", "private")) and not await in_private(msg("x", "group"))
    assert await not_private(msg("x", "supergroup")) and not await not_private(
        msg("x", "private"))
    assert await tapped_outside_private(SimpleNamespace(message=msg("x", "group")))
    assert not await tapped_outside_private(SimpleNamespace(message=msg("x", "private")))
    assert not await tapped_outside_private(SimpleNamespace(message=None))


def test_entries_sharing_a_body_are_parsed_once_and_keep_their_own_id_and_chat() -> None:
    data = ('{"text":"Menu","reply_markup":{"inline_keyboard":[[{"text":"A",'
            '"callback_data":"a:m:::"}]]},"delete_after":3600}')
    first = parse_entry("1-1", {"id": "tg:a:1:0", "chat": "5", "seq": "1", "data": data})
    second = parse_entry("1-2", {"id": "tg:b:2:0", "chat": "6", "seq": "4", "data": data})
    assert first.message is not None and second.message is not None
    assert (second.message.id, second.message.chat_id, second.seq) == ("tg:b:2:0", 6, 4)
    assert second.message == first.message.model_copy(update={"id": "tg:b:2:0", "chat_id": 6})
    # The id is still the outbox's: a forged one sharing a known body is malformed.
    for forged_id in ("tg b", "x" * 129, ""):
        bad = parse_entry("1-3", {"id": forged_id, "chat": "7", "data": data})
        assert bad.message is None and bad.problem == "invalid id"
