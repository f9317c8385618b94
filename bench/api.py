"""Benchmark of the bundle path: ``python bench/api.py`` prints req/s and latency percentiles.

For each content size (a small pack, and the default content from
flows/content), three scenarios against uvicorn (uvloop + httptools, one
worker) in a subprocess on 127.0.0.1, each loaded for a fixed duration by a
keep-alive load generator in another process:

- ``bare``: a bare FastAPI app returning the same bundle bytes (the ceiling),
- ``bundle``: ``GET /api/v1/bundle`` with a service token (auth, metrics and all),
- ``304``: the same with ``If-None-Match`` set to the current ETag.

Both servers run at once and the load generator round-robins the scenarios
in short slices, so noise from other work on the machine falls on all three.

PostgreSQL and Redis are the local servers when they answer, else the
embedded ones; the benchmark uses a throwaway database. It never fails for
being slow: it prints figures and the machine they were measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCAL_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


# --------------------------------------------------------------------------- servers


def serve_bare(port: int, body_file: str, etag: str) -> None:
    """A FastAPI app with one route returning the given bytes: the ceiling to compare with."""
    import uvicorn
    from fastapi import FastAPI, Response

    body = Path(body_file).read_bytes()
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> Response:
        return Response(body, media_type="application/json", headers={"ETag": etag})

    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                workers=1, log_level="warning", access_log=False)


def serve_api(port: int, database_url: str, redis_url: str) -> None:
    import uvicorn

    from api.app import create_app
    from hotline.settings import ApiSettings

    settings = ApiSettings.model_validate({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, loop="uvloop",
                http="httptools", workers=1, log_level="warning", access_log=False)


# --------------------------------------------------------------------------- load generator


class _Target:
    """One scenario: its keep-alive connections, the request they send, what came back."""

    def __init__(self, name: str, port: int, path: str, headers: dict[str, str]) -> None:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1",
                 *[f"{k}: {v}" for k, v in headers.items()]]
        self.name, self.port = name, port
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.busy = 0.0

    async def open(self, n: int) -> None:
        self.conns = [await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 22)
                      for _ in range(n)]

    async def _drive(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     until: float, record: bool) -> None:
        while (start := time.perf_counter()) < until:
            writer.write(self.request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await reader.readexactly(length)
            if record:
                self.latencies.append(time.perf_counter() - start)
                status = int(head[9:12])
                self.statuses[status] = self.statuses.get(status, 0) + 1

    async def slice(self, seconds: float, record: bool) -> None:
        start = time.perf_counter()
        await asyncio.gather(*[self._drive(r, w, start + seconds, record) for r, w in self.conns])
        if record:
            self.busy += time.perf_counter() - start

    def result(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
        return {"requests": len(lat), "rps": len(lat) / self.busy if self.busy else 0.0,
                "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "statuses": self.statuses}


async def _load(targets: list[dict[str, Any]], connections: int, duration: float,
                warmup: float, slice_s: float) -> dict[str, Any]:
    """Round-robin the scenarios in short slices, so background load hits them all alike."""
    runs = [_Target(t["name"], t["port"], t["path"], t["headers"]) for t in targets]
    for t in runs:
        await t.open(connections)
    for t in runs:
        await t.slice(warmup, record=False)
    for _ in range(max(1, round(duration / slice_s))):
        for t in runs:
            await t.slice(slice_s, record=True)
    for t in runs:
        for _, writer in t.conns:
            writer.close()
    return {t.name: t.result() for t in runs}


def load(args: argparse.Namespace) -> None:
    import uvloop

    targets = json.loads(args.targets)
    print(json.dumps(uvloop.run(_load(targets, args.connections, args.duration, args.warmup,
                                      args.slice))))


# --------------------------------------------------------------------------- orchestration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        if _port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def _run_load(targets: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "load", "--targets", json.dumps(targets),
         "--connections", str(args.connections), "--duration", str(args.duration),
         "--warmup", str(args.warmup), "--slice", str(args.slice)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def _server(args: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, *args, "--port", str(port)])
    _wait_ready(port, proc)
    return proc, port


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _default_pack() -> Any:
    """The default content's manifest and every flow that parses (content is work in progress)."""
    from flows.packio import load_pack_dir
    from flows.schema import Flow, Pack, PackManifest

    files = load_pack_dir(ROOT / "flows" / "content")
    flows = []
    for _, raw in files.flows:
        try:
            flows.append(Flow.model_validate(raw))
        except ValueError:
            continue
    return Pack(manifest=PackManifest.model_validate(files.manifest), flows=flows)


