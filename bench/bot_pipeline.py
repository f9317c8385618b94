"""Benchmark of the bot's update pipeline beside a bare aiogram echo, in one process.

``python bench/bot_pipeline.py`` (or ``run_pipeline_bench()``) prints, for
each of two scenarios fed the same way (``dp.feed_update`` with a fixed
number of updates in flight, as long polling does):

- ``echo``: a bare Dispatcher whose one handler calls ``sendMessage`` with the
  text — aiogram's floor for "an update in, a message out";
- ``pipeline``: the real bot — identity, duplicate/flood gate and record in
  one Lua call, language detection and intent classification (the real NLU),
  the engine, the turn's writes in one Lua call (record, sealed events, outbox)
  — and the real outbox sender in the same process, sending every reply;
- ``handlers``: the same without the sender (replies stay queued), to show
  how the cost divides between the update path and the sender.

Both send to the same fake Bot API, which runs in a child process (limits
off) so its work does not land on the measured process. Updates/s counts an
update done when the messages it caused were accepted (for the pipeline: the
sender has finished as many entries as the outbox received, then the stream is
confirmed empty — it deletes each entry once sent). Latency is per
update, ``feed_update`` start to end: for the echo that includes its send,
for the pipeline it ends once the replies are queued. Rounds alternate
echo/pipeline so background noise falls on both. It never fails for being
slow: it prints figures and the machine.

Everything runs on uvloop, with the garbage collector settled after start-up
(hotline/heap.py), as ``hotline bot`` does (hotline/services.py), and
each row also gives the CPU this process spent per update (user + system,
from getrusage): on a loaded machine throughput wobbles, CPU per update much
less, and it says what an update costs the process.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: An empty Redis database is picked from these (BENCH_REDIS_URL overrides).
LOCAL_REDIS = "redis://127.0.0.1:6379"
LOCK = "hotline:bench:lock"
SECRET = "bench-" + "s" * 42
TOKEN = "123456:BENCH-token"


# ---------------------------------------------------------------- the fake Telegram


def _serve_fake(port_out: Any) -> None:
    """Child process: the fake Bot API without limits, until killed."""
    from tests.fakes import FakeBotAPI

    async def main() -> None:
        api = FakeBotAPI(global_rate=None, per_chat_rate=None, group_per_minute=None)
        url = await api.start()
        port_out.put(url)
        await asyncio.Event().wait()  # until the parent terminates this process

    asyncio.run(main())


def _bot(url: str) -> Any:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


# ---------------------------------------------------------------- the workload


def _texts() -> list[tuple[str, str]]:
    """Held-out NLU texts (every language, Latin-script Russian) and their language."""
    rows = []
    for line in (ROOT / "nlu" / "eval" / "heldout.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["text"], row.get("lang", "ru")))
    return rows


def _updates(count: int, users: int, buttons: list[str], seed: int = 7) -> list[dict[str, Any]]:
    """80 % free text, 10 % commands, 10 % menu taps, spread over ``users`` people."""
    from tests.fakes import make_callback_update, make_message_update

    rng = random.Random(seed)
    texts = _texts()
    updates = []
    for i in range(count):
        chat = 10_000 + rng.randrange(users)
        roll = rng.random()
        if roll < 0.8:
            text, lang = rng.choice(texts)
            updates.append(make_message_update(i + 1, chat, text, language_code=lang[:2]))
        elif roll < 0.9:
            updates.append(make_message_update(i + 1, chat, rng.choice(["/start", "/menu"])))
        else:
            updates.append(make_callback_update(i + 1, chat, rng.choice(buttons)))
    return updates


async def _feed(dp: Any, bot: Any, raw: list[dict[str, Any]], in_flight: int) -> list[float]:
    """Feed every update with ``in_flight`` at once; returns each one's latency in seconds."""
    from aiogram.types import Update

    updates = [Update.model_validate(u, context={"bot": bot}) for u in raw]
    latencies: list[float] = []
    queue = iter(updates)

    async def worker() -> None:
        for update in queue:
            start = time.perf_counter()
            await dp.feed_update(bot, update)
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies


# ---------------------------------------------------------------- the scenarios


