"""The whole handoff through ``hotline up``, then /forget: nothing of the person is left.

One running system (api, console, intake, recorder, bot, relay, sender) on the
run's PostgreSQL database and Redis db, Telegram faked at its HTTP boundary.
A person asks for a human; an advisor goes online, sees the ticket, claims it,
reads the transcript, replies (the reply reaches Telegram under the service's
name), writes a private note; the person answers (the bot stays silent, the
advisor sees it). Then the person uses /forget. Afterwards no table row and no
Redis key or value holds their pseudonym, their chat id or anything they wrote
— read by brute force: every text column of every table, every key and every
value of every type.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.callbacks import ForgetCb
from hotline.crypto import Pseudonymizer
from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.updates import make_callback_update, make_message_update
from tests.hotline.test_up import TOKEN_LINE, Running

SECRET = "handoff-e2e-" + "k" * 40
CHAT = 7301
CONSOLE = "/api/v1/console"
ASK = "Мне нужен живой человек, пожалуйста"
LATER = "Спасибо, я подожду ответа"
REPLY = "Здравствуйте, я консультант, чем помочь?"
NOTE = "Говорит о повестке, нужен юрист"


async def _until(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached: {what}")


async def _rows_naming(database_url: str, needles: list[str]) -> list[str]:
    """``table.column`` of every text-like value in the database containing a needle."""
    engine = create_async_engine(database_url)
    found = []
    try:
        async with engine.connect() as conn:
            columns = (await conn.execute(text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"))).all()
            for table, column in columns:
                for needle in needles:
                    hit = await conn.scalar(text(
                        f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE :n'),
                        {"n": f"%{needle}%"})
                    if hit:
                        found.append(f"{table}.{column} ~ {needle[:12]}")
    finally:
        await engine.dispose()
    return found


async def _redis_naming(redis: Redis, needles: list[str]) -> list[str]:
    """Every key whose name or value (of any type) contains a needle."""
    found = []
    async for raw in redis.scan_iter(count=500):
        key = raw.decode(errors="replace")
        kind = (await redis.type(raw)).decode()
        if kind == "string":
            values: list[Any] = [await redis.get(raw)]
        elif kind == "hash":
            values = [f"{k!r}{v!r}" for k, v in (await redis.hgetall(raw)).items()]
        elif kind == "set":
            values = list(await redis.smembers(raw))
        elif kind == "zset":
            values = list(await redis.zrange(raw, 0, -1))
        elif kind == "list":
            values = list(await redis.lrange(raw, 0, -1))
        elif kind == "stream":
            values = [json.dumps({k.decode(): v.decode(errors="replace") for k, v in f.items()},
                                 ensure_ascii=False) for _, f in await redis.xrange(raw)]
        else:
            values = []
        blob = key + "".join(v.decode(errors="replace") if isinstance(v, bytes) else str(v)
                             for v in values)
        found += [f"{key} ~ {n[:12]}" for n in needles if n in blob]
    return found


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the run's server: ``hotline up`` starts from nothing (and
    prints its first admin token), and the scan below sees only this system's rows."""
    name = f"hotline_e2e_{uuid.uuid4().hex[:10]}"
    base, _, query = database_url.partition("?")
    server, suffix = base.rsplit("/", 1)[0], ("?" + query) if query else ""
    admin = create_async_engine(f"{server}/postgres{suffix}", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{server}/{name}{suffix}"
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def test_handoff_end_to_end_then_forget_leaves_nothing(
        tmp_path: Path, empty_database: str, redis_url: str, redis: Redis) -> None:
    database_url = empty_database
    pseudonym = Pseudonymizer(SECRET)("telegram", CHAT)
    async with FakeBotAPI(token=DEFAULT_TOKEN) as api:
        running = Running(tmp_path / "data", tmp_path, {
            "BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_URL": api.base_url,
            "DATABASE_URL": database_url, "REDIS_URL": redis_url, "HOTLINE_SECRET_KEY": SECRET,
        })
        try:
            await asyncio.to_thread(running.wait_ready)
            admin_token = next(ln.strip() for ln in running.lines if TOKEN_LINE.match(ln.strip()))
            base = f"http://127.0.0.1:{running.port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                made = await http.post("/api/v1/staff", json={"name": "anna", "role": "advisor"},
                                       headers={"Authorization": f"Bearer {admin_token}"})
                assert made.status_code == 201, made.text
                http.headers["Authorization"] = f"Bearer {made.json()['token']}"
                online = await http.put(f"{CONSOLE}/presence",
                                        json={"languages": ["ru"], "capacity": 2})
                assert online.status_code == 200, online.text

                api.push_update(make_message_update(1, CHAT, "/advisor"))

                async def waiting() -> list[dict[str, Any]]:
                    return (await http.get(f"{CONSOLE}/queue")).json()["waiting"]

                tickets = await _until(waiting, "the ticket in the console's queue")
                assert len(tickets) == 1 and tickets[0]["language"] == "ru"
                assert pseudonym not in json.dumps(tickets)  # the console never sees it
                api.push_update(make_message_update(2, CHAT, ASK))
                ticket = tickets[0]["id"]
                claimed = await http.post(f"{CONSOLE}/tickets/{ticket}/claim")
                assert claimed.status_code == 200, claimed.text

                async def transcript_has(needle: str) -> bool:
                    detail = (await http.get(f"{CONSOLE}/tickets/{ticket}")).json()
                    return any(needle in m["text"] for m in detail["messages"])

                await _until(lambda: transcript_has(ASK), "the person's message in the transcript")
                sent = await http.post(f"{CONSOLE}/tickets/{ticket}/reply", json={"text": REPLY})
                assert sent.status_code == 202, sent.text
                note = await http.post(f"{CONSOLE}/tickets/{ticket}/notes", json={"text": NOTE})
                assert note.status_code == 201, note.text

                async def reply_delivered() -> bool:
                    return any(REPLY in t for t in api.texts(CHAT))

                await _until(reply_delivered, "the advisor's reply on Telegram")
                delivered = next(t for t in api.texts(CHAT) if REPLY in t)
                assert "anna" not in delivered and "Hotline" in delivered
                bot_said = len(api.texts(CHAT))
                api.push_update(make_message_update(3, CHAT, LATER))
                await _until(lambda: transcript_has(LATER), "the person's answer, live")
                await asyncio.sleep(1.0)
                assert len(api.texts(CHAT)) == bot_said  # the bot said nothing by itself

                # /forget, confirmed with the button
                api.push_update(make_message_update(4, CHAT, "/forget"))
                api.push_update(make_callback_update(5, CHAT, ForgetCb(confirm=True).pack()))

                async def ticket_gone() -> bool:
                    return (await http.get(f"{CONSOLE}/tickets/{ticket}")).status_code == 404

                await _until(ticket_gone, "the ticket erased")
                needles = [pseudonym, str(CHAT), ASK, LATER, REPLY, NOTE]

                async def nothing_in_postgres() -> bool:
                    return not await _rows_naming(database_url, needles)

                await _until(nothing_in_postgres, "PostgreSQL free of the person")
                await _until(lambda: _drained(redis), "the sender done with the deletions")
                # /forget's last outbox entry drops the sender's own per-chat keys too.
                assert await _redis_naming(redis, needles) == []
        finally:
            code = await asyncio.to_thread(running.stop)
    assert code == 0, running.output
    for secret in (str(CHAT), ASK, LATER, REPLY, NOTE, pseudonym):
        assert secret not in running.output


async def _drained(redis: Redis) -> bool:
    from handoff import keys

    return await redis.xlen(keys.OUTBOX_STREAM) == 0
