"""The advisor console's page and its static files: one HTML page, a script, a style sheet.

Everything the page does goes through the console's JSON endpoints and its
WebSocket; this module only serves the files, with headers that keep a
browser from doing anything else with them. The Content-Security-Policy allows
nothing but this origin — no inline script, no external resource (the
console must work offline, and a message that slipped into the page as HTML
could still not run) —, the page is never cached (it follows a login) and
never framed (clickjacking an advisor into closing a chat).

Static files are read once, on first request, and served with a strong ETag;
the page names them with a version (a digest of their contents) so a new
release is fetched at once and an unchanged file costs a 304.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from handoff.tickets import Language

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
PAGE_PATH = "/console"
STATIC_PATH = PAGE_PATH + "/static"

#: Only this origin; WebSockets (ws:/wss:) for the live queue; nothing inline.
CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "font-src 'self'", "connect-src 'self' ws: wss:", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
#: Headers on everything this module serves.
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
#: The page follows a login and shows nothing private itself, but a shared
#: computer's back button or disk cache must not hold it either.
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_STATIC_NAME = r"^[a-z0-9][a-z0-9_\-]{0,63}\.(?:js|css|svg)$"
_NAMES = {Language.ru: "Русский", Language.uk: "Українська", Language.be: "Беларуская",
          Language.en: "English", Language.de: "Deutsch"}
#: The queue's languages with their own names (a language added without a name fails here).
LANGUAGES = [(language.value, _NAMES[language]) for language in Language]

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(tags=["console"], include_in_schema=False)


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


@cache
def static_files() -> dict[str, StaticFile]:
    """Every servable file of the static directory, read once (a few kilobytes).

    Requests look names up here and nowhere else, so no request can reach a
    path outside the directory, and unknown names cost nothing.
    """
    found: dict[str, StaticFile] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file() and re.match(_STATIC_NAME, path.name):
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:32]
            found[path.name] = StaticFile(body=body, media_type=_MEDIA_TYPES[path.suffix],
                                          etag=f'"{digest}"')
    return found


@cache
def assets_version() -> str:
    """A digest of the script and style sheet: the page's cache-busting query string."""
    digest = hashlib.sha256()
    files = static_files()
    for name in ("console.js", "console.css"):
        digest.update(files[name].etag.encode() if name in files else b"-")
    return digest.hexdigest()[:12]


@router.get(PAGE_PATH, response_class=HTMLResponse)
async def console_page(request: Request) -> Response:
    """The single page: a login form until the console cookie is set, then the console."""
    return templates.TemplateResponse(
        request, "console.html",
        {"static": STATIC_PATH, "version": assets_version(), "languages": LANGUAGES},
        headers=PAGE_HEADERS)


@router.get(STATIC_PATH + "/{name}")
async def console_static(
    request: Request, name: str = PathParam(max_length=80)
) -> Response:
    """One static file; 304 when the browser's copy is current, 404 for anything else."""
    found = static_files().get(name)
    if found is None:
        return Response("not found", 404, media_type="text/plain", headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "ETag": found.etag, "Cache-Control": "no-cache"}
    if found.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
