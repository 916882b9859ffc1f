"""A small HTTP/1.1 load generator, run as its own process: ``python -m bench.loadgen``.

N clients each keep one connection open and send requests back to back (a closed loop:
a client sends its next request when the answer to the last one has arrived), until a
request count or a time limit is reached, whichever comes first. Written on bare asyncio
streams rather than an HTTP client library so that the generator spends as little as
possible of the CPU it shares with the server on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time

from bench.stats import percentile


def request_bytes(host: str, port: int, path: str, body: bytes) -> bytes:
    """One complete POST request with a JSON body.

    >>> request_bytes("127.0.0.1", 80, "/x", b"{}").split(b"\\r\\n")[0]
    b'POST /x HTTP/1.1'
    """
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return status, bytes(body)
    raise ValueError("response has neither Content-Length nor chunked encoding")


async def load(
    host: str, port: int, path: str, bodies: list[bytes], concurrency: int, requests: int, seconds: float, expect: bytes
) -> dict:
    """Send up to ``requests`` requests from ``concurrency`` clients for at most ``seconds``."""
    reqs = [request_bytes(host, port, path, b) for b in bodies]
    ticket = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        reader = writer = None
        while (i := next(ticket)) < requests and time.perf_counter() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                start = time.perf_counter()
                writer.write(reqs[i % len(reqs)])
                status, body = await read_response(reader)
                elapsed = time.perf_counter() - start
                if status == 200 and expect in body:
                    latencies.append(elapsed * 1e3)
                else:
                    errors.append(f"HTTP {status}: {body[:200]!r}")
            except (OSError, asyncio.IncompleteReadError, ValueError) as err:
                errors.append(f"{type(err).__name__}: {err}")
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(concurrency))), seconds + 60)
    wall = time.perf_counter() - start
    out = {
        "concurrency": concurrency,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "seconds": wall,
        "per_s": len(latencies) / wall,
    }
    if latencies:
        out.update(
            p50_ms=percentile(latencies, 50), p99_ms=percentile(latencies, 99), mean_ms=sum(latencies) / len(latencies)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/classify")
    parser.add_argument("--bodies", required=True, help="file of JSON request bodies, one a line")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=1000, help="stop after this many requests")
    parser.add_argument("--seconds", type=float, default=10.0, help="or after this many seconds")
    parser.add_argument("--expect", default='"label"', help="a response counts as correct when it holds this")
    args = parser.parse_args(argv)
    with open(args.bodies, "rb") as f:
        bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    result = asyncio.run(
        load(
            args.host, args.port, args.path, bodies, args.concurrency, args.requests, args.seconds, args.expect.encode()
        )
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
