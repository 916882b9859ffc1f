"""End to end: a real uvicorn process on 127.0.0.1, spoken to over HTTP."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(models_dir):
    port = free_port()
    env = {**os.environ, "ROLELENS_MODEL_DIR": str(models_dir), "ROLELENS_PORT": str(port), "ROLELENS_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "service"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {proc.stdout.read().decode()}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not answer /health within 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_classify_over_real_http(server, samples):
    """POST /classify to a running uvicorn returns the role of each hand-written sample."""
    for s in samples:
        r = httpx.post(f"{server}/classify", json={"text": s["text"]}, timeout=10)
        assert r.status_code == 200
        assert r.json()["label"] == s["label"]
