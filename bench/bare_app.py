"""The floor of serving: /classify's model call behind a bare ASGI app, without a framework.

No routing, validation, middleware, metrics or logs: what is left is uvicorn, JSON and the
model. ``make bench`` loads it as it loads ``/classify``, so that the service's throughput
can be read against what any Python server reaches with this model on this machine.
Run as ``uvicorn bench.bare_app:app``; ``ROLELENS_MODEL_DIR`` names the models folder.
"""

from __future__ import annotations

import os

import orjson

_state: dict = {}


async def app(scope, receive, send) -> None:
    """POST anything: classify its JSON body's ``text``; GET /health/ready: 200 once loaded."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                from classifier.persist import load_model

                model, meta = load_model(os.environ.get("ROLELENS_MODEL_DIR", "models"))
                model.explain(["warm-up"])
                _state.update(model=model, version=str(meta.get("model_version", "unknown")))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["method"] == "GET":
        out = b"{}"
    else:
        request = orjson.loads(body)
        pred = _state["model"].explain([request["text"]], [request.get("kind")], reasons=request.get("explain", True))
        out = orjson.dumps({**pred[0].to_dict(), "model_version": _state["version"]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": out})
