"""Health, readiness, model metadata, metrics, request ids and logs."""

from __future__ import annotations

import json
import logging
import os

from service.logs import JsonFormatter


def test_live_and_ready(api, models_dir):
    """Liveness answers; readiness names the model once one is loaded."""
    assert api.get("/health/live").json() == {"status": "ok"}
    assert api.get("/health/ready").json() == {"status": "ready", "model_version": os.readlink(models_dir / "current")}


def test_model_metadata(api, models_dir):
    """/model gives the served model's version, hashes, labels and scores from its metadata."""
    body = api.get("/model").json()
    saved = json.loads((models_dir / "current" / "metadata.json").read_text())
    assert body["model_version"] == saved["model_version"] and body["model_sha256"] == saved["model_sha256"]
    assert body["labels"] == ["data_scientist", "ml_engineer"]
    assert body["hashes"]["lexicon_sha256"] and "metrics" in body and body["created"]


def test_metrics_count_requests_predictions_and_model(api, samples):
    """/metrics counts requests by route and status, predictions by label, and names the model."""
    api.post("/classify", json={"text": samples[0]["text"]})
    api.post("/classify", json={"text": " "})
    api.get("/no/such/page")
    text = api.get("/metrics").text
    version = api.get("/model").json()["model_version"]

    def value(line_start: str) -> float:
        return float(next(line for line in text.splitlines() if line.startswith(line_start)).rsplit(" ", 1)[1])

    assert value('rolelens_http_requests_total{method="POST",route="/classify",status="200"}') >= 1
    assert value('rolelens_http_requests_total{method="POST",route="/classify",status="422"}') >= 1
    assert value('rolelens_http_requests_total{method="GET",route="unmatched",status="404"}') >= 1
    assert value('rolelens_http_request_duration_seconds_count{method="POST",route="/classify",status="200"}') >= 1
    assert value(f'rolelens_predictions_total{{label="{samples[0]["label"]}"}}') >= 1
    assert value(f'rolelens_model_info{{version="{version}"}}') == 1
    assert "/no/such/page" not in text  # raw paths would give one series per URL


def test_request_id_is_made_or_kept(api):
    """Each response carries a request id: the caller's when it is a plain token, a new one otherwise."""
    mine = api.get("/health/live", headers={"x-request-id": "trace-42.a"})
    assert mine.headers["x-request-id"] == "trace-42.a"
    made = {api.get("/health/live", headers={"x-request-id": "bad id; drop"}).headers["x-request-id"] for _ in range(2)}
    assert len(made) == 2 and all(len(rid) == 32 for rid in made)


def test_logs_are_json_with_request_id_and_no_text(api, caplog):
    """The access log is one JSON object per request, with its id, and never the posted text."""
    secret = "Zyxwvut deploys models to production"
    with caplog.at_level(logging.INFO, logger="rolelens"):
        r = api.post("/classify", json={"text": secret})
        api.post("/classify", json={"text": secret, "kind": "poem"})
    lines = [JsonFormatter().format(rec) for rec in caplog.records]
    access = [json.loads(line) for line in lines if json.loads(line)["logger"] == "rolelens.access"]
    assert access[0]["request_id"] == r.headers["x-request-id"]
    assert access[0]["route"] == "/classify" and access[0]["status"] == 200 and access[0]["duration_ms"] > 0
    assert access[1]["status"] == 422
    assert not any("Zyxwvut" in line for line in lines)


def test_page_is_served_with_its_assets_and_no_cdn(api):
    """GET / is an HTML page whose script and styles come from this server only."""
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/static/app.js"' in page.text and "http" not in page.text.replace("http-equiv", "")
    assert 'call("/classify"' in api.get("/static/app.js").text
    assert api.get("/static/app.css").status_code == 200


def test_a_bug_becomes_a_500_in_the_error_shape(models_dir, assert_error, caplog):
    """An exception in a handler is answered in the one error shape with the request id, and logged."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(model_dir=models_dir))

    async def broken():
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="rolelens"):
        r = client.get("/broken")
        error = assert_error(r, 500, "internal_error", "report the request id")
        assert "a bug" not in r.text
        assert any(getattr(rec, "request_id", None) == error["request_id"] for rec in caplog.records)
        assert 'route="/broken",status="500"' in client.get("/metrics").text
