"""Start the API under uvicorn: the one start-up that `python -m service` and `rolelens serve` share."""

from __future__ import annotations

import sys
from typing import Any


def serve(overrides: dict[str, Any] | None = None) -> int:
    """Read settings (``ROLELENS_*``, then ``overrides``) and serve until stopped; 2 on bad settings."""
    import uvicorn
    from pydantic import ValidationError

    from service.app import create_app
    from service.logs import log_config
    from service.settings import Settings

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
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level),
        log_level=settings.log_level,
        access_log=False,  # the request middleware logs each request, with its id, as JSON
    )
    return 0


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
