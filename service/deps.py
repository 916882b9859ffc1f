"""Dependencies that hand routes what the lifespan handler set up.

They are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in its thread
pool, a hop per dependency per request that cost more than the work they do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.metrics import Metrics
from service.model_slot import LoadedModel, ModelSlot
from service.settings import Settings


async def get_slot(request: Request) -> ModelSlot:
    return request.app.state.slot


SlotDep = Annotated[ModelSlot, Depends(get_slot)]


async def get_loaded_model(request: Request) -> LoadedModel:
    # Read once per request: a reload during the request does not change its model.
    return request.app.state.slot.current


ModelDep = Annotated[LoadedModel, Depends(get_loaded_model)]


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
