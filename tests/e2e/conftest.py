"""Start real uvicorn processes on free 127.0.0.1 ports for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_server(tmp_path):
    """Start ``python -m service`` on a free port with ``ROLELENS_*`` settings; returns its base URL.

    Its log goes to a file in the test's folder (a pipe nobody reads would block it); every
    server is stopped when the test ends.
    """
    started: list[tuple[subprocess.Popen, object]] = []

    def start(model_dir: Path, **settings: str) -> str:
        port = free_port()
        env = {
            **os.environ,
            "ROLELENS_MODEL_DIR": str(model_dir),
            "ROLELENS_PORT": str(port),
            "ROLELENS_LOG_LEVEL": "warning",
            **{f"ROLELENS_{k.upper()}": str(v) for k, v in settings.items()},
        }
        log = open(tmp_path / f"server-{port}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "service"], env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {(tmp_path / f'server-{port}.log').read_text()}")
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail("server was not ready within 60 s")

    yield start
    for proc, log in started:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
