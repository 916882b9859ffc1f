"""Operational routes: liveness, readiness, the model's metadata, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.deps import MetricsDep, ModelDep
from service.errors import ApiError, error_responses
from service.schemas import Health, Live, Ready

# 408, 431 and 503 come from the connection layer, before any route runs (service.connections).
router = APIRouter(responses=error_responses(408, 431, 500, 503))


@router.get("/health/live", response_model=Live, summary="The process is up and answering")
async def live() -> Live:
    return Live(status="ok")


@router.get(
    "/health/ready",
    response_model=Ready,
    summary="A model is loaded and requests will be served",
)
async def ready(request: Request) -> Ready:
    slot = getattr(request.app.state, "slot", None)
    if slot is None:
        raise ApiError(503, "not_ready", "no model is loaded yet: wait for start-up to finish, or check the logs")
    return Ready(status="ready", model_version=slot.current.version)


@router.get("/health", response_model=Health, summary="Liveness and the model being served")
async def health(loaded: ModelDep) -> Health:
    return Health(status="ok", model_version=loaded.version)


@router.get("/model", summary="Metadata of the model being served: version, hashes, labels, scores")
async def model_metadata(loaded: ModelDep) -> dict[str, Any]:
    return {**loaded.metadata, "labels": loaded.labels}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(metrics: MetricsDep, loaded: ModelDep) -> Response:
    metrics.serving(loaded.version)
    return Response(metrics.render(), media_type=metrics.content_type)
