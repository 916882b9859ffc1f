"""Dependencies that hand routes what the lifespan handler set up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.metrics import Metrics
from service.model_slot import LoadedModel, ModelSlot
from service.settings import Settings


def get_slot(request: Request) -> ModelSlot:
    return request.app.state.slot


SlotDep = Annotated[ModelSlot, Depends(get_slot)]


def get_loaded_model(request: Request) -> LoadedModel:
    # Read once per request: a reload during the request does not change its model.
    return request.app.state.slot.current


ModelDep = Annotated[LoadedModel, Depends(get_loaded_model)]


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
