"""Batches and uploaded files are classified like single texts, in order, with what was extracted."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_batch_keeps_input_order_and_ids(api, samples):
    """Each result carries its item's id, in input order, and matches /classify on that text."""
    items = [{"id": f"row-{i}", "text": s["text"], "kind": s["kind"]} for i, s in enumerate(samples[:4])]
    items[1]["id"] = 17
    del items[2]["id"]
    body = api.post("/classify/batch", json={"items": items}).json()
    assert [r["id"] for r in body["results"]] == ["row-0", 17, None, "row-3"]
    for item, result, sample in zip(items, body["results"], samples):
        assert result["label"] == sample["label"]
        single = api.post("/classify", json={"text": item["text"], "kind": item["kind"]}).json()
        assert {k: v for k, v in result.items() if k != "id"} == single
    assert body["model_version"] == body["results"][0]["model_version"]


def test_batch_mixes_roles(api, samples):
    """A batch holding both roles gets both labels back, each on its own item."""
    items = [{"text": s["text"]} for s in samples]
    labels = [r["label"] for r in api.post("/classify/batch", json={"items": items[:4]}).json()["results"]]
    assert labels == [s["label"] for s in samples[:4]] and len(set(labels)) == 2


def test_text_file_is_classified_with_offsets_into_its_text(api, samples):
    """A UTF-8 text file is classified; evidence offsets index the extracted text that comes back."""
    sample = samples[0]
    data = ("\ufeff" + sample["text"]).encode("utf-8")  # a BOM, as Notepad writes
    r = api.post("/classify/file", files={"file": ("posting.txt", data, "text/plain")}, data={"kind": "posting"})
    body = r.json()
    assert r.status_code == 200 and body["label"] == sample["label"]
    assert body["text"] == sample["text"] and body["chars_extracted"] == len(sample["text"])
    assert body["media_type"] == "text/plain" and body["filename"] == "posting.txt" and body["pages"] is None
    assert body["evidence"] and all(body["text"][e["start"] : e["end"]] == e["phrase"] for e in body["evidence"])


def test_docx_is_classified_with_its_table_text(api, samples, make_docx):
    """A DOCX's paragraphs and table cells are extracted in order and classified."""
    sample = next(s for s in samples if s["label"] == "data_scientist")
    data = make_docx(sample["text"], table=[["Tools", "Tableau and SQL"]])
    r = api.post("/classify/file", files={"file": ("cv.docx", data, "application/octet-stream")})
    body = r.json()
    assert r.status_code == 200 and body["label"] == "data_scientist"
    assert body["media_type"].endswith("wordprocessingml.document")
    assert body["text"].startswith("Job posting\n") and body["text"].endswith("Tools\nTableau and SQL")
    assert body["chars_extracted"] == len(body["text"])
    assert all(body["text"][e["start"] : e["end"]] == e["phrase"] for e in body["evidence"])


def test_pdf_is_classified_and_reports_pages(api, samples, make_pdf):
    """A PDF with a text layer is extracted, its pages counted, and classified."""
    sample = samples[0]
    r = api.post("/classify/file", files={"file": ("job.pdf", make_pdf(sample["text"]), "application/pdf")})
    body = r.json()
    assert r.status_code == 200 and body["label"] == sample["label"]
    assert body["pages"] == 1 and body["media_type"] == "application/pdf"
    assert " ".join(body["text"].split()) == " ".join(sample["text"].split())
    assert body["chars_extracted"] == len(body["text"])


def test_utf16_text_file_is_read(api, samples):
    """A UTF-16 text file with its BOM, as some Windows tools save, is decoded, not refused."""
    sample = samples[2]
    r = api.post("/classify/file", files={"file": ("cv.txt", sample["text"].encode("utf-16"), "text/plain")})
    assert r.status_code == 200 and r.json()["text"] == sample["text"]


def test_answers_match_their_documented_schemas(api, samples, make_docx):
    """Answers are built as plain JSON for speed, so check each against the schema /docs publishes."""
    from service.schemas import BatchResponse, BatchResult, ClassifyResponse, FileClassifyResponse

    cases = [
        (ClassifyResponse, api.post("/classify", json={"text": samples[0]["text"]}).json()),
        (BatchResponse, api.post("/classify/batch", json={"items": [{"text": samples[1]["text"], "id": "x"}]}).json()),
        (
            FileClassifyResponse,
            api.post("/classify/file", files={"file": ("a.docx", make_docx(samples[2]["text"]))}).json(),
        ),
    ]
    for schema, body in cases:
        assert schema.model_validate(body, strict=True) and set(body) == set(schema.model_fields)
    assert set(cases[1][1]["results"][0]) == set(BatchResult.model_fields)


def test_explain_false_answers_the_same_lean_without_reasons(api, samples):
    """explain=false on /classify, /classify/batch and /classify/file gives the same label and
    probabilities as the full answer, and leaves out evidence and top features."""
    text = samples[0]["text"]
    full = api.post("/classify", json={"text": text}).json()
    short = api.post("/classify", json={"text": text, "explain": False}).json()
    reasons = {"lexicon_matched", "evidence", "evidence_total", "top_features", "scope_evidence"}
    assert reasons <= set(full) and not reasons & set(short)
    assert {k: v for k, v in full.items() if k not in reasons} == short
    batch = api.post("/classify/batch", json={"items": [{"text": text, "id": 1}], "explain": False}).json()
    assert batch["results"] == [{**short, "id": 1}]
    upload = api.post(
        "/classify/file", files={"file": ("p.txt", text.encode(), "text/plain")}, data={"explain": "false"}
    ).json()
    assert upload["label"] == short["label"] and not reasons & set(upload)


def test_work_over_the_inline_size_runs_in_a_thread_with_the_same_answers(models_dir, samples, monkeypatch):
    """Requests up to ROLELENS_INLINE_CHARS are classified on the event loop, longer ones in a worker
    thread, with the same answers either way."""
    import threading

    import service.routes
    from service.app import create_app
    from service.settings import Settings

    threads = []
    classify = service.routes._classify
    monkeypatch.setattr(
        service.routes, "_classify", lambda *a: threads.append(threading.current_thread().name) or classify(*a)
    )
    items = [{"text": s["text"], "id": i} for i, s in enumerate(samples[:4])]
    size = sum(len(i["text"]) for i in items)
    with TestClient(create_app(Settings(model_dir=models_dir, inline_chars=size))) as api:
        inline = api.post("/classify/batch", json={"items": items}).json()
        threaded = api.post("/classify/batch", json={"items": [*items, {"text": "A/B tests", "id": 4}]}).json()
    assert threads[0] != threads[1] and threads[1] != threading.main_thread().name
    assert threaded["results"][:4] == inline["results"]
    assert [r["label"] for r in inline["results"]] == [s["label"] for s in samples[:4]]
