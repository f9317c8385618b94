"""``hotline up`` on a machine with nothing configured: embedded servers, one port, clean stop.

This is the README's first command, run as a new user would (a subprocess
with an empty data dir and no DATABASE_URL/REDIS_URL), then run again to
check that the data is reused and the admin token is not printed twice.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

TOKEN_LINE = re.compile(r"^[A-Za-z0-9_-]{40,}$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "REDIS_URL", "HOTLINE_SECRET_KEY", "BOT_TOKEN", "HOTLINE_API_TOKEN",
        "TELEGRAM_API_URL"}}
    env["HOTLINE_DATA_DIR"] = str(data_dir)
    env.update(extra or {})
    return env


class Running:
    """``hotline up`` in a subprocess, as a new user starts it."""

    def __init__(self, data_dir: Path, cwd: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        hotline = Path(sys.executable).with_name("hotline")
        self.proc = subprocess.Popen(
            [str(hotline), "up", "--port", str(self.port)], cwd=cwd,
            env=_env(data_dir, extra_env),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []

    def wait_ready(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("hotline up exited early:\n" + "".join(self.lines))
            self.lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("no /healthz:\n" + "".join(self.lines))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        self.lines.append(out)
        return self.proc.returncode

    @property
    def output(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_up_on_an_empty_machine_then_again(data_dir: Path, tmp_path: Path) -> None:
    first = Running(data_dir, tmp_path)
    try:
        first.wait_ready()
        tokens = [ln.strip() for ln in first.lines if TOKEN_LINE.match(ln.strip())]
        assert len(tokens) == 1, first.output
        admin = {"Authorization": f"Bearer {tokens[0]}"}
        base = f"http://127.0.0.1:{first.port}"
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        bundle = httpx.get(f"{base}/api/v1/bundle", headers=admin, timeout=5)
        assert bundle.status_code == 200
        flow_ids = {flow["id"] for flow in bundle.json()["flows"]}
        assert {"leave_country", "summons", "urgent_danger"} <= flow_ids
        assert httpx.get(f"{base}/api/v1/bundle", timeout=5).status_code == 401
        etag = bundle.headers["etag"]
    finally:
        code = first.stop()
    assert code == 0, first.output
    assert "stopped." in first.output
    assert (data_dir / "postgres").is_dir() and (data_dir / "redis").is_dir()

    second = Running(data_dir, tmp_path)
    try:
        second.wait_ready()
        assert not [ln for ln in second.lines if TOKEN_LINE.match(ln.strip())], second.output
        assert "imported the default content" not in second.output
        again = httpx.get(
            f"http://127.0.0.1:{second.port}/api/v1/bundle",
            headers={**admin, "If-None-Match": etag}, timeout=5,
        )
        assert again.status_code == 304
    finally:
        assert second.stop() == 0, second.output
