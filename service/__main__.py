"""``python -m service``: serve the API with uvicorn on the configured host and port."""

import sys

from service.server import serve

sys.exit(serve())
