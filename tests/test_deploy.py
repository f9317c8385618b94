"""The production description: docker-compose has every service, volume and health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.mark.parametrize("service", ["postgres", "redis", "api", "bot", "actions"])
def test_every_service_is_there_with_a_health_check(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["healthcheck"]["test"], service
    assert spec.get("restart") == "unless-stopped"


def test_postgres_and_redis_keep_their_data(compose: dict[str, Any]) -> None:
    assert "postgres-data" in compose["volumes"]
    assert "redis-data" in compose["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    command = compose["services"]["redis"]["command"]
    assert "--appendonly" in command and command[command.index("--appendonly") + 1] == "yes"


@pytest.mark.parametrize("service", ["api", "bot", "actions", "migrate"])
def test_app_services_take_secrets_from_env_file(compose: dict[str, Any], service: str) -> None:
    spec = compose["services"][service]
    assert spec["env_file"] == ".env"
    assert "DATABASE_URL" in spec["environment"] and "REDIS_URL" in spec["environment"]
    # No secret is written into the file itself.
    assert "HOTLINE_SECRET_KEY" not in spec["environment"]
    assert "BOT_TOKEN" not in spec["environment"]


def test_app_services_wait_for_healthy_servers(compose: dict[str, Any]) -> None:
    for service in ("api", "migrate"):
        deps = compose["services"][service]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"
    assert compose["services"]["api"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_dockerfile_runs_unprivileged_and_installs_the_project() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER hotline" in text
    assert "pip install ." in text
