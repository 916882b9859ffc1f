"""``python -m service``: serve the API with uvicorn on the configured host and port."""

import uvicorn

from service.app import create_app
from service.settings import get_settings

settings = get_settings()
uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
