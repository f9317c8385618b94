"""``run_action_server`` as ``hotline actions`` runs it: its own process, loopback only.

The api is deliberately absent (a closed port): the server must start anyway,
answer ``/health``, and answer an action call with the calm message.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from actions import texts
from flows.schema import Lang
from tests.actions.payloads import action_call, user_message

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (
    "import sys\n"
    "from actions.server import run_action_server\n"
    "from hotline.settings import ActionsSettings\n"
    "run_action_server(ActionsSettings(), port=int(sys.argv[1]))\n"
)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


@pytest.fixture
def server_process(tmp_path: Path, free_port: int) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    with __import__("socket").socket() as sock:  # a second free port, for the absent api
        sock.bind(("127.0.0.1", 0))
        api_port = sock.getsockname()[1]
    env = {**os.environ, "API_URL": f"http://127.0.0.1:{api_port}",
           "HOTLINE_API_TOKEN": "hl_not_used", "HOTLINE_DATA_DIR": str(tmp_path),
           "HOTLINE_SECRET_KEY": "", "PYTHONWARNINGS": "ignore"}
    for name in ("DATABASE_URL", "REDIS_URL", "ACTIONS_HOST", "SANIC_HOST"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(free_port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield proc, free_port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


async def wait_until_up(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            if (await client.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail("the action server did not come up")


async def test_hotline_actions_serves_on_loopback(
    server_process: tuple[subprocess.Popen[bytes], int], tmp_path: Path,
) -> None:
    proc, port = server_process
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await wait_until_up(client, proc)
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0

        body = action_call("action_hotline_flow", user_message(
            "how do I leave", intent="leave_country", metadata={"language": "en"}))
        r = await client.post("/webhook", json=body)
        assert r.status_code == 200, r.text
        assert [m["text"] for m in r.json()["responses"]] == [texts.UNAVAILABLE[Lang.en]]

    # Embedded mode (no DATABASE_URL): the secret was made once and kept in the data dir.
    assert (tmp_path / "secret.key").is_file()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
