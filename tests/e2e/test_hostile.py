"""Hostile and huge requests against a real uvicorn process: small 4xx answers, bounded memory, health meanwhile."""

from __future__ import annotations

import threading
import time

import httpx
import psutil
import pytest

pytestmark = pytest.mark.e2e

MB = 1024 * 1024
JSON = {"content-type": "application/json"}


def server_process(base: str) -> psutil.Process:
    """The uvicorn process that start_server started for ``base`` (found by its port)."""
    port = base.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        try:
            if child.environ().get("ROLELENS_PORT") == port:
                return child
        except psutil.Error:
            continue
    raise AssertionError(f"no server process on port {port}")


def peak_rss(process: psutil.Process) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    status = open(f"/proc/{process.pid}/status").read()
    kb = next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]
    return int(kb) * 1024


class LivenessProbe:
    """Polls /health/live from a thread while the test sends its requests, and keeps each answer."""

    def __init__(self, base: str):
        self.base, self.answers, self._stop = base, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                try:
                    self.answers.append(client.get(f"{self.base}/health/live").status_code)
                except httpx.HTTPError as err:
                    self.answers.append(type(err).__name__)
                time.sleep(0.05)

    def __enter__(self) -> LivenessProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def warmed(start_server, models_dir, samples) -> tuple[str, psutil.Process]:
    """A server with default settings that has answered one request, and its process."""
    base = start_server(models_dir)
    assert httpx.post(f"{base}/classify", json={"text": samples[0]["text"]}, timeout=30).status_code == 200
    return base, server_process(base)


def hostile_bodies() -> dict[str, tuple[str, bytes, str]]:
    """Bodies under the 16 MiB limit that cost seconds and gigabytes before issue 14: (path, body, code)."""
    empty_items = b'{"items": [' + b",".join([b"{}"] * 4_000_000) + b"]}"
    many_keys = b'{"text": "deploy models", ' + b",".join(b'"k%d": 1' % i for i in range(1_000_000)) + b"}"
    huge_key = b'{"text": "deploy models", "' + b"Zyxwvut" * (MB // 7) + b'": 1}'
    bad_items = b'{"items": [' + b",".join([b'{"text": " ", "' + b"Q" * 40_000 + b'": 1}'] * 256) + b"]}"
    return {
        "4 M empty batch items": ("/classify/batch", empty_items, "batch_too_large"),
        "1 M unknown keys": ("/classify", many_keys, "invalid_request"),
        "a 1 MB key": ("/classify", huge_key, "invalid_request"),
        "256 items with 40 kB keys": ("/classify/batch", bad_items, "invalid_request"),
    }


def test_hostile_bodies_get_small_4xx_in_bounded_memory_while_health_answers(start_server, models_dir, samples):
    """Each hostile body gets a 4xx of under 8 kB that echoes nothing, the server's peak memory grows by
    less than 700 MB (the first of them took 5.4 GB before), and /health/live answers all along."""
    base, process = warmed(start_server, models_dir, samples)
    before = peak_rss(process)
    with LivenessProbe(base) as probe, httpx.Client(timeout=120) as client:
        for name, (path, body, code) in hostile_bodies().items():
            assert len(body) < 16 * MB, name
            r = client.post(f"{base}{path}", content=body, headers=JSON)
            assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == code, (name, r.text[:500])
            assert len(r.content) < 8192, (name, len(r.content))
            assert b"Zyxwvut" not in r.content and b"QQQQ" not in r.content and b'"k1"' not in r.content
            assert len(r.json()["error"]["details"]) <= 20
        time.sleep(0.2)
    grown = peak_rss(process) - before
    assert grown < 700 * MB, f"peak memory grew by {grown / MB:.0f} MB"
    assert probe.answers and all(a == 200 for a in probe.answers), probe.answers
    assert process.is_running() and httpx.get(f"{base}/health/live", timeout=10).status_code == 200


def test_answers_with_evidence_stay_small_for_long_texts(start_server, models_dir, samples):
    """16 texts of 60,000 characters with explanations answer at most 200 evidence phrases each
    (evidence_total counts all), in under 40 kB a text, and the server's peak memory grows by under 300 MB."""
    base, process = warmed(start_server, models_dir, samples)
    block = " ".join(s["text"] for s in samples)
    text = (block * (60_000 // len(block) + 1))[:60_000]
    before = peak_rss(process)
    r = httpx.post(f"{base}/classify/batch", json={"items": [{"text": text, "id": i} for i in range(16)]}, timeout=300)
    assert r.status_code == 200, r.text[:500]
    results = r.json()["results"]
    assert [x["id"] for x in results] == list(range(16))
    assert all(len(x["evidence"]) == 200 and x["evidence_total"] > 1000 for x in results)
    assert len(r.content) < 16 * 40_000, len(r.content)
    grown = peak_rss(process) - before
    assert grown < 300 * MB, f"peak memory grew by {grown / MB:.0f} MB"
