"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from classifier.persist import load_model
from service.deps import LoadedModel
from service.routes import router
from service.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the model is loaded when it starts, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model, metadata = load_model(settings.model_dir)
        model.explain(["warm-up"])  # build the evidence pipeline now, not on the first request
        app.state.loaded = LoadedModel(model, metadata)
        yield

    app = FastAPI(
        title="RoleLens",
        summary="Does a job posting or resume lean towards ML engineer or data scientist, how strongly, and why?",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(router)
    return app
