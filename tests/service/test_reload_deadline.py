"""POST /admin/reload has a deadline: a model file that blocks cannot hang this or later reloads."""

from __future__ import annotations

import os
import shutil
import time

from fastapi.testclient import TestClient

from classifier.persist import set_current
from service.app import create_app
from service.settings import Settings

TOKEN = "reload-deadline-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def test_a_blocking_model_file_times_out_and_later_reloads_work(fresh_models, other_model, assert_error):
    """A FIFO as the model file gets a 409 at the deadline; the old model serves; the next reload succeeds."""
    blocked = fresh_models / "blocked"
    shutil.copytree(other_model, blocked)
    model_file = next(p for p in blocked.iterdir() if p.name != "metadata.json" and p.is_file())
    model_file.unlink()
    os.mkfifo(model_file)  # opening it for reading waits for a writer that never comes
    serving = (fresh_models / "current").resolve().name
    settings = Settings(model_dir=fresh_models, admin_token=TOKEN, reload_timeout_seconds=1.0)
    try:
        with TestClient(create_app(settings)) as client:
            set_current(fresh_models, "blocked")
            began = time.monotonic()
            r = client.post("/admin/reload", headers=AUTH)
            assert time.monotonic() - began < 5
            assert_error(r, 409, "model_refused", "ROLELENS_RELOAD_TIMEOUT_SECONDS")
            assert client.get("/health/ready").json()["model_version"] == serving
            shutil.copytree(other_model, fresh_models / "newer")
            set_current(fresh_models, "newer")
            second = client.post("/admin/reload", headers=AUTH)  # not stuck behind the first
            assert second.status_code == 200 and second.json()["swapped"] is True
    finally:
        fd = os.open(model_file, os.O_WRONLY | os.O_NONBLOCK)  # let the stuck reader see an end and finish
        os.close(fd)
