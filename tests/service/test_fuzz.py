"""Property-based fuzzing: whatever a client sends, the answer is a result or a 4xx, quickly."""

from __future__ import annotations

import io
import json
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Any code point, lone surrogates included: json.dumps escapes them as \udxxx.
texts = st.text(st.characters(codec=None, min_codepoint=0), max_size=300)
kinds = st.sampled_from(["posting", "resume", "auto", "", "Posting", None])


def check(response) -> None:
    """A 200 is a full result; anything else is a 4xx in the one error shape."""
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        results = body.get("results", [body])
        for result in results:
            assert abs(sum(result["probabilities"].values()) - 1) < 1e-6 and result["label"] in result["probabilities"]
    else:
        assert 400 <= response.status_code < 500
        assert body["error"]["status"] == response.status_code and body["error"]["message"]


@FUZZ
@given(body=json_values | st.fixed_dictionaries({"text": texts}, optional={"kind": kinds, "id": json_values}))
def test_classify_json_never_fails(api, body):
    """Any JSON value, or a text of any code points, gets a result or a 4xx from /classify and /classify/batch."""
    batch = {"items": [body, body]} if isinstance(body, dict) else body
    for path, payload in (("/classify", body), ("/classify/batch", batch)):
        # json.dumps writes NaN and Infinity, which are not JSON: the service must cope with them too.
        check(api.post(path, content=json.dumps(payload).encode(), headers={"content-type": "application/json"}))


@FUZZ
@given(
    raw=st.binary(max_size=400),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; charset=latin-1"]),
)
def test_raw_bodies_never_fail(api, raw, content_type):
    """Arbitrary bytes under any content type get a 4xx, never a 500."""
    headers = {"content-type": content_type} if content_type else {}
    check(api.post("/classify", content=raw, headers=headers))


def _mutate(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        out[position % len(out)] = value
    return bytes(out)


@FUZZ
@given(data=st.data())
def test_files_never_fail(api, make_pdf, make_docx, data):
    """Random, truncated and bit-flipped PDF, DOCX and text uploads get a result or a 4xx, never a 500 or a hang."""
    pdf = make_pdf("We deploy models to production and monitor drift.")
    docx = make_docx("You will analyse data and run A/B tests.")
    base = data.draw(st.sampled_from([pdf, docx, b"%PDF-1.7\n", b"PK\x03\x04", b"plain text resume"]), label="base")
    flips = data.draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8), label="flips")
    cut = data.draw(st.integers(1, len(base)), label="cut")
    tail = data.draw(st.binary(max_size=64), label="tail")
    upload = _mutate(base, flips)[:cut] + tail
    name = data.draw(st.sampled_from(["cv.pdf", "cv.docx", "cv.txt", "cv", ""]), label="name")
    check(api.post("/classify/file", files={"file": (name, upload, "application/octet-stream")}))


def test_docx_with_entity_expansion_is_harmless(api, make_docx):
    """A DOCX whose XML declares an entity bomb (a billion laughs) is refused, not expanded."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
    )
    source = zipfile.ZipFile(io.BytesIO(make_docx("placeholder")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info, bomb if info.filename == "word/document.xml" else source.read(info))
    r = api.post("/classify/file", files={"file": ("bomb.docx", out.getvalue(), "application/octet-stream")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unreadable_file"
