"""``python -m service``: serve the API with uvicorn on the configured host and port."""

import uvicorn

from service.app import create_app
from service.logs import log_config
from service.settings import get_settings

settings = get_settings()
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.port,
    log_config=log_config(settings.log_level),
    log_level=settings.log_level,
    access_log=False,  # the request middleware logs each request, with its id, as JSON
)
