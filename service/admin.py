"""Admin routes, behind a bearer token; without ROLELENS_ADMIN_TOKEN they are disabled."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Depends, Request

from service.deps import MetricsDep, SettingsDep, SlotDep
from service.errors import ApiError, error_responses
from service.schemas import ReloadResponse

log = logging.getLogger("rolelens")


async def require_admin(request: Request, settings: SettingsDep) -> None:
    """Let the request through only with ``Authorization: Bearer <ROLELENS_ADMIN_TOKEN>``."""
    if settings.admin_token is None:
        raise ApiError(
            403, "admin_disabled", "admin endpoints are disabled: set ROLELENS_ADMIN_TOKEN and restart to enable them"
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = settings.admin_token.get_secret_value()
    # Constant-time comparison; the same answer for a missing, malformed or wrong token.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(
    prefix="/admin",
    dependencies=[Depends(require_admin)],
    responses=error_responses(401, 403, 408, 409, 413, 431, 500, 503),
)


@router.post(
    "/reload",
    response_model=ReloadResponse,
    summary="Load the newest trained model and swap it in; requests in flight finish on the old one",
)
async def reload(slot: SlotDep, settings: SettingsDep, metrics: MetricsDep) -> ReloadResponse:
    serving = slot.current.version
    try:
        done = await slot.reload(settings.model_dir, settings.reload_timeout_seconds)
    except Exception as err:  # noqa: BLE001 - whatever stops the load, the old model keeps serving
        metrics.reloads.labels("refused").inc()
        reason = str(err) or type(err).__name__
        log.warning("model reload refused", extra={"reason": reason, "serving": serving})
        raise ApiError(
            409, "model_refused", f"the newest model was refused and {serving} keeps serving: {reason}"
        ) from None
    metrics.reloads.labels("swapped" if done.swapped else "unchanged").inc()
    if done.swapped:
        metrics.serving(done.model_version)
        log.info(
            "model reloaded", extra={"previous_version": done.previous_version, "model_version": done.model_version}
        )
    return ReloadResponse(
        swapped=done.swapped, previous_version=done.previous_version, model_version=done.model_version
    )
