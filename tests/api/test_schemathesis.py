"""Property-based fuzzing of the whole API from its own OpenAPI document.

Schemathesis generates valid and invalid requests for every operation (a
bounded number each) and sends them with a valid admin token; no input may
produce a server error, and responses must match the documented schemas.
The app builds its own engine and Redis client in its lifespan, which
schemathesis runs in its own event loop.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import ops
from api.app import create_app
from api.models import Role
from hotline.settings import ApiSettings
from tests.api.factories import pack, unique

MAX_EXAMPLES = 25


@pytest.fixture(scope="session")
async def fuzz_token(sessions: async_sessionmaker[AsyncSession]) -> str:
    """An admin token, and published content so the bundle exists."""
    async with sessions() as s:
        await ops.import_pack(s, pack(unique("fuzz")), actor=None)
        _, token = await ops.create_staff(s, name=unique("fuzzer"), role=Role.admin)
    return token


@pytest.fixture(scope="session")
def api_schema(database_url: str, redis_url: str, fuzz_token: str) -> schemathesis.BaseSchema:
    app = create_app(
        ApiSettings.model_validate({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 reads ``node._nodeid``, which pytest 9.2 no longer sets."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_is_a_server_error(case: schemathesis.Case, fuzz_token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
