"""Text out of an uploaded PDF, DOCX or plain-text file, within size, page and zip limits.

Uploads are untrusted: the type is decided by the file's first bytes, never by its name,
and every parser failure becomes an :class:`~service.errors.ApiError` that says what to do.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

from service.errors import ApiError

PDF, DOCX, TEXT = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
)
ACCEPTED = "PDF, DOCX or plain text in UTF-8, or in UTF-16 with its byte order mark"
DOCUMENT_PART = "word/document.xml"  # the only part of a DOCX whose text we read
_RATIO_FLOOR = 64 * 1024  # parts smaller than this cannot hold a bomb worth checking

# First bytes of formats people upload by mistake, and what to tell them.
_REFUSED_MAGIC = {
    b"\xd0\xcf\x11\xe0": "a legacy Word (.doc) or other OLE file: save it as DOCX or PDF",
    b"\x89PNG": "a PNG image: RoleLens reads text, so upload the document itself or OCR the image first",
    b"\xff\xd8\xff": "a JPEG image: RoleLens reads text, so upload the document itself or OCR the image first",
    b"GIF8": "a GIF image: upload the document itself",
    b"\x1f\x8b": "a gzip archive: unpack it and upload the document",
    b"{\\rtf": "an RTF document: save it as DOCX or PDF",
}


@dataclass(frozen=True)
class Limits:
    """How much of a file we are willing to read."""

    max_pages: int
    max_unzipped_bytes: int
    max_zip_ratio: int


@dataclass(frozen=True)
class Extracted:
    """The text of a file and where it came from."""

    text: str
    media_type: str
    pages: int | None = None


def extract_text(data: bytes, limits: Limits) -> Extracted:
    """Detect the type of ``data`` from its first bytes and extract its text.

    >>> extract_text("Déployer des modèles".encode(), Limits(10, 10**6, 100)).text
    'Déployer des modèles'
    """
    if not data:
        raise ApiError(422, "empty_file", "the uploaded file is empty: choose the posting or resume file again")
    if data.startswith(b"%PDF-"):
        return _pdf(data, limits)
    if data.startswith(b"PK\x03\x04"):
        return _docx(data, limits)
    for magic, what in _REFUSED_MAGIC.items():
        if data.startswith(magic):
            raise ApiError(415, "unsupported_media_type", f"the file is {what} (accepted: {ACCEPTED})")
    return _plain(data)


def parses_in_worker(data: bytes) -> bool:
    """Whether ``data`` goes to a parser that a crafted file can keep busy (PDF, DOCX), not plain text.

    >>> parses_in_worker(b"%PDF-1.7 ..."), parses_in_worker(b"Senior data scientist")
    (True, False)
    """
    return data.startswith((b"%PDF-", b"PK\x03\x04"))


def _plain(data: bytes) -> Extracted:
    # UTF-32's little-endian BOM starts with UTF-16's: test it first, or it reads as UTF-16 garbage.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ApiError(
            415, "unsupported_media_type", f"the file is UTF-32 text: save it as UTF-8 (accepted: {ACCEPTED})"
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in data[:4096]:
            raise ApiError(415, "unsupported_media_type", f"the file looks binary, not text (accepted: {ACCEPTED})")
    try:
        return Extracted(data.decode(encoding), TEXT)
    except UnicodeDecodeError as err:
        raise ApiError(
            422,
            "invalid_utf8",
            f"the file is not valid {encoding.removesuffix('-sig').upper()} text (bad byte at offset "
            f"{err.start}): save it as UTF-8, or upload it as PDF or DOCX",
        ) from None


def _pdf(data: bytes, limits: Limits) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("password required")
        pages = len(reader.pages)
        if pages > limits.max_pages:
            raise ApiError(
                413,
                "too_many_pages",
                f"the PDF has {pages} pages; the limit is {limits.max_pages} (ROLELENS_MAX_FILE_PAGES): "
                "upload only the pages of the posting or resume",
            )
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except ApiError:
        raise
    except (FileNotDecryptedError, NotImplementedError) as err:
        raise ApiError(
            422, "encrypted_pdf", f"the PDF is encrypted ({err}): save a copy without a password and upload that"
        ) from None
    except Exception as err:  # noqa: BLE001 - any parser failure on untrusted bytes is the file's
        raise ApiError(
            422,
            "unreadable_file",
            f"the PDF could not be read ({type(err).__name__}): it may be damaged; export it again or paste its text",
        ) from None
    if not text.strip():
        raise ApiError(
            422,
            "no_text_layer",
            f"the PDF has {pages} page(s) but no text layer: it looks scanned; run it through OCR "
            "(for example ocrmypdf) and upload the result, or paste the text",
        )
    return Extracted(text, PDF, pages)


def _docx(data: bytes, limits: Limits) -> Extracted:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise ApiError(
            422, "unreadable_file", f"the file starts like a DOCX (zip) but could not be opened ({err}): save it again"
        ) from None
    if DOCUMENT_PART not in archive.namelist():
        raise ApiError(
            415, "unsupported_media_type", f"the file is a zip archive but not a Word document (accepted: {ACCEPTED})"
        )
    _check_zip(infos, len(data), limits)
    try:
        with archive.open(DOCUMENT_PART) as part:
            text = _document_text(part, limits)
    except ApiError:
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure on untrusted bytes is the file's
        raise ApiError(
            422,
            "unreadable_file",
            f"the DOCX could not be read ({type(err).__name__}): it may be damaged; save it again or paste its text",
        ) from None
    if not text.strip():
        raise ApiError(422, "empty_document", "the DOCX holds no text: check that you chose the right file")
    return Extracted(text, DOCX)


def _check_zip(infos: list[zipfile.ZipInfo], archive_bytes: int, limits: Limits) -> None:
    """Refuse a zip that would unpack to more than the limits (a decompression bomb).

    Every part over 64 KiB is checked, and so is the archive as a whole: many parts just
    under one size each add up. ``zipfile`` never inflates a member past its declared size,
    and only ``word/document.xml`` is ever inflated.
    """
    if len(infos) > 1000:
        raise ApiError(
            413,
            "file_too_large",
            f"the DOCX holds {len(infos)} parts; a document needs far fewer: save it again without embedded files",
        )
    total = sum(i.file_size for i in infos)
    parts = [(f"the DOCX part {i.filename}", i.file_size, i.compress_size) for i in infos if i.file_size > _RATIO_FLOOR]
    wholes = [(f"the DOCX as a whole ({len(infos)} parts)", total, archive_bytes)] if total > _RATIO_FLOOR else []
    for what, size, packed in parts + wholes:
        if size > limits.max_zip_ratio * max(packed, 1):
            raise ApiError(
                413,
                "file_too_large",
                f"{what} expands {size // max(packed, 1)} times, over the limit of {limits.max_zip_ratio} "
                "(ROLELENS_MAX_ZIP_RATIO): this looks like a decompression bomb, not a document",
            )
    if total > limits.max_unzipped_bytes:
        raise ApiError(
            413,
            "file_too_large",
            f"the DOCX unpacks to {total} bytes; the limit is {limits.max_unzipped_bytes} "
            "(ROLELENS_MAX_UNZIPPED_BYTES): remove images or embedded files, or upload a PDF",
        )


def _document_text(part: IO[bytes], limits: Limits) -> str:
    """The text of ``word/document.xml``, parsed as a stream: paragraphs on lines of their own.

    Table cells are paragraphs too, so they come out one a line in document order. A DTD is
    refused (Word never writes one, and it is how entity bombs work); at most
    ``limits.max_unzipped_bytes`` of XML are parsed.
    """
    out: list[str] = []
    inside_t = False

    def start(name: str, _attrs: object) -> None:
        nonlocal inside_t
        tag = name.rpartition(" ")[2]
        inside_t = tag == "t"
        if tag == "tab":
            out.append("\t")
        elif tag in ("br", "cr"):
            out.append("\n")

    def end(name: str) -> None:
        nonlocal inside_t
        inside_t = False
        if name.rpartition(" ")[2] == "p":
            out.append("\n")

    def chars(data: str) -> None:
        if inside_t:
            out.append(data)

    def no_dtd(*_args: object) -> None:
        raise ValueError("a DOCX part declares a DTD")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    parser.StartDoctypeDeclHandler = no_dtd
    parsed = 0
    while chunk := part.read(64 * 1024):
        parsed += len(chunk)
        if parsed > limits.max_unzipped_bytes:
            raise ApiError(
                413,
                "file_too_large",
                f"the DOCX text part is over {limits.max_unzipped_bytes} bytes (ROLELENS_MAX_UNZIPPED_BYTES): "
                "remove what is not the posting or resume, or upload a PDF",
            )
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return "".join(out).removesuffix("\n")
