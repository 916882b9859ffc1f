"""Every way a request can be wrong gets a 4xx in the one error shape, with a message to act on."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from service.errors import EXAMPLE_BODY

JSON = {"content-type": "application/json"}
POSTING = "We are hiring an engineer to deploy models to production and monitor their latency."


def test_malformed_json_is_400(api, assert_error):
    """A body that is not JSON is a 400 that says where it broke and what to send."""
    r = api.post("/classify", content=b'{"text": "deploy models', headers=JSON)
    assert_error(r, 400, "malformed_json", "not valid JSON", "character", EXAMPLE_BODY)


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/classify", b'{"text": "deploy models to production", "text": "run A/B tests"}', "('text')"),
        ("/classify/batch", b'{"items": [{"text": "a b c", "kind": "resume", "kind": "posting"}]}', "('kind')"),
    ],
)
def test_a_key_given_twice_is_refused_not_overwritten(api, assert_error, path, body, named):
    """A field repeated in one JSON object is a 400 naming it, not an answer for whichever value came last."""
    r = api.post(path, content=body, headers=JSON)
    assert_error(r, 400, "malformed_json", f"ambiguous JSON (a key is given twice in one object {named})", EXAMPLE_BODY)


def test_a_repeated_key_of_the_clients_own_is_not_echoed(api, assert_error):
    """A repeated key that is not one of our fields is refused without repeating it, however long it is."""
    key = "k" * 20_000
    r = api.post("/classify", content=f'{{"text": "a b", "{key}": 1, "{key}": 2}}'.encode(), headers=JSON)
    assert_error(r, 400, "malformed_json", "(a key is given twice in one object):")
    assert len(r.content) < 1_000


def test_invalid_utf8_is_400(api, assert_error):
    """A JSON body with bytes that are not UTF-8 is a 400 naming the offset."""
    r = api.post("/classify", content=b'{"text": "caf\xe9 au lait"}', headers=JSON)
    assert_error(r, 400, "invalid_utf8", "UTF-8", "offset 13")


def test_lone_surrogate_is_422(api, assert_error):
    """A JSON escape of half a surrogate pair is refused instead of failing when the answer is written."""
    r = api.post("/classify", content=b'{"text": "deploy \\ud83d models"}', headers=JSON)
    assert_error(r, 422, "invalid_request", "text: has an unpaired UTF-16 surrogate at character 7")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_json_endpoints_refuse_other_media_types(api, assert_error, content_type):
    """/classify with no or another Content-Type is a 415 that says to send JSON."""
    headers = {"content-type": content_type} if content_type else {}
    r = api.post("/classify", content=POSTING.encode(), headers=headers)
    assert_error(r, 415, "unsupported_media_type", "application/json", "/classify/file")


@pytest.mark.parametrize(
    "body, where",
    [
        ({}, "text: Field required"),
        ({"text": 12}, "text: Input should be a valid string"),
        ({"text": POSTING, "kind": "poem"}, "kind: Input should be 'posting', 'resume' or 'auto'"),
        ([POSTING], "body: expected a JSON object"),
        ({"text": POSTING, "explain": "no"}, "explain: send true or false"),
        (
            {"text": POSTING, "explian": False},
            "body: 1 unknown field (did you mean 'explain'?): the fields of this request are text, kind and explain",
        ),
    ],
)
def test_wrong_fields_are_422_naming_the_field(api, assert_error, body, where):
    """A JSON value of the wrong shape, or a field we do not know, is a 422 naming the field and the problem."""
    assert_error(api.post("/classify", json=body), 422, "invalid_request", where)


@pytest.mark.parametrize(
    "item, where",
    [
        ({"text": POSTING, "id": 2**64}, "items[0].id: must be a string, or a whole number"),
        ({"text": POSTING, "id": 1.5}, "items[0].id: must be a string, or a whole number"),
        (
            {"text": POSTING, "explain": False},
            'items[0]: explain is not a field of an item: it applies to the whole batch, so put it beside "items"',
        ),
    ],
)
def test_batch_item_fields_we_cannot_honour_are_422(api, assert_error, item, where):
    """An id too big for a 64-bit integer, or an option that belongs to the whole batch, is refused by name."""
    assert_error(api.post("/classify/batch", json={"items": [item]}), 422, "invalid_request", where)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_422(api, assert_error, text):
    """Empty or whitespace-only text is refused, not guessed."""
    assert_error(api.post("/classify", json={"text": text}), 422, "invalid_request", "empty or only whitespace")


def test_text_over_the_limit_is_422(api, assert_error):
    """A text longer than ROLELENS_MAX_TEXT_CHARS is refused with its length and the limit."""
    r = api.post("/classify", json={"text": "data " * 1001})
    assert_error(r, 422, "text_too_long", "5005 characters", "limit is 5000", "ROLELENS_MAX_TEXT_CHARS")


def test_body_over_the_limit_is_413(api, assert_error):
    """A body over ROLELENS_MAX_BODY_BYTES is a 413 before any of it is parsed."""
    r = api.post("/classify", content=json.dumps({"text": "x" * 100_000}).encode(), headers=JSON)
    assert_error(r, 413, "body_too_large", "98304 bytes", "ROLELENS_MAX_BODY_BYTES")


def test_chunked_body_over_the_limit_is_413(api, assert_error):
    """A body sent without Content-Length is counted as it arrives and cut off at the limit."""

    def chunks():
        yield b'{"text": "'
        for _ in range(30):
            yield b"y" * 4096
        yield b'"}'

    r = api.post("/classify", content=chunks(), headers=JSON)
    assert "content-length" not in r.request.headers
    assert_error(r, 413, "body_too_large", "ROLELENS_MAX_BODY_BYTES")


def test_batch_over_the_limit_is_422(api, assert_error):
    """A batch with more items than ROLELENS_MAX_BATCH_ITEMS is refused and told to split."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING}] * 5})
    assert_error(r, 422, "batch_too_large", "5 items", "limit is 4", "ROLELENS_MAX_BATCH_ITEMS", "split")


