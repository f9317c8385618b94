"""The console page and its static files over HTTP: headers, versions, nothing else served.

No browser here: what a browser must be told (CSP, no framing, no caching)
and what the files must not contain (inline script, HTML sinks) is checked on
the bytes, so it holds even where Chromium is missing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.console import pages
from handoff.tickets import Language


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(pages.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_page_is_served_with_strict_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["connect-src"] == "'self' ws: wss:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_page_is_accessible_markup_without_inline_code(client: httpx.AsyncClient) -> None:
    html = (await client.get("/console")).text
    assert re.search(r'<html lang="[a-z]{2}">', html)
    assert '<meta name="viewport"' in html
    # CSP forbids inline code: every script is a file, no handler attributes, no style attributes.
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"\sstyle=", html)
    # Nothing from elsewhere (the machine is offline and the CSP would block it anyway).
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    # Every form control has a label.
    ids = set(re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', html))
    assert ids - labelled == set()
    # Every language of the queue can be chosen, exactly once in the presence form.
    for language in Language:
        assert html.count(f'name="lang" value="{language.value}"') == 1


async def test_assets_are_versioned_by_content(client: httpx.AsyncClient) -> None:
    html = (await client.get("/console")).text
    version = pages.assets_version()
    assert f"/console/static/console.js?v={version}" in html
    assert f"/console/static/console.css?v={version}" in html


@pytest.mark.parametrize(("name", "media_type"), [
    ("console.js", "text/javascript"), ("console.css", "text/css"), ("icon.svg", "image/svg+xml"),
])
async def test_static_files_and_revalidation(client: httpx.AsyncClient, name: str,
                                             media_type: str) -> None:
    response = await client.get(f"/console/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (pages.STATIC_DIR / name).read_bytes()
    etag = response.headers["etag"]
    again = await client.get(f"/console/static/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    stale = await client.get(f"/console/static/{name}", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200


@pytest.mark.parametrize("name", [
    "..%2Fpages.py", "../pages.py", "%2e%2e%2fpages.py", "pages.py", "missing.js", "Console.js",
    ".console.js", "console.js.map", "a" * 81 + ".js", "console.html", "%00.js",
])
async def test_nothing_else_is_served(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/console/static/{name}")
    assert response.status_code in (404, 422)
    assert b"import" not in response.content and b"<html" not in response.content


def test_script_has_no_html_sinks() -> None:
    """Message text is attacker-controlled: the script never parses data as HTML or code."""
    script = (pages.STATIC_DIR / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "setTimeout(\"", "setInterval(\"", ".src =", ".href ="):
        assert sink not in script, sink
    # One fetch, in one helper that always sends the CSRF header and same-origin credentials.
    assert script.count("fetch(") == 1
    assert '"X-Hotline-Console": "1"' in script
    assert 'credentials: "same-origin"' in script


def test_languages_are_the_queue_languages() -> None:
    assert [code for code, _ in pages.LANGUAGES] == [language.value for language in Language]
