"""Request-level hardening: limits before validation, errors that never echo, strict fields, bounded answers."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

JSON = {"content-type": "application/json"}
POSTING = "We are hiring an engineer to deploy models to production and monitor their latency."


@pytest.fixture(scope="module")
def roomy(models_dir):
    """A client whose batches may hold 40 items, and whose answers list at most 3 evidence phrases a text."""
    with TestClient(create_app(Settings(model_dir=models_dir, max_batch_items=40, max_evidence=3))) as client:
        yield client


def test_batch_over_the_limit_is_refused_before_its_items_are_read(api, assert_error):
    """A batch of invalid items over the limit is a batch_too_large, not one error per item."""
    error = assert_error(api.post("/classify/batch", json={"items": [{}] * 5}), 422, "batch_too_large", "5 items")
    assert error["details"] == []


def test_details_are_capped_with_a_count_of_the_rest(roomy, assert_error):
    """A batch with 40 invalid items lists 20 of them in details and counts the rest in the message."""
    error = assert_error(
        roomy.post("/classify/batch", json={"items": [{}] * 40}),
        422,
        "invalid_request",
        "items[0].text: Field required",
        "(and 37 more; details lists the first 20)",
    )
    assert [d["field"] for d in error["details"]] == [f"items[{i}].text" for i in range(20)]


def test_unknown_keys_are_one_error_that_never_repeats_them(api, assert_error):
    """Two thousand unknown keys, one of them 21,000 characters long, give one short error naming none."""
    body = {"text": POSTING, **{f"zqk{i}": 1 for i in range(2000)}, "Zyxwvut" * 3000: 1}
    r = api.post("/classify", content=json.dumps(body).encode(), headers=JSON)
    error = assert_error(r, 422, "invalid_request", "body: 2001 unknown fields: the fields of this request are")
    assert error["details"] == [{"field": "body", "message": error["message"].removeprefix("body: ")}]
    assert len(r.content) < 1000 and "zqk" not in r.text and "Zyxwvut" not in r.text


def test_unknown_keys_of_batch_items_are_named_by_item_only(api, assert_error):
    """An unknown key in a batch item names the item, and a near miss suggests the field it resembles."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING}, {"text": POSTING, "kindd": "resume"}]})
    error = assert_error(r, 422, "invalid_request", "items[1]: 1 unknown field (did you mean 'kind'?)")
    assert "kindd" not in r.text and [d["field"] for d in error["details"]] == ["items[1]"]


def test_unknown_form_fields_are_not_repeated(api, assert_error):
    """An upload with a form field we do not know refuses it without repeating its (possibly huge) name."""
    name = "Zyxwvut" * 100
    r = api.post("/classify/file", files={"file": ("p.txt", POSTING.encode(), "text/plain")}, data={name: "1"})
    assert_error(r, 422, "invalid_request", "1 unknown field: the fields of this upload are file, kind and explain")
    assert "Zyxwvut" not in r.text


@pytest.mark.parametrize("token", ["  s3cret ", "s3cret\n", "\ts3cret"])
def test_admin_token_with_spaces_around_it_still_matches(models_dir, token):
    """A token set with spaces or a line end around it is stripped, so the bearer token without them works."""
    settings = Settings(model_dir=models_dir, admin_token=token)
    assert settings.admin_token.get_secret_value() == "s3cret"
    with TestClient(create_app(settings)) as client:
        assert client.post("/admin/reload", headers={"authorization": "Bearer s3cret"}).json()["swapped"] is False


def test_admin_token_from_the_environment_is_stripped(monkeypatch):
    """ROLELENS_ADMIN_TOKEN read from the environment is stripped the same way."""
    monkeypatch.setenv("ROLELENS_ADMIN_TOKEN", " tok \n")
    assert Settings().admin_token.get_secret_value() == "tok"


@pytest.mark.parametrize("bad_id", [True, False, 1.0, 2.5, [1], {"n": 1}])
def test_batch_ids_are_strict(api, assert_error, bad_id):
    """A batch id that is a boolean, a float (even 1.0) or a container is refused, not turned into 1."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING, "id": bad_id}]})
    assert_error(r, 422, "invalid_request", "items[0].id: must be a string, or a whole number", "not true, not 1.0")


@pytest.mark.parametrize("good_id", [1, -(2**63), 2**63 - 1, "row-1"])
def test_batch_ids_that_fit_come_back_as_sent(api, good_id):
    """Integers of 64 bits and strings come back unchanged."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING, "id": good_id}]})
    assert r.status_code == 200 and r.json()["results"][0]["id"] == good_id


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be"])
def test_utf32_text_file_is_415(api, assert_error, encoding):
    """A UTF-32 text file (whose BOM begins like UTF-16's) is refused as unsupported, not read as UTF-16."""
    data = POSTING.encode(encoding) if encoding == "utf-32" else b"\x00\x00\xfe\xff" + POSTING.encode(encoding)
    r = api.post("/classify/file", files={"file": ("cv.txt", data, "text/plain")})
    assert_error(r, 415, "unsupported_media_type", "UTF-32", "save it as UTF-8")


