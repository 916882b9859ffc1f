"""The HTTP API through TestClient, with the lifespan running."""

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(models_dir):
    with TestClient(create_app(Settings(model_dir=models_dir, max_text_chars=5000))) as c:
        yield c


def test_classify_returns_label_probabilities_and_evidence(client, samples):
    """A posting gets its role, probabilities that sum to one, a lean and evidence in the text."""
    text = samples[0]["text"]
    r = client.post("/classify", json={"text": text, "kind": "posting"})
    assert r.status_code == 200
    body = r.json()
    assert body["label"] == samples[0]["label"]
    assert set(body["probabilities"]) == {"ml_engineer", "data_scientist"}
    assert abs(sum(body["probabilities"].values()) - 1) < 1e-6
    assert body["lean"] in ("slight", "moderate", "strong") and body["kind"] == "posting"
    assert body["evidence"] and all(text[e["start"] : e["end"]] == e["phrase"] for e in body["evidence"])
    assert body["model_version"]


def test_auto_kind_spots_a_resume(client, samples):
    """With kind auto, a first-person resume is reported as a resume."""
    resume = next(s for s in samples if s["kind"] == "resume")
    text = "I " + resume["text"]
    assert client.post("/classify", json={"text": text}).json()["kind"] == "resume"


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_blank_text_is_422_with_a_message(client, text):
    """Empty or whitespace-only text is refused with a message, not guessed."""
    r = client.post("/classify", json={"text": text})
    assert r.status_code == 422
    assert "empty or only whitespace" in r.text


def test_too_long_text_is_422_naming_the_limit(client):
    """Text over the configured limit is refused and the limit is named."""
    r = client.post("/classify", json={"text": "data " * 2000})
    assert r.status_code == 422
    assert "5000" in r.text and "ROLELENS_MAX_TEXT_CHARS" in r.text


def test_unknown_kind_is_422(client):
    """A kind other than posting, resume or auto is refused."""
    r = client.post("/classify", json={"text": "hello", "kind": "poem"})
    assert r.status_code == 422


def test_health_names_the_model(client, models_dir):
    """Health answers with the version of the model being served."""
    import os

    r = client.get("/health")
    assert r.json() == {"status": "ok", "model_version": os.readlink(models_dir / "current")}


def test_openapi_documents_classify(client):
    """The OpenAPI schema describes /classify for the docs page."""
    assert "/classify" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


NURSE = (
    "Registered Nurse, night shifts, surgical ward. Assess and monitor patients, give medication, keep accurate "
    "clinical records and work closely with doctors and care assistants. A nursing licence is required."
)


def test_classify_says_a_text_of_other_work_is_out_of_scope(client, samples):
    """A nurse's posting is out of scope and leans slight at most; a data scientist posting is in scope."""
    out = client.post("/classify", json={"text": NURSE}).json()
    assert out["scope"] == "out" and out["lean"] == "slight" and 0 <= out["p_in_scope"] < 0.5
    assert out["label"] in out["probabilities"] and out["scope_evidence"]
    ds = next(s["text"] for s in samples if s["label"] == "data_scientist")
    inside = client.post("/classify", json={"text": ds}).json()
    assert inside["scope"] == "in" and inside["p_in_scope"] > out["p_in_scope"]


def test_openapi_documents_the_scope_fields(client):
    """/docs shows scope, p_in_scope and scope_evidence on the classify response."""
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ClassifyResponse"]["properties"]
    assert schema["scope"]["enum"] == ["in", "adjacent", "out"] and "data science" in schema["scope"]["description"]
    assert {"p_in_scope", "scope_evidence"} <= set(schema)
