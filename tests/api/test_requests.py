"""Bad input gets a clear answer with the path of the error, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from api.models import Role
from tests.api.conftest import StaffFactory, bearer
from tests.api.factories import flow_doc, unique

API = "/api/v1"


@pytest.fixture
async def editor(make_staff: StaffFactory) -> dict[str, str]:
    _, token = await make_staff(Role.editor)
    return bearer(token)


def paths(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    return [e["path"] for e in r.json()["detail"]]


async def test_two_megabyte_body_is_413(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    doc = flow_doc(unique("big"), "x" * 2_000_000)
    r = await client.post(f"{API}/flows", json={"document": doc}, headers=editor)
    assert r.status_code == 413


async def test_streamed_body_without_length_is_counted(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    async def chunks():
        for _ in range(40):
            yield b"x" * 64_000

    r = await client.post(f"{API}/flows", content=chunks(),
                          headers={**editor, "Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413


async def test_lying_content_length_on_a_get_is_413(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    r = await client.get(f"{API}/flows", headers={**editor, "Content-Length": "5000000"})
    assert r.status_code == 413


async def test_malformed_json(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    r = await client.post(f"{API}/flows", content=b'{"document": {', headers={
        **editor, "Content-Type": "application/json"})
    assert paths(r) == ["/body/14"]
    assert r.json()["detail"][0]["type"] == "json_invalid"


async def test_wrong_types_and_unknown_fields(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    doc = flow_doc(unique("types"))
    doc["menu_order"] = "first"
    doc["colour"] = "red"
    doc["steps"]["hello"]["shout"] = True
    r = await client.post(f"{API}/flows", json={"document": doc, "extra": 1}, headers=editor)
    found = paths(r)
    assert "/body/document/menu_order" in found
    assert "/body/document/colour" in found
    assert "/body/extra" in found
    assert any(p.startswith("/body/document/steps/hello") for p in found)
    assert all("input" not in e for e in r.json()["detail"])  # input is not echoed


@pytest.mark.parametrize("body", [None, [], "flow", 7, {"document": None}, {"document": []}])
async def test_body_of_wrong_shape(
    client: httpx.AsyncClient, editor: dict[str, str], body: object
) -> None:
    kwargs = {} if body is None else {"json": body}
    r = await client.post(f"{API}/flows", headers=editor, **kwargs)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize("path", [
    "/flows/Not-An-Id", "/flows/" + "a" * 65, "/flows/x/versions/0", "/flows/x/versions/-1",
    "/flows/x/versions/99999999999999999999", "/flows/x/versions/one",
    "/flows/x/diff?from=1", "/flows/x/diff?from=1&to=2147483648", "/flows?limit=0",
    "/flows?limit=100000", "/flows?offset=-1", "/staff/0", "/staff/9223372036854775808",
    "/audit?since=2024-01-01T00:00:00", "/audit?since=0001-01-01T00:00:00%2B05:00",
    "/audit?action=flow.delete", "/audit?surprise=1",
])
async def test_forged_and_huge_ids_are_422(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    r = await client.get(API + path, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["path"].startswith(("/path/", "/query/"))


async def test_unknown_ids_are_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for path in ("/flows/no_such_flow", "/staff/2147483647", "/flows/no_such_flow/versions/3"):
        r = await client.get(API + path, headers=admin)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "not_found"


async def test_unstorable_text_is_422_with_its_path(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    doc = flow_doc(unique("nul"))
    doc["steps"]["hello"]["text"]["en"] = "bad\x00text"
    r = await client.post(f"{API}/flows", json={"document": doc}, headers=editor)
    assert paths(r) == ["/body/document/steps/hello/text/en"]
    raw = json.dumps({"document": flow_doc(unique("sur"), "SURROGATE")})
    lone = raw.replace("SURROGATE", "\\ud800").encode()  # a lone surrogate escape in JSON
    r = await client.post(f"{API}/flows", content=lone,
                          headers={**editor, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text


async def test_semantic_errors_are_422_and_warnings_come_back(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    doc = flow_doc(unique("broken"))
    doc["steps"]["hello"]["next"] = "nowhere"
    r = await client.post(f"{API}/flows", json={"document": doc}, headers=editor)
    assert "/body/document/steps/hello/next" in paths(r)
    assert r.json()["code"] == "validation_failed"

    old = flow_doc(unique("stale"))
    old["steps"]["hello"].update(factual=True, as_of=str(dt.date(2020, 1, 1)),
                                 sources=[{"title": "A law"}])
    r = await client.post(f"{API}/flows", json={"document": old}, headers=editor)
    assert r.status_code == 201, r.text
    problems = r.json()["problems"]
    assert problems and {p["severity"] for p in problems} == {"warning"}


async def test_update_rules(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    flow_id = unique("upd")
    r = await client.post(f"{API}/flows", json={"document": flow_doc(flow_id)}, headers=editor)
    assert r.status_code == 201
    r = await client.post(f"{API}/flows", json={"document": flow_doc(flow_id)}, headers=editor)
    assert r.status_code == 409  # exists
    r = await client.put(f"{API}/flows/{flow_id}", json={"document": flow_doc(flow_id)},
                         headers=editor)
    assert r.status_code == 409  # no change
    r = await client.put(f"{API}/flows/{flow_id}", json={"document": flow_doc("other_id", "B")},
                         headers=editor)
    assert paths(r) == ["/body/document/id"]
    r = await client.put(f"{API}/flows/{flow_id}",
                         json={"document": flow_doc(flow_id, "B"), "base_version": 7},
                         headers=editor)
    assert r.status_code == 409  # stale base
    r = await client.put(f"{API}/flows/no_such_flow",
                         json={"document": flow_doc("no_such_flow", "B")}, headers=editor)
    assert r.status_code == 404
    r = await client.post(f"{API}/flows/{flow_id}/rollback", json={}, headers=editor)
    assert r.status_code == 409  # never published
    r = await client.post(f"{API}/flows/{flow_id}/rollback", json={"to_version": "x"},
                          headers=editor)
    assert paths(r) == ["/body/to_version"]
