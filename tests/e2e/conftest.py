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
    processes: dict[str, subprocess.Popen] = {}  # base URL -> server process, for tests that measure it

    def start(model_dir: Path, **settings: str) -> str:
        port = free_port()
        env = {
            **os.environ,
            "ROLELENS_MODEL_DIR": str(model_dir),
            "ROLELENS_PORT": str(port),
            "ROLELENS_LOG_LEVEL": "warning",
            "TMPDIR": str(tmp_path),  # a server's run folder, left behind if a test kills it outright
            **{f"ROLELENS_{k.upper()}": str(v) for k, v in settings.items()},
        }
        log = open(tmp_path / f"server-{port}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "service"], env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((proc, log))
        base = f"http://127.0.0.1:{port}"
        processes[base] = proc
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

    start.processes = processes
    start.log = lambda base: (tmp_path / f"server-{base.rsplit(':', 1)[1]}.log").read_text()
    yield start
    for proc, log in started:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (a server's workers and file readers), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(parents.get(tree[-1], []))
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants together, in MB."""
    total = 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its living descendants."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="session")
def meter():
    """Measure a server's process tree: ``meter.rss_mb(pid)``, ``meter.cpu_seconds(pid)``, ``meter.tree(pid)``."""
    from types import SimpleNamespace

    return SimpleNamespace(rss_mb=tree_rss_mb, cpu_seconds=tree_cpu_seconds, tree=process_tree)
