"""Uploads against a real server: a DOCX bomb costs no memory, a slow PDF is stopped at its deadline."""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = pytest.mark.e2e

POSTING = "You will deploy models to production on Kubernetes and monitor their latency and drift."


def upload(base: str, data: bytes, name: str = "cv.pdf") -> httpx.Response:
    return httpx.post(f"{base}/classify/file", files={"file": (name, data, "application/octet-stream")}, timeout=60)


def slow_pdf(operators: int) -> bytes:
    """A one-page PDF of a few KB whose compressed content stream holds ``operators`` text operators."""
    stream = zlib.compress(b"BT /F1 10 Tf " + b"(a) Tj " * operators + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def header_bomb(make_docx) -> bytes:
    """The issue's DOCX: a real document plus 49 header parts of 999 KB, about 85 KB in all."""
    out = io.BytesIO(make_docx(POSTING))
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(49):
            body = b'<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            z.writestr(f"word/header{i + 10}.xml", body + b" " * (999_000 - len(body) - 8) + b"</w:hdr>")
    return out.getvalue()


def test_docx_header_bomb_costs_no_memory(start_server, models_dir, make_docx, meter):
    """Six uploads of the 85 KB DOCX with 49 parts of 999 KB are refused and leave the server's RSS flat."""
    base = start_server(models_dir)
    pid = start_server.processes[base].pid
    bomb = header_bomb(make_docx)
    assert len(bomb) < 120_000
    upload(base, make_docx(POSTING), "warm.docx")  # the readers have imported their parsers
    before = meter.rss_mb(pid)
    for _ in range(6):
        r = upload(base, bomb, "bomb.docx")
        assert r.status_code == 413 and "decompression bomb" in r.json()["error"]["message"]
    after = meter.rss_mb(pid)
    assert after - before < 100, (before, after)  # python-docx took about 1 GB per upload
    assert upload(base, make_docx(POSTING), "good.docx").json()["label"] == "ml_engineer"


def test_slow_pdfs_are_stopped_at_the_deadline_and_a_full_pool_answers_503(start_server, models_dir, make_pdf, meter):
    """Two slow PDFs fill the readers: others get 503 + Retry-After, text still works, the slow ones stop."""
    base = start_server(models_dir, file_timeout_seconds=5, file_workers=2, file_queue_seconds=1)
    pid = start_server.processes[base].pid
    slow = slow_pdf(900_000)  # about 15 s of parsing
    assert len(slow) < 20_000
    with ThreadPoolExecutor(2) as pool:
        began = time.monotonic()
        in_flight = [pool.submit(upload, base, slow, "slow.pdf") for _ in range(2)]
        time.sleep(1.0)  # both are being read now
        busy = upload(base, make_pdf(POSTING), "good.pdf")
        text = upload(base, POSTING.encode(), "cv.txt")
        slow_answers = [f.result() for f in in_flight]
        took = time.monotonic() - began
    assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
    assert int(busy.headers["retry-after"]) >= 1
    assert text.status_code == 200 and text.json()["label"] == "ml_engineer"
    assert [r.json()["error"]["code"] for r in slow_answers] == ["file_timeout", "file_timeout"]
    assert took < 5 + 4, took
    # The readers were killed at the deadline and replaced: a good PDF is read at once, and once the
    # new readers have started nothing of the server burns CPU (the slow files would take 10 s).
    good = upload(base, make_pdf(POSTING), "good.pdf")
    assert good.status_code == 200 and good.json()["label"] == "ml_engineer"
    time.sleep(1.0)
    cpu = meter.cpu_seconds(pid)
    time.sleep(2.0)
    assert meter.cpu_seconds(pid) - cpu < 0.5
