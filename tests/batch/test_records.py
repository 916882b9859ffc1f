"""Cutting CSV files into whole records: the rows come out exactly as csv.reader reads the whole file."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labelling import LabelError, readers, records
from labelling.readers import CsvReader, rows_chunk

# Pieces that matter to record ends: quotes, doubled quotes, commas, every line end, bytes
# that are not UTF-8, a byte order mark in the middle, multi-byte characters.
PIECES = ["a", "b c", '"', '""', ",", "\r", "\n", "\r\n", "é", "€", "\ufeff", "\x00", " "]
RAW = [b"\xff", b"\xc3", b"\xe2\x82"]  # invalid or cut UTF-8
token = st.one_of(st.sampled_from(PIECES).map(str.encode), st.sampled_from(RAW))
csv_bytes = st.lists(token, max_size=60).map(b"".join)
settings_ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def whole_file(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    """What csv.reader reads from the whole file, as the reader read it before it cut records."""
    csv.field_size_limit(readers.MAX_FIELD_CHARS)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="surrogateescape", newline="")
    return [row for row in csv.reader(text, strict=False) if row]


def read_in_blocks(path, chunk_rows: int, encoding: str = "utf-8"):
    """Header, parsed chunks and the row count of each block, cutting with the reader under test."""
    reader = CsvReader(path, chunk_rows, encoding)
    blocks = list(reader)
    return reader.columns, [b.parse() for b in blocks], [b.rows for b in blocks]


@settings_
@given(data=csv_bytes, chunk_rows=st.integers(1, 5), read_size=st.integers(1, 9), bom=st.booleans())
@example(data=b'a\r\n"x\r\ny"\r\n"q""\r\n,"\n', chunk_rows=1, read_size=1, bom=False)
@example(data=b'h\nx"y,"z\n1\r', chunk_rows=2, read_size=3, bom=True)
@example(data=b'h\n"a\nb"c\nd\n"e\nf"\n', chunk_rows=1, read_size=2, bom=False)  # a malformed quote over lines
def test_blocks_hold_exactly_the_rows_csv_reads_from_the_whole_file(
    tmp_path, monkeypatch, data, chunk_rows, read_size, bom
):
    """Quotes, line breaks in values, stray quotes, blank and ragged lines: same rows, same order, same errors."""
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    data = (b"\xef\xbb\xbf" if bom else b"") + data
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    expected = whole_file(data)
    if not expected:
        with pytest.raises(LabelError, match="is empty"):
            CsvReader(path, chunk_rows)
        return
    try:
        columns, chunks, counts = read_in_blocks(path, chunk_rows)
    except LabelError as err:
        assert "header opens a quoted value" in str(err) and len(expected) == 1  # it took the whole file
        return
    _, whole_errors = readers.parse_records(data.decode("utf-8-sig", "surrogateescape"), path)
    flagged = (whole_errors or [None] * len(expected))[1:]  # rows whose malformed quote joined lines
    want = rows_chunk(expected[1:], columns, "utf-8", flagged) if len(expected) > 1 else None
    assert columns == [readers._fix_text(c) for c in expected[0]]
    assert sum(counts) == len(expected) - 1
    assert all(n == chunk_rows for n in counts[:-1]) and all(0 < n <= chunk_rows for n in counts)
    got_rows = [row for chunk in chunks for row in chunk.table.to_pylist()]
    got_errors = [e for chunk in chunks for e in (chunk.read_errors or [None] * chunk.rows)]
    want_errors = (want.read_errors or [None] * want.rows) if want else []
    assert got_rows == (want.table.to_pylist() if want else [])
    if got_errors and (got_errors[-1] or "").startswith("unclosed quote"):
        got_errors, want_errors = got_errors[:-1], want_errors[:-1]  # only the last row can run to the end
    assert got_errors == want_errors


@settings_
@given(text=st.lists(st.sampled_from([*PIECES, "ü", "ß"]), max_size=40).map("".join), chunk_rows=st.integers(1, 4))
@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_other_encodings_cut_on_the_same_record_ends(tmp_path, encoding, text, chunk_rows):
    """A file in UTF-16 (cut after decoding) or Latin-1 (cut as bytes) gives the rows csv reads."""
    text = text.replace("€", "e").replace("\ufeff", "")  # both encodings can write every piece left
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode(encoding))
    expected = whole_file(path.read_bytes(), encoding)
    if not expected:
        return
    try:
        columns, chunks, counts = read_in_blocks(path, chunk_rows, encoding)
    except LabelError as err:
        assert "header opens a quoted value" in str(err) and len(expected) == 1
        return
    assert columns == expected[0]
    assert [row for chunk in chunks for row in chunk.table.to_pylist()] == rows_chunk(
        expected[1:], columns, encoding
    ).table.to_pylist()
    assert sum(counts) == len(expected) - 1


@settings_
@given(data=csv_bytes, limit=st.integers(1, 6), chunk_rows=st.integers(1, 3), read_size=st.integers(1, 5))
@example(data=b"h\r\nab\r\nabcdef\n", limit=3, chunk_rows=1, read_size=3)  # a read ends inside "\r\n"
def test_a_field_over_the_limit_stops_at_the_line_csv_names(tmp_path, monkeypatch, data, limit, chunk_rows, read_size):
    """A value longer than the field limit stops the job with the line csv.reader stops at, cut or not."""
    monkeypatch.setattr(readers, "MAX_FIELD_CHARS", limit)
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    try:
        whole_file(data)
        expected = None
    except csv.Error:
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="surrogateescape", newline="")
        rows = csv.reader(text, strict=False)
        with pytest.raises(csv.Error):
            list(rows)
        expected = rows.line_num
    try:
        reader = CsvReader(path, chunk_rows)
        for block in reader:
            block.parse()
    except LabelError as err:
        if "header opens a quoted value" in str(err):  # refused before any field limit is reached
            return
        if "is empty" in str(err):
            assert expected is None
            return
        assert expected is not None, str(err)
        assert re.search(rf"line {expected}: field larger than field limit \({limit}\)", str(err)), str(err)
        return
    finally:
        csv.field_size_limit(readers.MAX_FIELD_CHARS)
    assert expected is None


def test_an_unclosed_quote_does_not_read_the_rest_of_the_file_into_memory(tmp_path, monkeypatch):
    """A quote left open stops the job once the field passes the limit, not at the end of the file."""
    monkeypatch.setattr(readers, "MAX_FIELD_CHARS", 1000)
    monkeypatch.setattr(records, "READ_SIZE", 100)
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,text\n1,"open\n' + b"2,more text\n" * 10_000)
    reader = CsvReader(path, 10)
    with pytest.raises(LabelError, match=r"line \d+: field larger than field limit.*quote is probably not closed"):
        list(reader)
    assert reader.fraction_done() < 0.1 or reader._raw.closed  # stopped early, file closed
    csv.field_size_limit(readers.MAX_FIELD_CHARS)


@pytest.mark.parametrize("chunk_rows", [1, 7, 5000])
def test_an_unclosed_quote_is_flagged_on_the_row_it_swallows(tmp_path, chunk_rows):
    """1,002 lines with a quote never closed on line 3: its row says so and names the line."""
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,text\n1,fine\n2,"open\n' + b"".join(b"%d,more\n" % i for i in range(3, 1002)))
    _, chunks, counts = read_in_blocks(path, chunk_rows)
    errors = [e for chunk in chunks for e in (chunk.read_errors or [None] * chunk.rows)]
    assert sum(counts) == 2 and errors[0] is None
    assert errors[1].startswith("unclosed quote: a quoted value opens on line 3 and never ends")
    assert "1,000 lines" in errors[1]


@pytest.mark.parametrize("data", [b'id,text\n1,"closed"', b'id,text\n1,"closed"\n', b'id,text\n1,a"b\n'])
def test_a_closed_quote_at_the_end_is_not_flagged(tmp_path, data):
    """A last line without a line end, or a stray quote inside a value, is not an unclosed quote."""
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    _, chunks, _ = read_in_blocks(path, 10)
    assert chunks[0].read_errors is None


def test_leading_blank_lines_come_before_the_header(tmp_path):
    """Blank lines before the header are skipped, as pandas does, not taken as an empty header."""
    path = tmp_path / "in.csv"
    path.write_bytes(b"\r\n\nid,text\n\n1,a\n")
    columns, chunks, counts = read_in_blocks(path, 10)
    assert columns == ["id", "text"] and counts == [1] and chunks[0].table.to_pylist() == [{"id": "1", "text": "a"}]


def test_resume_skips_rows_whatever_the_chunk_size(tmp_path):
    """Skipping n rows lands on row n+1 even across blank lines and values with line breaks."""
    path = tmp_path / "in.csv"
    body = "".join(f'{i},"line\n{i}"\n\n' for i in range(20))
    path.write_text("id,text\n" + body)
    for skip in (0, 1, 7, 19, 20, 25):
        reader = CsvReader(path, 3)
        reader.skip(skip)
        ids = [row["id"] for block in reader for row in block.parse().table.to_pylist()]
        assert ids == [str(i) for i in range(skip, 20)]


@pytest.mark.parametrize(
    ("encoding", "as_bytes"), [("utf-8", True), ("cp1252", True), ("utf-16", False), ("iso2022_jp", False)]
)
def test_only_encodings_whose_line_ends_and_quotes_are_single_bytes_are_cut_as_bytes(encoding, as_bytes):
    """Bytes are cut only where a quote, comma or line end byte can be nothing else."""
    assert records.splits_as_bytes(encoding) is as_bytes
