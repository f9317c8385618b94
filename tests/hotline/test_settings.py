from __future__ import annotations

from pathlib import Path

import pytest

from hotline.settings import ApiSettings, InsecureSecretError

EXTERNAL = {"DATABASE_URL": "postgresql+asyncpg://x@h/db", "REDIS_URL": "redis://h:6379/0"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "HOTLINE_SECRET_KEY", "HOTLINE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("secret", [None, "", "change-me", "secret", "short-but-random-1234"])
def test_production_refuses_missing_or_placeholder_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    for key, value in EXTERNAL.items():
        monkeypatch.setenv(key, value)
    if secret is not None:
        monkeypatch.setenv("HOTLINE_SECRET_KEY", secret)
    settings = ApiSettings()
    with pytest.raises(InsecureSecretError):
        settings.ensure_secret()


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in EXTERNAL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "r" * 40)
    settings = ApiSettings()
    settings.ensure_secret()
    assert settings.secret_key.get_secret_value() == "r" * 40


def test_embedded_mode_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = ApiSettings()
    assert first.embedded
    first.ensure_secret()
    key_file = tmp_path / "data" / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = ApiSettings()
    second.ensure_secret()
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert len(first.secret_key.get_secret_value()) >= 32


def test_secret_is_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "r" * 40)
    assert "r" * 40 not in repr(ApiSettings())
