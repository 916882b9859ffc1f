"""The HTTP protocol uvicorn runs, with what httptools and uvicorn leave out for slow clients.

uvicorn's keep-alive timer only runs between requests, so a client that sends half its
headers (or nothing) holds a connection for ever, and httptools buffers headers of any
size. This protocol closes a connection whose request headers are not complete within
``ROLELENS_HEADER_TIMEOUT_SECONDS`` (408), refuses headers over ``ROLELENS_MAX_HEADER_BYTES``
(431), and turns away connections over ``ROLELENS_MAX_CONNECTIONS`` at once (503), each
answered in the one error shape. Body deadlines live in the request middleware.
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.errors import error_body
from service.settings import get_settings


def raw_error(status: int, reason: str, code: str, message: str, retry_after: int | None = None) -> bytes:
    """A whole HTTP/1.1 error response in the one error shape, closing the connection.

    >>> raw_error(408, "Request Timeout", "header_timeout", "too slow").split(b"\\r\\n")[0]
    b'HTTP/1.1 408 Request Timeout'
    """
    body = json.dumps(error_body(status, code, message, None)).encode()
    head = [f"HTTP/1.1 {status} {reason}", "content-type: application/json", f"content-length: {len(body)}"]
    head += [f"retry-after: {retry_after}"] if retry_after is not None else []
    return ("\r\n".join([*head, "connection: close", "", ""])).encode() + body


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline, a header size cap and a connection cap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = get_settings()  # every server process reads the same ROLELENS_* environment
        self._header_timeout = settings.header_timeout_seconds
        self._max_header_bytes = settings.max_header_bytes
        self._max_connections = settings.max_connections
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._max_connections:
            self._refuse(
                503,
                "Service Unavailable",
                "overloaded",
                f"the server holds {self._max_connections} connections (ROLELENS_MAX_CONNECTIONS): retry shortly",
                retry_after=1,
            )
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of a new request on a kept-alive connection
        super().data_received(data)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._count(len(name) + len(value)):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._header_bytes = 0
        if not self._refused:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _count(self, size: int) -> bool:
        self._header_bytes += size
        if self._header_bytes > self._max_header_bytes and not self._refused:
            self._refuse(
                431,
                "Request Header Fields Too Large",
                "header_too_large",
                f"the request line and headers are over {self._max_header_bytes} bytes (ROLELENS_MAX_HEADER_BYTES): "
                "send shorter headers (a text goes in the body)",
            )
        return not self._refused

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        self._refuse(
            408,
            "Request Timeout",
            "header_timeout",
            f"the request headers did not arrive within {self._header_timeout:g} s "
            "(ROLELENS_HEADER_TIMEOUT_SECONDS): send the whole request at once",
        )

    def _refuse(self, status: int, reason: str, code: str, message: str, retry_after: int | None = None) -> None:
        self._refused = True
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(raw_error(status, reason, code, message, retry_after))
            self.transport.close()
