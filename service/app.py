"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from service import admin, ops, routes, web
from service.errors import install_error_handlers
from service.file_pool import FilePool
from service.metrics import Metrics
from service.middleware import RequestMiddleware
from service.model_slot import ModelSlot, load_ready
from service.openapi import install_openapi
from service.settings import Settings, get_settings

log = logging.getLogger("rolelens")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the model is loaded when it starts, not here."""
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = await run_in_threadpool(load_ready, settings.model_dir)
        notices = settings.run_dir / "reload" if settings.run_dir else None
        app.state.slot = slot = ModelSlot(loaded, notices)
        metrics.serving(loaded.version)
        log.info("model loaded", extra={"model_version": loaded.version, "model_dir": str(settings.model_dir)})
        # PDF and DOCX parsers run in processes of their own, killed at their deadline.
        app.state.file_pool = FilePool(settings.file_workers, settings.file_queue_seconds)
        follower = None
        if notices is not None:  # one of several server processes: follow the others' reloads
            follow = slot.follow(settings.model_dir, settings.reload_timeout_seconds, metrics.serving)
            follower = asyncio.create_task(follow)
        try:
            yield
        finally:
            if follower is not None:
                follower.cancel()
            app.state.file_pool.close()
            metrics.close()

    app = FastAPI(
        title="RoleLens",
        summary="Does a job posting or resume lean towards ML engineer or data scientist, how strongly, and why?",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by web.py from local files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.page_html = web.page_html()
    install_error_handlers(app)
    install_openapi(app, settings)
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        mounts=("/static", "/docs-assets"),
        body_timeout=settings.body_timeout_seconds,
        max_buffered_bytes=settings.max_buffered_bytes,
    )
    # Routes are tried in order: the classify routes, which take nearly all requests, first.
    app.include_router(routes.json_router)
    for module in (routes, ops, admin, web):
        app.include_router(module.router)
    app.mount("/static", web.static_files(), name="static")
    app.mount("/docs-assets", web.docs_assets(), name="docs-assets")
    return app
