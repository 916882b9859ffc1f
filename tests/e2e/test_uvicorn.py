"""End to end: a real uvicorn process on 127.0.0.1, spoken to over HTTP."""

import json

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_classify_over_real_http(start_server, models_dir, samples):
    """POST /classify to a running uvicorn returns the role of each hand-written sample."""
    server = start_server(models_dir)
    for s in samples:
        r = httpx.post(f"{server}/classify", json={"text": s["text"]}, timeout=10)
        assert r.status_code == 200
        assert r.json()["label"] == s["label"]


def test_logs_are_json_lines_with_request_ids_and_no_text(start_server, models_dir, tmp_path, samples):
    """At info level the server writes one JSON object a line, with request ids, and never the text."""
    server = start_server(models_dir, log_level="info")
    secret = samples[0]["text"] + " Zyxwvut"
    rid = httpx.post(f"{server}/classify", json={"text": secret}, timeout=10).headers["x-request-id"]
    httpx.get(f"{server}/health/live", timeout=10)
    log_text = next(tmp_path.glob("server-*.log")).read_text()
    records = [json.loads(line) for line in log_text.splitlines() if line.strip()]
    assert any(r.get("request_id") == rid and r.get("route") == "/classify" for r in records)
    assert any(r.get("msg") == "model loaded" for r in records)
    assert "Zyxwvut" not in log_text
    assert not any("color_message" in r for r in records)  # uvicorn's terminal-coloured duplicate


def test_bad_setting_stops_start_up_naming_the_variable(models_dir):
    """A setting that does not parse stops the server at once, naming the environment variable."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "ROLELENS_MODEL_DIR": str(models_dir), "ROLELENS_MAX_BATCH_ITEMS": "lots"}
    run = subprocess.run([sys.executable, "-m", "service"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "ROLELENS_MAX_BATCH_ITEMS" in run.stderr and "valid integer" in run.stderr