def test_empty_batch_is_422(api, assert_error):
    """A batch with no items is refused rather than answered with nothing."""
    assert_error(api.post("/classify/batch", json={"items": []}), 422, "invalid_request", "items")


def test_batch_names_the_bad_item(api, assert_error):
    """An invalid item in a batch is named by its index, and every bad item is listed."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING}, {"text": " "}, {"text": None}]})
    error = assert_error(r, 422, "invalid_request", "items[1].text: empty or only whitespace")
    assert [d["field"] for d in error["details"]] == ["items[1].text", "items[2].text"]


def test_batch_item_over_the_text_limit_names_it(api, assert_error):
    """A batch item longer than the text limit is named by its index."""
    r = api.post("/classify/batch", json={"items": [{"text": POSTING}, {"text": "a " * 3000}]})
    assert_error(r, 422, "text_too_long", "items[1].text has 6000 characters")


def test_unknown_path_is_404_and_wrong_method_405(api, assert_error):
    """Unknown endpoints and methods get the error shape too, pointing at /docs."""
    assert_error(api.get("/classify/everything"), 404, "not_found", "/docs")
    assert_error(api.get("/classify"), 405, "method_not_allowed", "/docs")


def upload(api, data: bytes, name: str = "upload.bin", media: str = "application/octet-stream", **form):
    return api.post("/classify/file", files={"file": (name, data, media)}, data=form)


def test_file_missing_is_422(api, assert_error):
    """A multipart request without the file field names the field."""
    r = api.post("/classify/file", data={"kind": "posting"}, files={"other": ("x.txt", b"hi", "text/plain")})
    assert_error(r, 422, "invalid_request", "file: no file was uploaded", "field named 'file'")


def test_file_endpoint_wants_multipart(api, assert_error):
    """JSON or plain text sent to /classify/file is a 415, as the converse is on /classify, with how to upload."""
    r = api.post("/classify/file", json={"text": POSTING})
    assert_error(r, 415, "unsupported_media_type", "'application/json'", "multipart/form-data", "/classify")
    r = api.post("/classify/file", content=POSTING.encode(), headers={"content-type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type", "'text/plain'", "curl -F file=@resume.pdf")


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"no boundary declared"),
        ("multipart/form-data; boundary=abc", b"garbage, not parts"),
    ],
)
def test_malformed_multipart_is_400(api, assert_error, content_type, body):
    """An upload whose multipart framing is broken is a 400 that shows how to upload a file."""
    r = api.post("/classify/file", content=body, headers={"content-type": content_type})
    assert_error(r, 400, "malformed_multipart", "could not be parsed", "curl -F file=@resume.pdf")


def test_empty_file_is_422(api, assert_error):
    """An empty upload is refused and the user told to choose the file again."""
    assert_error(upload(api, b""), 422, "empty_file", "choose the posting or resume file again")


def test_whitespace_file_is_422(api, assert_error):
    """A text file of blanks is refused, not classified."""
    assert_error(upload(api, b"  \n\n  ", "blank.txt", "text/plain"), 422, "empty_text", "empty or only whitespace")


def test_file_over_the_size_limit_is_413(api, assert_error):
    """A file over ROLELENS_MAX_FILE_BYTES is a 413 naming the setting."""
    r = upload(api, b"deploy models " * 4000, "big.txt", "text/plain")
    assert_error(r, 413, "file_too_large", "49152 bytes", "ROLELENS_MAX_FILE_BYTES")


def test_file_text_over_the_limit_is_422(api, assert_error):
    """A file whose text is over the text limit is refused, not silently cut."""
    r = upload(api, b"data " * 1200, "long.txt", "text/plain")
    assert_error(r, 422, "text_too_long", "the text extracted from the file has 6000 characters")


@pytest.mark.parametrize(
    "data, hint",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "legacy Word (.doc)"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(64), "binary"),
    ],
)
def test_unsupported_file_types_are_415(api, assert_error, data, hint):
    """Images, legacy Word files and binaries are refused by their bytes, whatever their name."""
    r = upload(api, data, "resume.pdf", "application/pdf")
    assert_error(r, 415, "unsupported_media_type", hint, "PDF, DOCX or plain text in UTF-8, or in UTF-16 with its byte")


def test_zip_that_is_not_docx_is_415(api, assert_error):
    """A zip archive without a Word document inside is refused as unsupported."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "deploy models")
    assert_error(upload(api, out.getvalue(), "cv.docx"), 415, "unsupported_media_type", "not a Word document")


