"""The OpenAPI document, with the limits this app was started with: the contract clients and fuzzers read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.settings import Settings


def with_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the configured text length and batch size into the request schemas, in place.

    They are settings, so the pydantic models cannot carry them; the routes enforce them.

    >>> doc = {"components": {"schemas": {"BatchRequest": {"properties": {"items": {}}}}}}
    >>> with_limits(doc, Settings(max_batch_items=8))["components"]["schemas"]["BatchRequest"]["properties"]
    {'items': {'maxItems': 8}}
    """
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        properties = component.get("properties", {})
        if name in ("ClassifyRequest", "BatchItem") and "text" in properties:
            properties["text"]["maxLength"] = settings.max_text_chars
        if name == "BatchRequest":
            properties["items"]["maxItems"] = settings.max_batch_items
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make ``/openapi.json`` publish ``settings``' limits; built once, on first request."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            app.openapi_schema = with_limits(schema, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