async def _echo_round(url: str, raw: list[dict[str, Any]], in_flight: int) -> dict[str, float]:
    from aiogram import Dispatcher, F
    from aiogram.types import CallbackQuery, Message

    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def tap(query: CallbackQuery) -> None:
        if query.message is not None:
            await query.bot.send_message(query.message.chat.id, query.data or "")  # type: ignore[union-attr]

    bot = _bot(url)
    try:
        start, cpu = time.perf_counter(), _cpu()
        latencies = await _feed(dp, bot, raw, in_flight)
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    finally:
        await bot.session.close()
    return _figures(len(raw), elapsed, latencies, len(raw), cpu)


async def _pipeline_round(url: str, raw: list[dict[str, Any]], in_flight: int, redis: Any,
                          nlu: Any, pack: Any, *, send: bool = True) -> dict[str, float]:
    """The bot's pipeline; ``send=False`` leaves the replies queued (the handlers' share)."""
    from bot.app import build_dispatcher
    from bot.engines import EngineHolder
    from bot.ratelimit import RateLimits
    from bot.sender import Sender, SenderConfig
    from bot.tickets import CHAT_PURPOSE
    from handoff import keys
    from handoff.events import TEXT_PURPOSE
    from hotline.crypto import Pseudonymizer, Sealer
    from hotline.settings import BotSettings

    await _flush(redis)
    settings = BotSettings(_env_file=None, BOT_TOKEN=TOKEN, HOTLINE_SECRET_KEY=SECRET)  # type: ignore[call-arg]
    engines = EngineHolder()
    engines.install(pack, version="bench", source="bench")
    dp = build_dispatcher(redis=redis, engines=engines, nlu=nlu,
                          pseudonymize=Pseudonymizer(SECRET),
                          text_sealer=Sealer(SECRET, TEXT_PURPOSE),
                          chat_sealer=Sealer(SECRET, CHAT_PURPOSE), settings=settings)
    bot = _bot(url)
    limits = RateLimits(global_rate=1e6, per_chat_rate=1e6, chat_burst=10_000,
                        group_per_minute=1_000_000, group_burst=10_000)
    sender = Sender(bot, redis, SenderConfig(limits=limits, block_ms=50))
    task = asyncio.create_task(sender.run()) if send else None
    try:
        start, cpu = time.perf_counter(), _cpu()
        latencies = await _feed(dp, bot, raw, in_flight)
        queued = await redis.xlen(keys.OUTBOX_STREAM)
        if send:  # the sender deletes each entry once it is done: wait for an empty stream
            await _until_done(redis, sender)
            await _until_empty(redis, keys.OUTBOX_STREAM, what=lambda: str(sender.stats))
            queued = sender.stats.sent + sender.stats.failed
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()
    return _figures(len(raw), elapsed, latencies, queued, cpu)


async def _until_done(redis: Any, sender: Any, *, limit: float = 120.0) -> None:
    """Wait until the sender has finished as many entries as were ever added to the outbox.

    Watching the sender's own counters costs the measured process next to
    nothing; polling XLEN every few milliseconds instead would put ~200
    Redis round trips a second on the pipeline that the echo does not pay.
    (Every bench message is a sendMessage, so each one ends in a counter.)
    """
    from handoff import keys

    info = await redis.xinfo_stream(keys.OUTBOX_STREAM)
    added = int(info.get("entries-added", info.get(b"entries-added", 0)) or 0)
    deadline = time.perf_counter() + limit
    while True:
        stats = sender.stats
        if (stats.sent + stats.failed + stats.blocked + stats.dropped + stats.malformed
                + stats.duplicates) >= added:
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the sender did not finish: {stats}")
        await asyncio.sleep(0.005)


async def _until_empty(redis: Any, stream: str, *, what: Callable[[], str],
                       limit: float = 120.0) -> None:
    """Poll until ``stream`` is empty; a stuck sender fails the run instead of hanging it."""
    deadline = time.perf_counter() + limit
    while await redis.xlen(stream):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the sender did not finish: {what()}")
        await asyncio.sleep(0.005)


def _cpu() -> float:
    """Seconds of CPU this process has used (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _figures(count: int, elapsed: float, latencies: list[float], sent: int,
             cpu: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "cpu_ms": 1000 * cpu / count,
        "updates_per_s": count / elapsed,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "messages_sent": float(sent),
        "messages_per_s": sent / elapsed,
    }


async def _empty_redis() -> Any:
    """A client on an empty database (marked as ours), so nobody's data is flushed."""
    from redis.asyncio import Redis

    urls = [os.environ["BENCH_REDIS_URL"]] if "BENCH_REDIS_URL" in os.environ else [
        f"{LOCAL_REDIS}/{db}" for db in range(15, 0, -1)]
    for url in urls:
        client = Redis.from_url(url)
        if await client.set(LOCK, 1, nx=True) and await client.dbsize() == 1:
            return client
        await client.aclose()
    raise SystemExit("no empty Redis database for the benchmark; set BENCH_REDIS_URL")


