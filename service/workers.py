"""Several server processes on one port, each listening on a socket of its own.

uvicorn's own ``workers=N`` shares one listening socket, and the process that wakes first
accepts every connection waiting: measured with 8 keep-alive clients, one worker took
nearly all of them (1.0 s of CPU against 0.1 s) and the second core stayed idle. Here each
worker binds the port with ``SO_REUSEPORT``, so the kernel spreads new connections over
the workers. A worker that dies is replaced; one that fails within seconds of starting
stops the server (it would only fail again).
"""

from __future__ import annotations

import faulthandler
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from typing import Any

log = logging.getLogger("rolelens")

APP = "service.app:create_app"
_EARLY_EXIT_SECONDS = 10.0


def _worker(options: dict[str, Any], parent: int) -> None:
    """One server process: its own SO_REUSEPORT socket, the app built by the factory, until SIGTERM."""
    import uvicorn

    host, port = options["host"], options["port"]
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    threading.Thread(target=_stop_with_parent, args=(parent,), daemon=True).start()
    uvicorn.Server(uvicorn.Config(APP, factory=True, **options)).run(sockets=[sock])


def _stop_with_parent(parent: int) -> None:
    # A supervisor killed outright (SIGKILL) must not leave its workers serving for good.
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _forget(pid: int | None) -> None:
    """Drop a dead worker's per-process metrics (its model version), which it could not do itself."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and pid is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, folder)


def run_workers(count: int, options: dict[str, Any]) -> int:
    """Run ``count`` server processes with uvicorn ``options`` until SIGTERM or SIGINT; 1 if one kept dying.

    Parameters
    ----------
    count
        How many server processes.
    options
        Keyword arguments of ``uvicorn.Config`` (``host`` and ``port`` included), picklable.
    """
    context = multiprocessing.get_context("spawn")
    # Why the loop stops: signal numbers, or 0 when a worker failed as it started. A list, not a
    # threading.Event: the handler runs in this thread, and Event.set() there, if the signal lands
    # while Event.wait() holds the event's lock, waits for that lock for ever.
    stop: list[int] = []

    def start(i: int) -> tuple[multiprocessing.process.BaseProcess, float]:
        process = context.Process(target=_worker, args=(options, os.getpid()), name=f"rolelens-worker-{i}")
        process.start()
        return process, time.monotonic()

    previous = {s: signal.signal(s, lambda signum, _: stop.append(signum)) for s in (signal.SIGTERM, signal.SIGINT)}
    # `kill -USR1 <supervisor>` writes where each of its threads is to the log: a supervisor that
    # stops replacing workers can then say where it stands.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    workers = [start(i) for i in range(count)]
    status = 0
    try:
        while not stop:
            time.sleep(0.5)  # a signal's handler runs, then the sleep goes on: stopping takes up to 0.5 s
            if stop:
                break
            for i, (process, began) in enumerate(workers):
                if process.is_alive():
                    continue
                # Ended itself with an error soon after starting (the port, the model): it would again.
                if process.exitcode and process.exitcode > 0 and time.monotonic() - began < _EARLY_EXIT_SECONDS:
                    log.error("a server worker stopped as it started; stopping", extra={"exit_code": process.exitcode})
                    stop.append(0)
                    status = 1
                    break
                log.warning("a server worker stopped; starting another", extra={"exit_code": process.exitcode})
                _forget(process.pid)
                workers[i] = start(i)
    finally:
        faulthandler.unregister(signal.SIGUSR1)
        for process, _ in workers:
            if process.is_alive():
                process.terminate()  # uvicorn's graceful shutdown: requests in flight finish
        for process, _ in workers:
            process.join(30)
            if process.is_alive():
                process.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return status
