"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from service import admin, ops, routes, web
from service.errors import install_error_handlers
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
        app.state.slot = ModelSlot(loaded)
        metrics.serving(loaded.version)
        log.info("model loaded", extra={"model_version": loaded.version, "model_dir": str(settings.model_dir)})
        # File parsers get threads of their own: a slow file must not take the model's.
        app.state.file_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rolelens-file")
        try:
            yield
        finally:
            app.state.file_pool.shutdown(wait=False, cancel_futures=True)

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
    mounts = ("/static", "/docs-assets")
    app.add_middleware(RequestMiddleware, metrics=metrics, max_body_bytes=settings.max_body_bytes, mounts=mounts)
    # Routes are tried in order: the classify routes, which take nearly all requests, first.
    app.include_router(routes.json_router)
    for module in (routes, ops, admin, web):
        app.include_router(module.router)
    app.mount("/static", web.static_files(), name="static")
    app.mount("/docs-assets", web.docs_assets(), name="docs-assets")
    return app