async def _flush(redis: Any) -> None:
    await redis.flushdb()
    await redis.set(LOCK, 1)


def _pack() -> Any:
    """The packaged content when it loads, else the bot tests' pack (same shape of work)."""
    from flows.packio import load_pack
    from flows.problems import PackInvalid

    try:
        return load_pack(ROOT / "flows" / "content")
    except PackInvalid:
        from tests.bot.pack import make_pack

        return make_pack()


def _menu_buttons(pack: Any) -> list[str]:
    from bot.callbacks import ActionCb
    from flows.outcome import Action, ActionKind

    flows = [f.id for f in pack.flows if f.menu_order is not None] or [pack.flows[0].id]
    return [ActionCb.of(Action(kind=ActionKind.flow, flow=f)) for f in flows] + ["a:m:::"]


async def _bench(url: str, *, updates: int, users: int, in_flight: int,
                 rounds: int) -> dict[str, Any]:
    from hotline import heap
    from nlu.parser import NluParser

    nlu = NluParser.load_or_train(ROOT / "nlu" / "data",
                                  Path(tempfile.gettempdir()) / "hotline-bench-nlu")
    pack = _pack()
    raw = _updates(updates, users, _menu_buttons(pack))
    redis = await _empty_redis()
    heap.settle()  # as `hotline bot` does once its classifier is loaded (hotline/heap.py)
    scenarios: dict[str, Callable[[], Awaitable[dict[str, float]]]] = {
        "echo": lambda: _echo_round(url, raw, in_flight),
        "pipeline": lambda: _pipeline_round(url, raw, in_flight, redis, nlu, pack),
        "handlers": lambda: _pipeline_round(url, raw, in_flight, redis, nlu, pack, send=False),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
    try:
        await scenarios["pipeline"]()  # warm-up: scripts loaded, caches filled
        for _ in range(rounds):
            for name, run in scenarios.items():
                results[name].append(await run())
    finally:
        await redis.flushdb()
        await redis.aclose()
    return {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for name, rs in results.items()}


def run_pipeline_bench(*, updates: int = 3000, users: int = 600, in_flight: int = 32,
                       rounds: int = 3, show: bool = True) -> dict[str, Any]:
    """Run both scenarios and print (and return) median figures over ``rounds``."""
    ctx = multiprocessing.get_context("spawn")
    port_out = ctx.Queue()
    fake = ctx.Process(target=_serve_fake, args=(port_out,), daemon=True)
    fake.start()
    try:
        url = port_out.get(timeout=60)
        figures = _run(_bench(url, updates=updates, users=users, in_flight=in_flight,
                              rounds=rounds))
    finally:
        fake.terminate()
        fake.join(10)
    echo, pipe = figures["echo"], figures["pipeline"]  # medians per column
    ratio = pipe["updates_per_s"] / echo["updates_per_s"]
    if show:
        print(f"machine: {platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}, "
              f"Python {platform.python_version()}")
        print(f"{updates} updates ({users} people, {in_flight} in flight), median of {rounds} "
              "rounds; fake Bot API in a child process")
        print(f"{'scenario':<10}{'updates/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'messages':>10}"
              f"{'messages/s':>12}{'CPU ms/update':>15}")
        for name, row in figures.items():
            print(f"{name:<10}{row['updates_per_s']:>11.0f}{row['p50_ms']:>9.2f}"
                  f"{row['p99_ms']:>9.2f}{row['messages_sent']:>10.0f}"
                  f"{row['messages_per_s']:>12.0f}{row['cpu_ms']:>15.2f}")
        print("handlers = the pipeline without the sender (replies left queued): its own share")
        print(f"pipeline / echo throughput: {ratio:.0%} (goal: at least 50%); by CPU per "
              f"update: {echo['cpu_ms'] / pipe['cpu_ms']:.0%}")
    return {**figures, "ratio": ratio}


def _run(coro: Any) -> Any:
    """On uvloop when installed, as ``hotline bot`` runs (hotline.services.run_async)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


if __name__ == "__main__":
    run_pipeline_bench()
