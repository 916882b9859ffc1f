"""ROLELENS_WORKERS=2: two server processes, a reload that reaches both, and metrics summed over both."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

TOKEN = "workers-token"


def classify_version(base: str) -> str:
    # A new connection each time, so that either worker may take it.
    return httpx.post(f"{base}/classify", json={"text": "Deploy models on Kubernetes."}, timeout=10).json()[
        "model_version"
    ]


def test_two_workers_follow_a_reload_and_count_every_request(
    start_server, fresh_models, other_model, drop_model, meter
):
    """With 2 workers a reload reaches both (every answer names the new version) and /metrics counts all."""
    base = start_server(fresh_models, workers=2, admin_token=TOKEN)
    supervisor = start_server.processes[base].pid
    workers = [p for p in meter.tree(supervisor) if _parent(p) == supervisor and _is_worker(p)]
    assert len(workers) == 2
    old = json.loads((fresh_models / "current" / "metadata.json").read_text())["model_version"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _serving(_metrics(base)) != {old: 2}:
        time.sleep(0.2)  # the second worker may still be loading its model
    assert {classify_version(base) for _ in range(20)} == {old}
    drop_model(fresh_models, other_model, "newer")
    new = json.loads((other_model / "metadata.json").read_text())["model_version"]
    r = httpx.post(f"{base}/admin/reload", headers={"authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert r.json()["model_version"] == new
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _serving(_metrics(base)) != {new: 2}:
        time.sleep(0.2)  # the other worker loads the new model
    assert _serving(_metrics(base)) == {new: 2}  # each worker, by its pid, serves the new version
    assert {classify_version(base) for _ in range(40)} == {new}
    text = _metrics(base)
    served = re.findall(r'rolelens_http_requests_total\{[^}]*route="/classify"[^}]*status="200"[^}]*\} (\S+)', text)
    assert sum(float(v) for v in served) == 60  # both processes' counts, each request once


def _serving(metrics: str) -> dict[str, int]:
    """How many worker processes serve each model version, from rolelens_model_info's per-pid series."""
    counts: dict[str, int] = {}
    for version, value in re.findall(r'rolelens_model_info\{pid="\d+",version="([^"]+)"\} (\S+)', metrics):
        if float(value) == 1:
            counts[version] = counts.get(version, 0) + 1
    return counts


def _metrics(base: str) -> str:
    return httpx.get(f"{base}/metrics", timeout=10).text


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:  # ended since the tree was read (a reaped worker, a file reader): nobody's child
        return 0


def test_a_killed_worker_is_replaced_and_a_killed_supervisor_takes_its_workers(start_server, models_dir, meter):
    """A worker killed outright is replaced and serving goes on; killing the supervisor stops every worker."""
    base = start_server(models_dir, workers=2)
    supervisor = start_server.processes[base].pid

    def workers() -> set[int]:
        return {p for p in meter.tree(supervisor) if _parent(p) == supervisor and _is_worker(p)}

    first = workers()
    assert len(first) == 2
    # Ready means one worker serves: under load the other may still be starting, and killing the
    # one that serves would leave nobody to answer "still serving" (it failed so: connection refused).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(_listening(p) for p in first):
        time.sleep(0.2)
    assert all(_listening(p) for p in first)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)

    def replaced() -> bool:
        # One reading of the process table per check. With two, the first could still list the dying
        # victim and the second no longer (a zombie has no command line): the wait ended with one worker,
        # before the supervisor had noticed the death.
        now = workers()
        return len(now) == 2 and victim not in now

    deadline = time.monotonic() + 60
    done = replaced()
    while time.monotonic() < deadline and not done:
        time.sleep(0.2)
        done = replaced()
    if not done:
        os.kill(supervisor, signal.SIGUSR1)  # its Python stack, to the log
        time.sleep(1)
        children = {p: _state(p) for p in meter.tree(supervisor) if p != supervisor}
        pytest.fail(
            f"worker {victim} not replaced: workers {workers()}, supervisor {_state(supervisor)}, "
            f"children {children}, log:\n{start_server.log(base)}"
        )
    assert classify_version(base)  # still serving
    deadline = time.monotonic() + 60  # the new worker loads its model
    while time.monotonic() < deadline and sum(_serving(_metrics(base)).values()) != 2:
        time.sleep(0.2)
    assert sum(_serving(_metrics(base)).values()) == 2  # the dead worker's series is gone, the new one's there
    everything = set(meter.tree(supervisor)) - {supervisor}  # workers and their file readers
    os.kill(supervisor, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in everything):
        time.sleep(0.2)
    assert not [p for p in everything if _alive(p)]


def _state(pid: int) -> str:
    """A process's state letter, kernel wait channel, command line and signal masks, for a failure message."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        wchan = Path(f"/proc/{pid}/wchan").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:80].decode(errors="replace")
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        # A supervisor that ignored SIGCHLD would never see its workers exit (their status is discarded).
        signals = [line for line in status if line.startswith(("SigBlk", "SigIgn"))]
    except OSError:
        return "gone"
    return f"{state} {wchan} {cmd} {' '.join(signals)}"


def _listening(pid: int) -> bool:
    """Whether ``pid`` holds a TCP socket in the kernel's LISTEN state (0A in /proc/net/tcp)."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():  # no IPv6 on this machine
            continue
        rows = [line.split() for line in Path(table).read_text().splitlines()[1:]]
        listening |= {f"socket:[{row[9]}]" for row in rows if row[3] == "0A"}
    held = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            held.add(os.readlink(fd))
        except OSError:  # closed meanwhile, or the process is gone
            continue
    return bool(listening & held)


def _is_worker(pid: int) -> bool:
    """A spawned server process, not multiprocessing's resource tracker."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_stops_two_workers_cleanly(start_server, models_dir, meter, signum):
    """SIGTERM or SIGINT (Ctrl-C) stops a 2-worker server with exit status 0 and no worker left behind."""
    base = start_server(models_dir, workers=2)
    server = start_server.processes[base]
    everything = set(meter.tree(server.pid)) - {server.pid}
    assert len([p for p in everything if _parent(p) == server.pid and _is_worker(p)]) == 2
    os.kill(server.pid, signum)
    assert server.wait(timeout=30) == 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in everything):
        time.sleep(0.2)
    assert not [p for p in everything if _alive(p)]
