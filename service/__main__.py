"""``python -m service``: serve the API with uvicorn on the configured host and port."""

import sys

import uvicorn
from pydantic import ValidationError

from service.app import create_app
from service.logs import log_config
from service.settings import get_settings

try:
    settings = get_settings()
except ValidationError as err:
    for e in err.errors():
        name = "ROLELENS_" + "_".join(str(p) for p in e["loc"]).upper()
        print(f"error: {name}: {e['msg']}", file=sys.stderr)
    sys.exit(2)
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.port,
    log_config=log_config(settings.log_level),
    log_level=settings.log_level,
    access_log=False,  # the request middleware logs each request, with its id, as JSON
)
