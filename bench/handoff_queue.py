"""Benchmark of the handoff queue: ``python bench/handoff_queue.py`` prints claims/s and latencies.

- ``claims``: 2,000 tickets waiting in five languages and three priorities,
  then 1,000 claims, so at least 1,000 tickets wait throughout: one advisor
  claiming one after another (per-claim latency), and 20 advisors at once on
  4 connections (claims/s).
- ``contended``: 20 advisors press "take" on the same ticket at once; the
  time for the whole round (one wins, 19 are refused), repeated.
- ``visible``: enqueue → visible: a producer XADDs one ticket request to the
  stream as the bot and the api do; the intake runs in another process; a
  console's pub/sub subscriber sees the "queued" message. Latency from XADD
  to that message, one ticket at a time.

Redis is the local server when it answers (an empty db number, flushed
afterwards), else the embedded one. It never fails for being slow: it prints
figures and the machine they were measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402

from handoff import keys  # noqa: E402
from handoff.advisors import AdvisorPresence, Advisors  # noqa: E402
from handoff.config import QueueConfig  # noqa: E402
from handoff.errors import TicketTaken  # noqa: E402
from handoff.intake import TicketIntake  # noqa: E402
from handoff.queue import HandoffQueue  # noqa: E402
from handoff.tickets import Language, TicketRequest  # noqa: E402

LANGS = [lang.value for lang in Language]
PRIORITIES = ["urgent", "high", "normal"]
CONFIG = QueueConfig(presence_ttl=3600)


def _percentiles(samples_us: list[float]) -> str:
    q = statistics.quantiles(samples_us, n=100)
    return f"p50 {q[49]:.0f} µs, p99 {q[98]:.0f} µs"


def _request(n: int, prefix: str) -> TicketRequest:
    return TicketRequest(id=f"{prefix}-{n}", conversation=f"{prefix}person{n:06d}",
                         language=LANGS[n % 5], priority=PRIORITIES[n % 3],  # type: ignore[arg-type]
                         reason="asked for a person", intent="talk_to_human")


async def _fill(queue: HandoffQueue, count: int, prefix: str) -> None:
    for start in range(0, count, 50):
        await asyncio.gather(*(queue.enqueue(_request(n, prefix))
                               for n in range(start, min(start + 50, count))))


async def bench_claims(url: str) -> None:
    client = aioredis.from_url(url)
    queue, advisors = HandoffQueue(client, CONFIG), Advisors(client, CONFIG)
    await advisors.register(AdvisorPresence(id="solo", languages=frozenset(Language),
                                            capacity=50))
    await _fill(queue, 2000, "seq")
    latencies = []
    started = time.perf_counter()
    for i in range(1000):
        if i and i % 50 == 0:  # stay under capacity: close what was taken
            for ticket_id in await advisors.chats("solo"):
                await queue.close(ticket_id, "solo", "answered")
        t0 = time.perf_counter()
        await queue.claim_next("solo")
        latencies.append((time.perf_counter() - t0) * 1e6)
    elapsed = time.perf_counter() - started
    print(f"claim_next, 1 advisor, ≥1,000 waiting: {_percentiles(latencies)} per claim "
          f"({1000 / elapsed:,.0f} claims/s including a close per claim)")
    await client.flushdb()
    await client.set("hotline:bench:lock", "1")

    clients = [aioredis.from_url(url) for _ in range(4)]
    queues = [HandoffQueue(c, CONFIG) for c in clients]
    names = [f"adv{i}" for i in range(20)]
    for i, name in enumerate(names):
        await advisors.register(AdvisorPresence(
            id=name, languages=frozenset({Language(LANGS[i % 5]), Language(LANGS[(i + 1) % 5])}),
            capacity=50))
    await _fill(queue, 2000, "par")
    claimed = 0

    async def work(i: int) -> None:
        nonlocal claimed
        for _ in range(50):
            if await queues[i % 4].claim_next(names[i]) is not None:
                claimed += 1

    started = time.perf_counter()
    await asyncio.gather(*(work(i) for i in range(20)))
    elapsed = time.perf_counter() - started
    waiting = len(await queue.waiting(limit=5000))
    print(f"claim_next, 20 advisors on 4 connections: {claimed / elapsed:,.0f} claims/s "
          f"({claimed} claims, {waiting} still waiting)")
    for c in clients:
        await c.aclose()
    await client.flushdb()
    await client.set("hotline:bench:lock", "1")
    await client.aclose()


async def bench_contended(url: str, rounds: int = 200) -> None:
    clients = [aioredis.from_url(url) for _ in range(4)]
    queues = [HandoffQueue(c, CONFIG) for c in clients]
    advisors = Advisors(clients[0], CONFIG)
    names = [f"take{i}" for i in range(20)]
    for name in names:
        await advisors.register(AdvisorPresence(id=name, languages=frozenset(Language),
                                                capacity=50))
    round_us = []
    for r in range(rounds):
        ticket = (await queues[0].enqueue(_request(r, "race"))).ticket_id

        async def press(i: int, ticket: str = ticket) -> bool:
            try:
                await queues[i % 4].claim(ticket, names[i])
            except TicketTaken:
                return False
            return True

        t0 = time.perf_counter()
        wins = await asyncio.gather(*(press(i) for i in range(20)))
        round_us.append((time.perf_counter() - t0) * 1e6)
        assert sum(wins) == 1
        winner = names[wins.index(True)]
        await queues[0].close(ticket, winner, "answered")
    print(f"20 advisors take the same ticket: {_percentiles(round_us)} per round "
          f"(exactly one winner in all {rounds})")
    await clients[0].flushdb()
    await clients[0].set("hotline:bench:lock", "1")
    for c in clients:
        await c.aclose()


async def bench_visible(url: str, count: int = 500) -> None:
    client = aioredis.from_url(url)
    await TicketIntake(client, HandoffQueue(client, CONFIG), consumer="bench").ensure_group()
    child = await asyncio.create_subprocess_exec(sys.executable, __file__, "intake",
                                                 "--redis-url", url)
    pubsub = client.pubsub()
    await pubsub.subscribe(keys.QUEUE_CHANGED)
    producer = aioredis.from_url(url)
    try:
        await asyncio.sleep(1.5)  # the intake process imports and starts reading
        latencies = []
        for n in range(-20, count):  # the first 20 warm up
            ticket_id = f"vis-{n}"
            t0 = time.perf_counter()
            await producer.xadd(keys.HANDOFF_STREAM, {  # the api's fields
                "ticket_id": ticket_id, "conversation": f"visperson{n + 100:06d}",
                "language": LANGS[n % 5], "intent": "summons", "reason": "wants a person",
                "priority": PRIORITIES[n % 3], "source": "service",
                "created_at": f"{time.time():.3f}"})
            async with asyncio.timeout(10):
                async for message in pubsub.listen():
                    if message["type"] == "message" and \
                            json.loads(message["data"]).get("ticket") == ticket_id:
                        break
            if n >= 0:
                latencies.append((time.perf_counter() - t0) * 1e6)
        print(f"enqueue → visible (XADD → intake in another process → queue → console "
              f"pub/sub): {_percentiles(latencies)} over {count} tickets")
    finally:
        child.send_signal(signal.SIGTERM)
        await asyncio.wait_for(child.wait(), 10)
        await pubsub.aclose()
        await producer.aclose()
        await client.flushdb()
        await client.set("hotline:bench:lock", "1")
        await client.aclose()


def run_intake(url: str) -> None:
    async def main() -> None:
        client = aioredis.from_url(url)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        intake = TicketIntake(client, HandoffQueue(client, CONFIG), block_ms=200)
        await intake.run(stop)
        await client.aclose()

    asyncio.run(main())


async def _choose_redis(embedded_dir: str | None) -> tuple[str, object | None]:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        local = sock.connect_ex(("127.0.0.1", 6379)) == 0
    if local and embedded_dir is None:
        for db in range(15, 0, -1):
            url = f"redis://127.0.0.1:6379/{db}"
            client = aioredis.from_url(url)
            try:
                if await client.dbsize() == 0:
                    await client.set("hotline:bench:lock", "1")
                    return url, None
            finally:
                await client.aclose()
        raise SystemExit("no empty Redis database number is free")
    from hotline.embedded import EmbeddedServers  # noqa: PLC0415 (bench only)

    servers = EmbeddedServers(Path(embedded_dir or tempfile.mkdtemp(prefix="hl-bench-")))
    base = servers.start_redis()
    return f"{base}?db=0", servers


def _cpu() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


async def run(embedded: bool, cpu: str) -> None:
    url, servers = await _choose_redis(tempfile.mkdtemp(prefix="hl-bench-") if embedded else None)
    client = aioredis.from_url(url)
    info = await client.info("server")
    await client.aclose()
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}, Redis {info['redis_version']} "
          f"({'embedded, unix socket' if servers else 'local TCP'})")
    try:
        await bench_claims(url)
        await bench_contended(url)
        await bench_visible(url)
    finally:
        client = aioredis.from_url(url)
        await client.flushdb()
        await client.aclose()
        if servers is not None:
            servers.close()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("run")
    for q in (parser, p):
        q.add_argument("--embedded", action="store_true", help="use the embedded Redis 6.2")
    p = sub.add_parser("intake")
    p.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    if args.command == "intake":
        run_intake(args.redis_url)
    else:
        asyncio.run(run(args.embedded, _cpu()))


if __name__ == "__main__":
    main()
