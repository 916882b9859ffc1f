"""JSON bodies read strictly: a key given twice in one object is refused, not silently overwritten.

``{"text": "a", "text": "b"}`` is JSON whose meaning the standard leaves open; Python keeps the
last value, so the service would answer for a text the client may not have meant. As with a
misspelt field, the client is told rather than guessed for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

REPEATED_KEY = "the key "  # how the error of a repeated key begins


class _Repeated(Exception):
    def __init__(self, key: str):
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        raise _Repeated(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return obj


def loads_strict(body: bytes | str) -> Any:
    """``json.loads``, but a key repeated in one object raises ``json.JSONDecodeError`` naming it.

    >>> loads_strict('{"text": "a", "kind": null}')
    {'text': 'a', 'kind': None}
    >>> loads_strict('{"text": "a", "text": "b"}')
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: the key 'text' is given twice in one object: line 1 column 15 (char 14)
    """
    try:
        return json.loads(body, object_pairs_hook=_unique)
    except _Repeated as repeated:
        doc = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        written = json.dumps(repeated.key)
        first = doc.find(written)
        second = doc.find(written, first + 1) if first >= 0 else -1
        raise json.JSONDecodeError(
            f"{REPEATED_KEY}{repeated.key!r} is given twice in one object", doc, max(second, 0)
        ) from None


class StrictJsonRequest(Request):
    """A request whose ``json()`` refuses repeated keys (see :func:`loads_strict`)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A route that reads its JSON body with :class:`StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