def _small_pack() -> Any:
    from flows.schema import Flow, Pack

    pack = _default_pack()
    langs = [lang.value for lang in pack.manifest.languages]
    flow = Flow.model_validate({
        "id": "hello", "title": dict.fromkeys(langs, "Hello"), "start": "a",
        "steps": {"a": {"type": "message", "text": dict.fromkeys(langs, "Hello there"),
                        "next": "b"}, "b": {"type": "end"}},
    })
    return Pack(manifest=pack.manifest, flows=[flow])


async def _prepare(admin_url: str, pack: Any) -> tuple[str, str, str, bytes, str]:
    """A fresh database with the pack imported; returns url, name, token, bundle bytes, etag."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from api import ops
    from api.bundle import load_snapshot
    from api.models import Role

    name = f"hotline_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    base, _, query = admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")
    engine = ops.make_engine(url, pool_size=2)
    await ops.upgrade_async(engine)
    sessions = ops.make_sessionmaker(engine)
    async with sessions() as s:
        await ops.import_pack(s, pack, actor=None)
        _, token = await ops.create_staff(s, name="bench-bot", role=Role.service)
        snapshot = await load_snapshot(s)
    await engine.dispose()
    assert snapshot is not None
    return url, name, token, snapshot.body, snapshot.etag


async def _drop(admin_url: str, name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _line(name: str, r: dict[str, Any], base: float) -> str:
    return (f"  {name:<8} {r['rps']:>9.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  {100 * r['rps'] / base:5.0f}% of bare  "
            f"statuses {r['statuses']}")


def run(args: argparse.Namespace) -> None:
    servers = None
    if _port_open(5432) and _port_open(6379) and not args.embedded:
        admin_url, redis_url, where = LOCAL_PG, LOCAL_REDIS, "local servers"
    else:
        from hotline.embedded import EmbeddedServers

        servers = EmbeddedServers(Path(tempfile.mkdtemp(prefix="hl-bench-")))
        admin_url, redis_url = servers.start_postgres(), servers.start_redis()
        where = "embedded servers"
    import fastapi
    import uvicorn

    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"stack: fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__} "
          f"(uvloop + httptools, 1 worker); PostgreSQL/Redis: {where}")
    print(f"load: {args.connections} keep-alive connections per scenario, {args.duration:.0f} s "
          f"each after {args.warmup:.0f} s warm-up, scenarios interleaved in {args.slice} s "
          "slices (so background load hits all alike), generator in its own process")
    try:
        for label, pack in (("small pack", _small_pack()), ("default content", _default_pack())):
            url, name, token, body, etag = asyncio.run(_prepare(admin_url, pack))
            servers_up: list[subprocess.Popen[bytes]] = []
            try:
                with tempfile.NamedTemporaryFile(suffix=".json") as f:
                    f.write(body)
                    f.flush()
                    bare_proc, bare_port = _server(["serve-bare", "--body", f.name,
                                                    "--etag", etag])
                    servers_up.append(bare_proc)
                    api_proc, api_port = _server(["serve-api", "--database-url", url,
                                                  "--redis-url", redis_url])
                    servers_up.append(api_proc)
                    auth = {"Authorization": f"Bearer {token}"}
                    results = _run_load([
                        {"name": "bare", "port": bare_port, "path": "/bare", "headers": {}},
                        {"name": "bundle", "port": api_port, "path": "/api/v1/bundle",
                         "headers": auth},
                        {"name": "304", "port": api_port, "path": "/api/v1/bundle",
                         "headers": {**auth, "If-None-Match": etag}},
                    ], args)
            finally:
                for proc in servers_up:
                    _stop(proc)
                asyncio.run(_drop(admin_url, name))
            bare, full, cached = results["bare"], results["bundle"], results["304"]
            print(f"\n{label}: bundle {len(body):,} bytes, {len(pack.flows)} flows")
            print(_line("bare", bare, bare["rps"]))
            print(_line("bundle", full, bare["rps"]))
            print(_line("304", cached, bare["rps"]))
    finally:
        if servers is not None:
            servers.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("run")
    for q in (parser, p):
        q.add_argument("--connections", type=int, default=48)
        q.add_argument("--duration", type=float, default=5.0)
        q.add_argument("--warmup", type=float, default=1.0)
        q.add_argument("--slice", type=float, default=0.25)
        q.add_argument("--embedded", action="store_true", help="use embedded PostgreSQL/Redis")
    p = sub.add_parser("serve-bare")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--etag", required=True)
    p = sub.add_parser("serve-api")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", required=True)
    p = sub.add_parser("load")
    p.add_argument("--targets", required=True, help="JSON list of {name, port, path, headers}")
    p.add_argument("--connections", type=int, default=48)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--slice", type=float, default=0.25)
    args = parser.parse_args()
    if args.command == "serve-bare":
        serve_bare(args.port, args.body, args.etag)
    elif args.command == "serve-api":
        serve_api(args.port, args.database_url, args.redis_url)
    elif args.command == "load":
        load(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