def test_text_file_not_utf8_is_422(api, assert_error):
    """A Latin-1 text file is refused with the offset of the bad byte and how to fix it."""
    r = upload(api, "Café analyst, statistics".encode("latin-1"), "cv.txt", "text/plain")
    assert_error(r, 422, "invalid_utf8", "offset 3", "save it as UTF-8")


def test_scanned_pdf_is_422(api, assert_error, make_pdf):
    """A PDF with pages but no text layer says it looks scanned and suggests OCR."""
    r = upload(api, make_pdf(pages=2), "scan.pdf", "application/pdf")
    assert_error(r, 422, "no_text_layer", "2 page(s)", "no text layer", "OCR")


def test_pdf_over_the_page_limit_is_413(api, assert_error, make_pdf):
    """A PDF with more pages than ROLELENS_MAX_FILE_PAGES is refused before its text is read."""
    r = upload(api, make_pdf(pages=4), "long.pdf", "application/pdf")
    assert_error(r, 413, "too_many_pages", "4 pages", "limit is 3", "ROLELENS_MAX_FILE_PAGES")


def test_damaged_pdf_is_422(api, assert_error, make_pdf):
    """A truncated PDF is refused as unreadable with a way forward."""
    data = make_pdf(POSTING)
    assert_error(upload(api, data[: len(data) // 3], "cut.pdf"), 422, "unreadable_file", "paste its text")


def test_damaged_docx_is_422(api, assert_error, make_docx):
    """A DOCX cut in half is refused as unreadable."""
    data = make_docx(POSTING)
    assert_error(upload(api, data[: len(data) // 2], "cut.docx"), 422, "unreadable_file", "save it again")


def test_docx_decompression_bomb_is_413(api, assert_error, make_docx):
    """A DOCX part that inflates hundreds of times is refused as a decompression bomb, unread."""
    out = io.BytesIO(make_docx(POSTING))
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/media/image1.bin", bytes(1_500_000))
    assert len(out.getvalue()) < 48 * 1024
    assert_error(
        upload(api, out.getvalue(), "bomb.docx"), 413, "file_too_large", "decompression bomb", "ROLELENS_MAX_ZIP_RATIO"
    )


def test_docx_unpacking_over_the_limit_is_413(models_dir, assert_error, make_docx):
    """A DOCX whose parts add up to more than ROLELENS_MAX_UNZIPPED_BYTES is refused."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    out = io.BytesIO(make_docx(POSTING))
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"word/media/pad{i}.bin", bytes(900_000))
    # A ratio limit high enough that only the total is over its limit.
    settings = Settings(model_dir=models_dir, max_unzipped_bytes=2 * 1024 * 1024, max_zip_ratio=100_000)
    with TestClient(create_app(settings)) as client:
        r = upload(client, out.getvalue(), "padded.docx")
    assert_error(r, 413, "file_too_large", "unpacks to", "ROLELENS_MAX_UNZIPPED_BYTES")


def test_no_error_leaks_the_text(api):
    """Error bodies never echo the text that was sent."""
    secret = "Confidential candidate Zyxwvut"
    for r in (
        api.post("/classify", json={"text": secret, "kind": "poem"}),
        api.post("/classify/batch", json={"items": [{"text": secret}] * 5}),
    ):
        assert r.status_code == 422 and "Zyxwvut" not in r.text


def test_encrypted_pdf_is_422(api, assert_error, make_pdf):
    """A password-protected PDF is refused with a way to fix it, not read as garbage."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(POSTING))))
    writer.encrypt(user_password="hunter2", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    assert_error(upload(api, out.getvalue(), "locked.pdf"), 422, "encrypted_pdf", "without a password")


def test_slow_file_is_cut_off_with_422(models_dir, assert_error, make_pdf):
    """Reading a file that takes longer than ROLELENS_FILE_TIMEOUT_SECONDS ends the request with a 422."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(model_dir=models_dir, file_timeout_seconds=0.001))) as client:
        r = upload(client, make_pdf(POSTING * 3, pages=60), "slow.pdf")  # a few hundred ms to read
        assert_error(r, 422, "file_timeout", "ROLELENS_FILE_TIMEOUT_SECONDS", "paste its text")
        assert client.post("/classify", json={"text": POSTING}).status_code == 200


def test_readme_lists_every_error_code_the_service_returns():
    """Each error code raised anywhere in service/ is documented in the README's list of codes."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")
    codes = set()
    for path in (root / "service").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("ApiError", "_send_error"):
                values = node.args[1:2]  # ApiError(status, code, ...)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.IfExp):  # code = "a" if ... else "b"
                if any(getattr(t, "id", "") == "code" for t in node.targets):
                    values = [node.value.body, node.value.orelse]
            elif isinstance(node, ast.Dict) and all(
                isinstance(k, ast.Constant) and k.value in range(400, 600) for k in node.keys
            ):  # {400: "bad_request", ...}
                values = node.values
            codes |= {
                v.value
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str) and code.fullmatch(v.value)
            }
    assert {"invalid_request", "empty_text", "invalid_utf8", "bad_request", "not_found"} <= codes
    readme = (root / "README.md").read_text()
    missing = sorted(c for c in codes if f"`{c}`" not in readme)
    assert not missing, f"error codes not in the README: {missing}"


def test_empty_batch_says_what_to_send(api, assert_error):
    """A batch with no items is refused with what an item looks like."""
    assert_error(
        api.post("/classify/batch", json={"items": []}), 422, "invalid_request", "items: send at least one item"
    )


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"explian": "false"}, "1 unknown field (did you mean 'explain'?): the fields of this upload are file, kind"),
        ({"explain": ["false", "true"]}, "explain: sent 2 times"),
        ({"explain": "nope"}, "explain: send true or false"),
    ],
)
def test_upload_form_fields_we_cannot_honour_are_422(api, assert_error, fields, words):
    """A misspelt, repeated or malformed form field of /classify/file is refused by name, not ignored."""
    r = api.post("/classify/file", files={"file": ("p.txt", POSTING.encode(), "text/plain")}, data=fields)
    assert_error(r, 422, "invalid_request", words)


def test_a_second_file_in_one_upload_is_refused(api, assert_error):
    """Two files in one /classify/file request are refused rather than one being dropped."""
    part = ("file", ("p.txt", POSTING.encode(), "text/plain"))
    assert_error(api.post("/classify/file", files=[part, part]), 422, "invalid_request", "file: sent 2 times")


def test_repeated_and_empty_upload_fields_are_each_in_details(api):
    """A repeated and an empty form field are each named in details, as invalid JSON fields are."""
    files = [
        ("file", ("p.txt", POSTING.encode(), "text/plain")),
        ("kind", (None, "resume")),
        ("kind", (None, "posting")),
    ]
    r = api.post("/classify/file", files=[*files, ("explain", (None, ""))])
    details = r.json()["error"]["details"]
    assert r.status_code == 422 and [d["field"] for d in details] == ["kind", "explain"]
    assert details[0]["message"].startswith("sent 2 times") and details[1]["message"].startswith("empty")


def test_json_nested_too_deep_is_malformed_json(api, assert_error):
    """A body of twenty thousand nested lists is a 400 malformed_json that says what to send, not a bare 400."""
    r = api.post("/classify", content=b"[" * 20_000 + b"]" * 20_000, headers=JSON)
    assert_error(r, 400, "malformed_json", "nested too deeply", EXAMPLE_BODY)
