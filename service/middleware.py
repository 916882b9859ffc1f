"""The ASGI middleware around every request: request id, body limit, metrics, access log.

Written as plain ASGI rather than ``BaseHTTPMiddleware``: it runs on every request and
costs a few microseconds this way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import error_body
from service.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
_CALLER_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

log = logging.getLogger("rolelens.access")
errors_log = logging.getLogger("rolelens")


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


class BodyTimeout(Exception):
    """The request body did not arrive within the deadline."""


class Overloaded(Exception):
    """Buffering this body would hold more request bytes than the server allows at once."""


class _Disconnected(Exception):
    """The client went away before it sent its whole body."""


class RequestMiddleware:
    """Give each request an id, cap its body, time it, count it and log it (without its text).

    A caller's ``X-Request-ID`` is kept when it is a plain token, so ids follow a request
    across services; otherwise a new one is made. Either way it comes back in the response
    header and in error bodies.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body_bytes: int,
        mounts: tuple[str, ...] = (),
        body_timeout: float = 60.0,
        max_buffered_bytes: int | None = None,
    ):
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # A client that trickles its body, or many that hold big ones, must not hold memory for good.
        self.body_timeout = body_timeout
        self.max_buffered_bytes = max_buffered_bytes
        self.buffered = 0  # body bytes held by requests of this process now
        self.mounts = mounts  # FastAPI does not name the route of a mount in the scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        request_id = _caller_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        rid_header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        status, response_started = 500, False
        held = [0]  # bytes of this request's body counted in self.buffered

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started, status = True, message["status"]
                message = {**message, "headers": [*message.get("headers", ()), rid_header]}
            await send(message)

        try:
            if scope["method"] in _WITH_BODY:
                receive = await self._buffered(scope, receive, held)
            await self.app(scope, receive, send_with_id)
        except BodyTimeout:
            await _send_error(
                send_with_id,
                408,
                "body_timeout",
                f"the request body did not arrive within {self.body_timeout:g} s (ROLELENS_BODY_TIMEOUT_SECONDS): "
                "send it at once, or a smaller one",
                request_id,
            )
        except Overloaded:
            await _send_error(
                send_with_id,
                503,
                "overloaded",
                f"the server holds {self.max_buffered_bytes} bytes of request bodies already "
                "(ROLELENS_MAX_BUFFERED_BYTES): retry shortly",
                request_id,
                retry_after=1,
            )
        except BodyTooLarge:
            await _send_error(
                send_with_id,
                413,
                "body_too_large",
                f"the request body is over {self.max_body_bytes} bytes (ROLELENS_MAX_BODY_BYTES): "
                "send a shorter text, a smaller file, or split a batch",
                request_id,
            )
        except _Disconnected:
            status = 499  # the client went away before sending its body; nothing to answer
        except Exception:
            errors_log.exception("unhandled error", extra={"request_id": request_id})
            if not response_started:
                await _send_error(
                    send_with_id,
                    500,
                    "internal_error",
                    "the server failed on this request; report the request id",
                    request_id,
                )
        finally:
            self.buffered -= held[0]
            seconds = time.perf_counter() - started_at
            route = self._route(scope)
            self.metrics.observe_request(route, scope["method"], status, seconds)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )

    def _route(self, scope: Scope) -> str:
        """The route template, so that metrics have one series per endpoint, not per URL."""
        route = getattr(scope.get("route"), "path", None)
        if route:
            return route
        return next((m for m in self.mounts if scope["path"].startswith(m + "/")), "unmatched")

    async def _buffered(self, scope: Scope, receive: Receive, held: list[int]) -> Receive:
        """Read the whole body under the limits and the deadline, then replay it to the app.

        ``held[0]`` counts the bytes added to ``self.buffered``; the caller gives them back.
        """
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BodyTooLarge
        chunks, size, more = [], 0, True
        try:
            async with asyncio.timeout(self.body_timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Disconnected
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise BodyTooLarge
                    held[0] += len(chunk)
                    self.buffered += len(chunk)
                    if self.max_buffered_bytes is not None and self.buffered > self.max_buffered_bytes:
                        raise Overloaded
                    chunks.append(chunk)
                    more = message.get("more_body", False)
        except TimeoutError:
            raise BodyTimeout from None
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # only a disconnect can come now
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def _caller_request_id(scope: Scope) -> str | None:
    value = _header(scope, REQUEST_ID_HEADER.encode())
    return value.decode() if value and _CALLER_ID.fullmatch(value) else None


async def _send_error(
    send: Send, status: int, code: str, message: str, request_id: str, retry_after: int | None = None
) -> None:
    body = json.dumps(error_body(status, code, message, request_id)).encode()
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if status in (408, 503):  # the rest of the body is still on its way: close rather than read it
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
