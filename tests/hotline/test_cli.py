"""The ``hotline`` command's contracts (ARCHITECTURE.md): exit codes and output shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotline.cli import main

HOTLINE = str(Path(sys.executable).with_name("hotline"))
CONTENT = Path(__file__).resolve().parents[2] / "flows" / "content"


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([HOTLINE, *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=240)


def test_bot_health_check_reads_the_heartbeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    assert main(["bot", "--check"]) == 1
    beat = tmp_path / "bot.heartbeat"
    beat.touch()
    assert main(["bot", "--check"]) == 0
    old = time.time() - 600
    os.utime(beat, (old, old))
    assert main(["bot", "--check"]) == 1


def test_flows_validate_passes_the_default_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "validate", str(CONTENT)]) == 0
    assert "0 errors" in capsys.readouterr().out


def test_flows_validate_reports_every_problem_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pack.yaml").write_text((CONTENT / "pack.yaml").read_text())
    (tmp_path / "broken.yaml").write_text(
        "id: broken\ntitle: {ru: x, uk: x, en: x}\nstart: nowhere\n"
        "steps:\n  a: {type: message, text: {ru: '', uk: x, en: x, de: x}, next: missing}\n"
    )
    assert main(["flows", "validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    for fragment in ("broken.yaml#/start", "broken.yaml#/steps/a/next", "/title/de"):
        assert fragment in out, out


def test_staff_create_prints_the_token_as_its_last_line(database_url: str, redis_url: str) -> None:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "HOTLINE_SECRET_KEY": "k" * 48}
    created = _run(["staff", "create", "cli-editor", "--role", "editor"], env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    again = _run(["staff", "create", "cli-editor", "--role", "editor"], env)
    assert again.returncode == 1 and "exists" in again.stderr
    bad_role = _run(["staff", "create", "x", "--role", "root"], env)
    assert bad_role.returncode == 2


def test_production_refuses_a_placeholder_secret(database_url: str, redis_url: str) -> None:
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "HOTLINE_SECRET_KEY": "change-me"}
    result = _run(["staff", "list"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: HOTLINE_SECRET_KEY")
    assert "Traceback" not in result.stderr


def test_nlu_predict_writes_one_json_object_per_line(tmp_path: Path) -> None:
    lines = ["как уехать из россии", "kak uehat iz rossii", "am I protected?", ""]
    result = _run(["nlu", "predict"], {"HOTLINE_DATA_DIR": str(tmp_path)}, "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == lines
    assert {"text", "intent", "confidence", "lang"} <= set(rows[0])
    assert rows[0]["intent"] == rows[1]["intent"] == "leave_country"
    assert rows[0]["lang"] == rows[1]["lang"] == "ru" and rows[2]["lang"] == "en"
