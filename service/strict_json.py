"""JSON bodies read strictly: a key given twice in one object is refused, not silently overwritten.

``{"text": "a", "text": "b"}`` is JSON whose meaning the standard leaves open; Python keeps the
last value, so the service would answer for a text the client may not have meant. As with a
misspelt field, the client is told rather than guessed for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

REPEATED_KEY = "a key is given twice"  # how the error of a repeated key begins
# Keys named back in that error: the fields of our requests. Any other key is the client's own
# text, of any size, and error bodies never repeat what was sent.
FIELDS = frozenset({"text", "kind", "explain", "items", "id"})
# Bodies larger than this are parsed in a worker thread: the object hook runs Python for every
# object, and a body of four million empty items took 2.4 s to read, which would stall the loop.
THREAD_BYTES = 256 * 1024


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
    """``json.loads``, but a key repeated in one object raises ``json.JSONDecodeError`` (naming it if it is ours).

    >>> loads_strict('{"text": "a", "kind": null}')
    {'text': 'a', 'kind': None}
    >>> loads_strict('{"text": "a", "text": "b"}')
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: a key is given twice in one object ('text'): line 1 column 1 (char 0)
    """
    try:
        return json.loads(body, object_pairs_hook=_unique)
    except _Repeated as repeated:
        named = f" ({repeated.key!r})" if repeated.key in FIELDS else ""
        # No position: the hook sees keys, not where they are, and a key may be written escaped.
        raise json.JSONDecodeError(f"{REPEATED_KEY} in one object{named}", "", 0) from None


class StrictJsonRequest(Request):
    """A request whose ``json()`` refuses repeated keys (see :func:`loads_strict`)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) > THREAD_BYTES:
                self._json = await anyio.to_thread.run_sync(loads_strict, body)
            else:
                self._json = loads_strict(body)
        return self._json


class StrictJsonRoute(APIRoute):
    """A route that reads its JSON body with :class:`StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
