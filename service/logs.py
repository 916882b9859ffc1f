"""Structured logs: one JSON object a line, for the service and for uvicorn.

Request text is never passed to a logger, so no level or setting can write it out.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged,
# except uvicorn's ``color_message``, a copy of the message with terminal colour codes.
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line with its ``extra`` fields.

    >>> rec = logging.LogRecord("rolelens", logging.INFO, "", 0, "request", None, None)
    >>> rec.request_id = "abc"
    >>> json.loads(JsonFormatter().format(rec))["request_id"]
    'abc'
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for our loggers and uvicorn's, all in JSON."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "rolelens": logger,
            "uvicorn": logger,
            "uvicorn.error": {"level": level.upper()},
            # pypdf warns about every quirk of a damaged upload; the response already says it.
            "pypdf": {"level": "ERROR"},
        },
    }
