"""The web page: paste a text or drop a file, see the lean and the evidence in the text."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = resources.files("service") / "static"
# Swagger UI's script and style sheet, from the fastapi-offline package, so /docs works offline.
DOCS_ASSETS = resources.files("fastapi_offline") / "static"
# Everything the pages need is served from here: no CDN, no inline script.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(request.app.state.page_html, headers={"Content-Security-Policy": CSP})


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
async def docs() -> HTMLResponse:
    # FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script.
    return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"), headers={"Content-Security-Policy": CSP})


def static_files() -> StaticFiles:
    """The page's script and style sheet, mounted at ``/static``."""
    return StaticFiles(directory=str(STATIC))


def docs_assets() -> StaticFiles:
    """Swagger UI's files, mounted at ``/docs-assets``."""
    return StaticFiles(directory=str(DOCS_ASSETS))


def page_html() -> str:
    """The page itself, read once when the app is built."""
    return (STATIC / "index.html").read_text(encoding="utf-8")
