"""The service under load: start-up time, and latency and throughput over real HTTP.

The server is ``python -m service`` (one uvicorn worker) on 127.0.0.1; the load comes from
``python -m bench.loadgen`` in another process, as a client on the same machine would send it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.stats import median, rss_mb

ROOT = Path(__file__).resolve().parents[1]
READY = "/health/ready"  # issue 4; the walking skeleton only has /health
HEALTH = "/health"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


BARE_APP = ("-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1")


class Server:
    """``python -m service`` (or ``argv``, such as ``BARE_APP``) on a free port, started and stopped by the bench.

    ``start`` returns the seconds from launching the process until the readiness endpoint
    answers 200 (``/health/ready``, or ``/health`` where that does not exist yet).
    """

    def __init__(
        self,
        models: str,
        log: Path,
        timeout: float = 120,
        argv: tuple[str, ...] = ("-m", "service"),
        workers: int = 1,
    ):
        self.models, self.log, self.timeout, self.argv, self.workers = models, log, timeout, argv, workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.ready_path = READY

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        # The service's own settings otherwise (log level included: a log line per request is
        # part of what serving costs); its logs go to a file, never to a pipe that could fill.
        env = {
            **os.environ,
            "ROLELENS_MODEL_DIR": self.models,
            "ROLELENS_PORT": str(self.port),
            "ROLELENS_HOST": "127.0.0.1",
            "ROLELENS_WORKERS": str(self.workers),
        }
        began = time.perf_counter()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, *self.argv, *self._port_args()],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.perf_counter() - began < self.timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"service exited with {self.proc.returncode}: {self.log.read_text(errors='replace')[-2000:]}"
                )
            status = _status(self.base + self.ready_path)
            if status == 404 and self.ready_path == READY:
                self.ready_path = HEALTH  # answered, so started; this build has no readiness route
                continue
            if status == 200 and self._all_workers_ready():
                return time.perf_counter() - began
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"service not ready within {self.timeout:.0f} s")

    def _all_workers_ready(self) -> bool:
        """With several server processes, whether each has loaded its model (one model_info series per pid)."""
        if self.workers == 1:
            return True
        with urllib.request.urlopen(self.base + "/metrics", timeout=5) as r:
            lines = r.read().decode().splitlines()
        ready = [line for line in lines if line.startswith("rolelens_model_info{pid=") and line.endswith(" 1.0")]
        return len(ready) >= self.workers

    def _port_args(self) -> list[str]:
        # The service reads ROLELENS_PORT; a bare uvicorn app is told on its command line.
        return [] if self.argv == ("-m", "service") else ["--port", str(self.port), "--log-level", "warning"]

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid) if self.proc else 0.0

    def has_route(self, method: str, path: str) -> bool:
        """Whether the running app's OpenAPI schema lists ``method path``."""
        with urllib.request.urlopen(self.base + "/openapi.json", timeout=5) as r:
            paths = json.load(r).get("paths", {})
        return method.lower() in paths.get(path, {})

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def startup(models: str, repeats: int, log: Path) -> tuple[dict, Server]:
    """Median start-up time over ``repeats`` starts; the last server is left running."""
    times, server = [], None
    for i in range(repeats):
        server = Server(models, log)
        try:
            times.append(server.start())
        except BaseException:
            server.stop()
            raise
        if i < repeats - 1:
            server.stop()
    level = os.environ.get("ROLELENS_LOG_LEVEL", "the service's default")
    return {"seconds": median(times), "runs": times, "endpoint": server.ready_path, "log_level": level}, server


def load(
    server: Server,
    path: str,
    bodies_file: Path,
    concurrency: int,
    requests: int,
    seconds: float,
    rounds: int,
    expect: str = '"label"',
) -> dict:
    """Median latency and throughput of ``rounds`` load runs after one short warm-up run."""

    def run(n: int, limit: float) -> dict:
        cmd = [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--port",
            str(server.port),
            "--path",
            path,
            "--bodies",
            str(bodies_file),
            "--concurrency",
            str(concurrency),
            "--requests",
            str(n),
            "--seconds",
            str(limit),
            "--expect",
            expect,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=limit + 90)
        if done.returncode != 0:
            raise RuntimeError(f"load generator failed:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    run(max(concurrency * 5, requests // 10), max(1.0, seconds / 4))
    runs = [run(requests, seconds) for _ in range(rounds)]
    ok = [r for r in runs if r["ok"]]
    return {
        "path": path,
        "concurrency": concurrency,
        "rounds": rounds,
        "requests": sum(r["ok"] + r["errors"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "error_samples": [e for r in runs for e in r["error_samples"]][:3],
        "per_s": median([r["per_s"] for r in runs]),
        "p50_ms": median([r["p50_ms"] for r in ok]) if ok else None,
        "p99_ms": median([r["p99_ms"] for r in ok]) if ok else None,
        "server_rss_mb": server.rss_mb(),
    }
