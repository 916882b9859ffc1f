"""Start the API under uvicorn: the one start-up that `python -m service` and `rolelens serve` share."""

from __future__ import annotations

import logging.config
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any


def serve(overrides: dict[str, Any] | None = None) -> int:
    """Read settings (``ROLELENS_*``, then ``overrides``) and serve until stopped; 2 on bad settings."""
    import uvicorn
    from pydantic import ValidationError

    from service.connections import GuardedHttpTools
    from service.logs import log_config
    from service.settings import Settings, get_settings
    from service.workers import run_workers

    try:
        settings = Settings(**(overrides or {}))
    except ValidationError as err:
        for e in err.errors():
            name = "ROLELENS_" + "_".join(str(p) for p in e["loc"]).upper()
            print(f"error: {name}: {e['msg']}", file=sys.stderr)
        return 2
    if _in_use(settings.host, settings.port):
        print(
            f"error: {settings.host}:{settings.port} is already in use (another RoleLens server?): stop it, "
            "or serve on another port with ROLELENS_PORT=<port>",
            file=sys.stderr,
        )
        return 2
    from classifier.persist import ModelLoadError, check_model

    try:
        # Refused here, the reason is one line; refused in the app's start-up, it is a traceback.
        check_model(settings.model_dir)
    except ModelLoadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # Every process (the workers, the connection protocol) reads the same ROLELENS_* environment.
    os.environ.update({f"ROLELENS_{k.upper()}": str(v) for k, v in (overrides or {}).items() if v is not None})
    get_settings.cache_clear()
    common: dict[str, Any] = dict(
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,  # the request middleware logs each request, with its id, as JSON
        http=GuardedHttpTools,
        timeout_keep_alive=settings.keep_alive_seconds,
    )
    if settings.workers == 1:
        from service.app import create_app

        uvicorn.run(create_app(settings), **common)
        return 0
    # The supervisor never loads the model: only the workers import the app.
    # N processes on the port; their metrics and reload notices meet in a folder of this run.
    run_dir = Path(tempfile.mkdtemp(prefix="rolelens-run-"))
    (run_dir / "metrics").mkdir()
    os.environ.update(PROMETHEUS_MULTIPROC_DIR=str(run_dir / "metrics"), ROLELENS_RUN_DIR=str(run_dir))
    logging.config.dictConfig(common["log_config"])
    try:
        return run_workers(settings.workers, common)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _in_use(host: str, port: int) -> bool:
    """Whether another process listens on ``host:port`` (uvicorn would only log Errno 98 and exit)."""
    import errno
    import os
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        if os.name != "nt":  # as uvicorn binds; on Windows the option would let the probe share the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False
