"""POST /admin/reload has a deadline: a model file that blocks cannot hang this or later reloads."""

from __future__ import annotations

import os
import shutil
import threading
import time

from fastapi.testclient import TestClient

from classifier.persist import set_current
from service.app import create_app
from service.settings import Settings

TOKEN = "reload-deadline-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def test_a_fifo_model_file_is_refused_at_once_and_the_old_model_serves(fresh_models, other_model, assert_error):
    """A FIFO as a model file is refused before it is opened (409); the old model keeps serving."""
    blocked = fresh_models / "blocked"
    shutil.copytree(other_model, blocked)
    model_file = next(p for p in blocked.iterdir() if p.name != "metadata.json" and p.is_file())
    model_file.unlink()
    os.mkfifo(model_file)  # opening it for reading would wait for a writer that never comes
    serving = (fresh_models / "current").resolve().name
    settings = Settings(model_dir=fresh_models, admin_token=TOKEN, reload_timeout_seconds=30.0)
    with TestClient(create_app(settings)) as client:
        set_current(fresh_models, "blocked")
        began = time.monotonic()
        r = client.post("/admin/reload", headers=AUTH)
        assert time.monotonic() - began < 10  # far under the deadline: refused, not waited on
        assert_error(r, 409, "model_refused", "FIFO")
        assert client.get("/health/ready").json()["model_version"] == serving


def test_a_load_that_never_ends_times_out_and_later_reloads_work(fresh_models, other_model, assert_error, monkeypatch):
    """A model load that blocks (a stalled disk) gets a 409 at the deadline; the next reload is not held up."""
    import service.model_slot as model_slot

    stall, real_load = threading.Event(), model_slot.load_ready
    calls = []

    def load(model_dir):
        calls.append(model_dir)
        if len(calls) == 1:
            stall.wait(60)
        return real_load(model_dir)

    monkeypatch.setattr(model_slot, "load_ready", load)
    serving = (fresh_models / "current").resolve().name
    settings = Settings(model_dir=fresh_models, admin_token=TOKEN, reload_timeout_seconds=1.0)
    try:
        with TestClient(create_app(settings)) as client:
            shutil.copytree(other_model, fresh_models / "newer")
            set_current(fresh_models, "newer")
            began = time.monotonic()
            r = client.post("/admin/reload", headers=AUTH)
            assert time.monotonic() - began < 10
            assert_error(r, 409, "model_refused", "ROLELENS_RELOAD_TIMEOUT_SECONDS")
            assert client.get("/health/ready").json()["model_version"] == serving
            second = client.post("/admin/reload", headers=AUTH)  # not stuck behind the first
            assert second.status_code == 200 and second.json()["swapped"] is True
    finally:
        stall.set()
