"""DOCX reading: every part and the whole archive are checked, and only the document's XML is parsed."""

from __future__ import annotations

import io
import zipfile

import pytest

from service.errors import ApiError
from service.extract import Limits, extract_text

POSTING = "You will deploy models to production on Kubernetes"
ISSUE_LIMITS = Limits(max_pages=100, max_unzipped_bytes=50 * 1024 * 1024, max_zip_ratio=100)


def with_parts(docx: bytes, parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO(docx)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def test_parts_just_under_a_megabyte_are_ratio_checked(make_docx):
    """49 header parts of 999 KB each, under the 50 MiB total, are refused as a decompression bomb."""
    data = with_parts(make_docx(POSTING), {f"word/header{i}.xml": b" " * 999_000 for i in range(49)})
    with pytest.raises(ApiError) as err:
        extract_text(data, ISSUE_LIMITS)
    assert err.value.status == 413 and "decompression bomb" in err.value.message


def test_many_small_parts_are_checked_as_a_whole(make_docx):
    """Parts too small to check one by one still count: the archive's ratio as a whole is refused."""
    data = with_parts(make_docx(POSTING), {f"word/media/p{i}.bin": bytes(60_000) for i in range(300)})
    with pytest.raises(ApiError) as err:
        extract_text(data, ISSUE_LIMITS)
    assert err.value.status == 413 and "as a whole" in err.value.message


def test_only_the_document_part_is_parsed(make_docx):
    """A broken header part does not matter: the text comes from word/document.xml alone, in order."""
    data = with_parts(make_docx(POSTING, table=[["Tools", "Docker"]]), {"word/header9.xml": b"<w:hdr><unclosed"})
    assert extract_text(data, ISSUE_LIMITS).text.splitlines() == ["Job posting", POSTING, "Tools", "Docker"]


def test_document_xml_over_the_limit_is_refused(make_docx):
    """A document part of more XML than ROLELENS_MAX_UNZIPPED_BYTES is refused with a 413 naming the setting."""
    source = zipfile.ZipFile(io.BytesIO(make_docx(POSTING)))
    xml = source.read("word/document.xml")
    padded = xml.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * 200_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, padded if info.filename == "word/document.xml" else source.read(info))
    with pytest.raises(ApiError) as err:
        extract_text(out.getvalue(), Limits(10, 1_000_000, 10_000))
    assert err.value.status == 413 and "ROLELENS_MAX_UNZIPPED_BYTES" in err.value.message