@pytest.mark.parametrize("word", ["yes", "1", "True", "on", "no"])
def test_form_explain_takes_only_true_or_false(api, assert_error, word):
    """The form field explain refuses anything but the words true and false, as its error message says."""
    r = api.post("/classify/file", files={"file": ("p.txt", POSTING.encode(), "text/plain")}, data={"explain": word})
    assert_error(r, 422, "invalid_request", "explain: send true or false")


def test_form_explain_false_leaves_out_the_reasons(api):
    """explain=false on an upload answers without evidence; explain=true with it."""
    files = {"file": ("p.txt", POSTING.encode(), "text/plain")}
    short = api.post("/classify/file", files=files, data={"explain": "false"}).json()
    full = api.post("/classify/file", files=files, data={"explain": "true"}).json()
    assert "evidence" not in short and full["evidence"] and full["evidence_total"] == len(full["evidence"])


def test_evidence_is_capped_at_the_first_phrases_of_the_text(roomy, model):
    """Over ROLELENS_MAX_EVIDENCE phrases, the answer keeps the first ones in the text and counts them all."""
    text = " ".join([POSTING] * 4)
    found = model.explain([text])[0].evidence
    assert len(found) > 3
    body = roomy.post("/classify", json={"text": text}).json()
    assert body["evidence_total"] == len(found) and body["lexicon_matched"] is True
    assert [(e["start"], e["phrase"]) for e in body["evidence"]] == [(e.start, e.phrase) for e in found[:3]]
    batch = roomy.post("/classify/batch", json={"items": [{"text": text}] * 2}).json()
    assert all(len(r["evidence"]) == 3 and r["evidence_total"] == len(found) for r in batch["results"])


def test_openapi_declares_the_limits_of_this_app(api):
    """The OpenAPI document gives the configured text length and batch size, and a text's minimum."""
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ClassifyRequest", "BatchItem"):
        text = schemas[name]["properties"]["text"]
        assert (text["minLength"], text["maxLength"], text["pattern"]) == (1, 5000, r"\S")
    assert schemas["BatchRequest"]["properties"]["items"]["maxItems"] == 4
    assert schemas["BatchItem"]["properties"]["id"]["anyOf"][1]["type"] == "integer"


def test_openapi_declares_every_error_answer_with_its_shape(api):
    """Each operation lists the error statuses it can answer, each with the one error shape as its body."""
    doc = api.get("/openapi.json").json()
    expected = {
        # 408, 431 and 503 come from the connection layer and the body limits before any route runs.
        ("post", "/classify"): {400, 408, 413, 415, 422, 431, 500, 503},
        ("post", "/classify/batch"): {400, 408, 413, 415, 422, 431, 500, 503},
        ("post", "/classify/file"): {400, 408, 413, 415, 422, 431, 500, 503},
        ("post", "/admin/reload"): {401, 403, 408, 409, 413, 431, 500, 503},
        ("get", "/health/ready"): {408, 431, 500, 503},
        ("get", "/health/live"): {408, 431, 500, 503},
        ("get", "/metrics"): {408, 431, 500, 503},
    }
    for (method, path), statuses in expected.items():
        responses = doc["paths"][path][method]["responses"]
        errors = {int(s) for s in responses if s.startswith(("4", "5"))}
        assert errors == statuses, (path, errors)
        for status in statuses:
            ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorResponse" and responses[str(status)]["description"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    error = doc["components"]["schemas"]["ErrorInfo"]
    assert set(error["properties"]) == {"status", "code", "message", "request_id", "details"}
    form = next(iter(doc["components"]["schemas"][k] for k in doc["components"]["schemas"] if "classify_file" in k))
    assert form["properties"]["explain"]["enum"] == ["true", "false"]


def test_docs_page_is_served_from_local_assets(api):
    """/docs references only assets this service serves itself (no CDN), and the strict CSP covers it."""
    import re

    page = api.get("/docs")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/static/docs.js"} <= set(urls)
    assert "<script>" not in page.text and "http" not in page.text  # no inline script, no external URL
    for url in urls:
        asset = api.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    assert "SwaggerUIBundle" in api.get("/docs-assets/swagger-ui-bundle.js").text
    assert '"/openapi.json"' in api.get("/static/docs.js").text


@pytest.mark.parametrize("field", ["kind", "explain"])
def test_empty_form_fields_are_refused_not_defaulted(api, assert_error, field):
    """An empty kind or explain in an upload is refused by name rather than read as the default."""
    r = api.post("/classify/file", files={"file": ("p.txt", POSTING.encode(), "text/plain")}, data={field: ""})
    assert_error(r, 422, "invalid_request", f"{field}: empty; send one of its values")
