"""The OpenAPI document, with the limits this app was started with: the contract clients and fuzzers read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.settings import Settings


def with_limits(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the configured text length and batch size into the request schemas, in place.

    They are settings, so the pydantic models cannot carry them; the routes enforce them.
    Also what FastAPI's document model loses: an id's 64-bit bounds (it stores them as
    floats, and 2^63 - 1 becomes 2^63), and that an upload takes no other form fields.

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
        if name == "BatchItem":
            for choice in properties["id"]["anyOf"]:
                if choice.get("type") == "integer":
                    choice.update(minimum=-(2**63), maximum=2**63 - 1)
        if name.startswith("Body_classify_file"):  # FastAPI's name for the upload's form
            component["additionalProperties"] = False
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make ``/openapi.json`` publish ``settings``' limits; built once, on first request."""
    build = app.openapi  # FastAPI's own, which caches its document in app.openapi_schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with_limits(build(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
