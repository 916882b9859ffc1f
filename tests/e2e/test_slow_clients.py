"""Slow and greedy clients against a real server over real sockets: deadlines, caps, a connection limit."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def answer(sock: socket.socket) -> tuple[int, dict]:
    """Read a whole response up to the server's close: its status and JSON body."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:  # closed with our unread bytes in its buffer: the answer may be lost
        if not data:
            return 0, {"error": {"code": "reset"}}
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_half_sent_headers_are_closed_at_the_header_deadline(start_server, models_dir):
    """500 connections with half their headers and 20 silent ones each get a 408 and are closed in time."""
    base = start_server(models_dir, header_timeout_seconds=1)
    socks = [connect(base) for _ in range(520)]
    for s in socks[:500]:
        s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: app")
    assert httpx.get(f"{base}/health/live", timeout=5).status_code == 200  # others are served meanwhile
    began = time.monotonic()
    codes = [answer(s) for s in socks]
    assert time.monotonic() - began < 5
    assert {(status, body["error"]["code"]) for status, body in codes} == {(408, "header_timeout")}
    assert "ROLELENS_HEADER_TIMEOUT_SECONDS" in codes[0][1]["error"]["message"]


def test_a_trickled_body_gets_408_at_the_body_deadline(start_server, models_dir):
    """A body sent a byte at a time is cut off at ROLELENS_BODY_TIMEOUT_SECONDS with a 408."""
    base = start_server(models_dir, body_timeout_seconds=2)
    s = connect(base)
    s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n")
    began = time.monotonic()
    s.setblocking(False)
    while time.monotonic() - began < 8:
        try:
            s.sendall(b" ")
        except OSError:
            break  # closed by the server
        try:
            if s.recv(1, socket.MSG_PEEK):
                break
        except BlockingIOError:
            time.sleep(0.4)
    s.setblocking(True)
    status, body = answer(s)
    assert (status, body["error"]["code"]) == (408, "body_timeout")
    assert 1.5 < time.monotonic() - began < 5


def test_held_bodies_are_capped_and_then_released(start_server, models_dir, meter):
    """20 clients holding 15 MB bodies half-sent: past ROLELENS_MAX_BUFFERED_BYTES they get 503, the rest 408."""
    base = start_server(models_dir, max_buffered_bytes=8 * 1024 * 1024, body_timeout_seconds=3)
    pid = start_server.processes[base].pid
    before = meter.rss_mb(pid)
    socks = []
    for _ in range(20):
        s = connect(base)
        s.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        s.sendall(b"Content-Length: 15000000\r\n\r\n")
        try:
            s.sendall(b" " * 2_000_000)
        except OSError:
            pass  # refused and closed while sending
        socks.append(s)
    held = meter.rss_mb(pid)
    outcomes = [answer(s) for s in socks]
    codes = [(status, body["error"]["code"]) for status, body in outcomes]
    refused = {(503, "overloaded"), (0, "reset")}  # a reset: closed before we had sent our bytes
    assert sum(c in refused for c in codes) >= 15 and set(codes) <= refused | {(408, "body_timeout")}
    assert (503, "overloaded") in codes
    assert held - before < 60, (before, held)  # 20 x 2 MB would be 40 MB more at least without the cap
    assert httpx.post(f"{base}/classify", json={"text": "Deploy models on Kubernetes."}, timeout=10).status_code == 200


def test_connections_over_the_limit_get_503_and_huge_headers_431(start_server, models_dir):
    """Connections past ROLELENS_MAX_CONNECTIONS are refused at once; headers over the cap get a 431."""
    base = start_server(models_dir, max_connections=10, header_timeout_seconds=5)
    held = [connect(base) for _ in range(10)]
    time.sleep(0.3)
    extra = connect(base)
    status, body = answer(extra)
    assert (status, body["error"]["code"]) == (503, "overloaded")
    for s in held:
        s.close()
    time.sleep(0.3)
    big = connect(base)
    big.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100_000 + b"\r\n\r\n")
    status, body = answer(big)
    assert (status, body["error"]["code"]) == (431, "header_too_large")
