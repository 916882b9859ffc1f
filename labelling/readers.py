"""Reading input files in chunks: CSV (optionally gzip) and Parquet, chosen by extension.

A CSV file is parsed with the standard library's C parser, every value as text, so
that what is written back is what was read ("007" stays "007"). The reading process only
cuts the file into runs of whole records (:mod:`labelling.records`); each run is parsed
by :meth:`CsvBlock.parse` in the worker that labels it. Rows that the parser cannot
take as they are keep their place and carry a read error instead:

- a ragged line (more or fewer fields than the header): missing fields are empty,
  extra fields are joined with commas into the last column, so no value is lost;
- bytes that do not decode in the file's encoding: shown as U+FFFD;
- a quoted value never closed: csv reads the rest of the file into it, so that row says
  on which line the quote opened;
- a quoted value that spans lines and closes before its field ends (``"a\n3,"b"``): csv
  reads the lines it spans as one row, so that row says which lines it holds and is not
  labelled. A value over several lines that is well-formed CSV is one row, as csv reads it,
  even where a stray quote made it (``"a\n3,b"`` then a line end): that cannot be told apart.

Lines with no characters at all are not rows, as in pandas.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from labelling.errors import LabelError
from labelling.records import RecordSplitter, count_lines, splits_as_bytes

# A quoted field longer than this is almost always an unbalanced quote eating the file.
MAX_FIELD_CHARS = 1 << 26


def file_format(path: str | Path) -> str:
    """``"csv"`` or ``"parquet"`` from the file name (``.csv``, ``.csv.gz``, ``.parquet``, ``.pq``).

    >>> file_format("jobs.csv.gz"), file_format("out/jobs.parquet")
    ('csv', 'parquet')
    """
    name = Path(path).name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise LabelError(f"cannot tell the format of {path} from its name: use a file ending in .csv, .csv.gz or .parquet")


@dataclass
class Chunk:
    """Consecutive rows of the input, every column as read, and what went wrong reading each row."""

    table: pa.Table
    read_errors: list[str | None] | None  # None when every row read cleanly

    @property
    def rows(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True)
class CsvLayout:
    """What parsing a run of records of one CSV file needs besides the records."""

    path: str
    columns: list[str]
    encoding: str  # of the records after the header (a byte order mark is only at the start)


@dataclass
class CsvBlock:
    """Whole records of a CSV file, as bytes (or text) not yet parsed, and how many rows they hold."""

    data: bytes | str
    rows: int
    first_line: int  # lines of the file before these records
    layout: CsvLayout
    open_quote: int | None = None  # line ends before the last record, when its quote is never closed

    def parse(self) -> Chunk:
        """The rows of these records, parsed as the header was; LabelError for an unreadable record."""
        layout = self.layout
        text = self.data if isinstance(self.data, str) else self.data.decode(layout.encoding, "surrogateescape")
        rows, errors = parse_records(text, layout.path, self.first_line)
        if len(rows) != self.rows:  # the split and csv disagree: never number rows wrongly
            raise RuntimeError(f"{layout.path} line {self.first_line + 1}: {self.rows} rows cut, {len(rows)} parsed")
        if self.open_quote is not None and rows:
            errors = errors or [None] * len(rows)
            errors[-1] = unclosed_quote(self.first_line + self.open_quote + 1, count_lines(self.data) - self.open_quote)
        return rows_chunk(rows, layout.columns, layout.encoding, errors)


def unclosed_quote(line: int, lines: int) -> str:
    """The error of the row that an unclosed quote on ``line`` ran to the end of the file.

    >>> unclosed_quote(3, 1000)[:62]
    'unclosed quote: a quoted value opens on line 3 and never ends,'
    """
    return (
        f"unclosed quote: a quoted value opens on line {line} and never ends, so this row holds the "
        f"{lines:,} lines to the end of the file; close the quote (or double a quote inside a value) and label again"
    )


def malformed_quote(first: int, last: int) -> str:
    """The error of a row read from lines ``first`` to ``last`` whose quoted value closes before its field ends.

    >>> malformed_quote(2, 3)[:58]
    'malformed quote: a quoted value on lines 2-3 closes before'
    """
    return (
        f"malformed quote: a quoted value on lines {first}-{last} closes before its field ends, so csv read "
        "these lines as one row and they may hold several; double each quote inside a value (or close the "
        "quote where the value ends) and label again"
    )


def parse_records(text: str, path: str | Path, first_line: int = 0) -> tuple[list[list[str]], list[str | None] | None]:
    """The rows of CSV ``text`` (as :func:`parse_rows`), and the errors of rows that span lines of malformed CSV
    (None when there are none).

    Well-formed text is parsed once, strictly. Otherwise each row is read leniently, as
    :func:`parse_rows` reads it, and a row of several lines that is not well-formed CSV on its own
    gets :func:`malformed_quote`: a quote that closed a value early has joined lines, maybe several
    rows, into it. A malformed row of one line (``"a" b``) is read as csv reads it.
    """
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row], None
    except csv.Error:
        pass
    held: list[str] = []  # the lines of the row being read, and only those

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            held.append(line)
            yield line

    records = csv.reader(lines(), strict=False)
    rows: list[list[str]] = []
    errors: list[str | None] = []
    start = first_line
    try:
        for row in records:
            span, end = held[:], start + len(held)
            held.clear()
            if row:
                rows.append(row)
                joined = len(span) > 1 and not _well_formed(span)
                errors.append(malformed_quote(start + 1, end) if joined else None)
            start = end
    except csv.Error as err:
        raise _unreadable(path, first_line + records.line_num, err) from None
    return rows, errors if any(errors) else None


def _well_formed(lines: list[str]) -> bool:
    try:
        for _ in csv.reader(lines, strict=True):
            pass
    except csv.Error:
        return False
    return True


def parse_rows(text: str, path: str | Path, first_line: int = 0) -> list[list[str]]:
    """The rows (blank lines left out) of CSV ``text`` that starts after ``first_line`` lines of ``path``."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    rows = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        return [row for row in rows if row]
    except csv.Error as err:
        raise _unreadable(path, first_line + rows.line_num, err) from None


def _unreadable(path: str | Path, line: int, err: csv.Error) -> LabelError:
    return LabelError(f"{path} line {line}: {err}; a quote is probably not closed")


def rows_chunk(rows: list[list[str]], names: list[str], encoding: str, errors: list[str | None] | None = None) -> Chunk:
    """Parsed rows as a chunk of text columns, ragged rows fitted to the header and marked.

    ``errors`` (one entry a row, or None) holds what was already found wrong with rows.
    """
    width = len(names)
    if set(map(len, rows)) != {width}:
        errors = errors or [None] * len(rows)
        for i, row in enumerate(rows):
            if len(row) != width:
                errors[i] = errors[i] or f"ragged line: {len(row)} fields where the header has {width}"
                rows[i] = fit_fields(row, width)
    columns = list(zip(*rows)) or [()] * width
    arrays, errors = text_columns(names, columns, errors, encoding)
    return Chunk(pa.Table.from_arrays(arrays, names=names), errors)


class CsvReader:
    """Cuts a CSV or gzip CSV file into blocks of whole records; ``columns`` is the header.

    Parameters
    ----------
    path : path
        The file; ``.gz`` files are decompressed as they are read.
    chunk_rows : int
        Rows per block.
    encoding : str
        The file's text encoding; a UTF-8 byte order mark is dropped.
    """

    def __init__(self, path: str | Path, chunk_rows: int = 2000, encoding: str = "utf-8"):
        self.path = Path(path)
        self.chunk_rows = chunk_rows
        self.encoding = "utf-8-sig" if check_encoding(encoding) == "utf-8" else encoding
        self._raw = open(self.path, "rb")
        self._size = os.fstat(self._raw.fileno()).st_size
        binary = gzip.GzipFile(fileobj=self._raw) if self.path.name.lower().endswith(".gz") else self._raw
        try:
            if splits_as_bytes(self.encoding):
                start = binary.read(len(codecs.BOM_UTF8))
                bom = self.encoding == "utf-8-sig" and start == codecs.BOM_UTF8
                if bom:
                    start = b""
                # Without its byte order mark the file is plain UTF-8, a mark further on a character.
                self._decode: str | None = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
                self._records = RecordSplitter(binary, self._check_unfinished, MAX_FIELD_CHARS, start)
                self._bom = len(codecs.BOM_UTF8) if bom else 0
            else:
                text = io.TextIOWrapper(binary, encoding=self.encoding, errors="surrogateescape", newline="")
                self._decode = None
                self._records = RecordSplitter(text, self._check_unfinished, MAX_FIELD_CHARS)
            self._lines = 0  # line ends before the next record, for error messages
            header = self._take(1, "header")
            if header.open_quote is not None:
                raise LabelError(f"{self.path} line 1: the header opens a quoted value that never ends: close it")
            rows = parse_rows(self._text(header.data), self.path)
        except LabelError:
            self.close()
            raise
        except (csv.Error, EOFError, OSError) as err:
            self.close()
            raise LabelError(f"cannot read {self.path} as CSV: {err}") from None
        if not rows:
            self.close()
            raise LabelError(f"{self.path} is empty: a CSV file needs a header line naming its columns")
        self.columns = [_fix_text(c) for c in rows[0]]
        self.layout = CsvLayout(str(self.path), self.columns, self._decode or self.encoding)
        # Where the records after the header start in the file, when blocks can be read back by offset.
        gz = binary is not self._raw
        self.data_start = None if gz or self._decode is None else self._bom + len(header.data)

    def _text(self, data: bytes | str, final: bool = True) -> str:
        if self._decode is None:
            return data
        # Not final: bytes of a character cut off at the end wait for the rest instead of becoming U+FFFD.
        return codecs.getincrementaldecoder(self._decode)("surrogateescape").decode(data, final)

    def _take(self, rows: int, what: str = "rows"):
        try:
            records = self._records.take(rows)
        except (EOFError, gzip.BadGzipFile) as err:
            if what == "header":
                raise
            raise LabelError(f"{self.path} is not a complete gzip file ({err})") from None
        self._lines += records.lines
        return records

    def _check_unfinished(self, pending: bytes | str) -> None:
        # A record unfinished after this much reading is an open quote: parse it to hit csv's field limit.
        parse_rows(self._text(pending, final=False), self.path, self._lines)

    def fraction_done(self) -> float:
        """How far through the file reading has got, from 0 to 1."""
        if self._raw.closed or not self._size:
            return 1.0
        return self._raw.tell() / self._size

    def skip(self, rows: int) -> None:
        """Pass over the next ``rows`` rows (used when resuming)."""
        while rows > 0:
            got = self._take(min(rows, self.chunk_rows)).rows
            if got == 0:
                return
            rows -= got

    def __iter__(self) -> Iterator[CsvBlock]:
        try:
            while True:
                first_line, wanted = self._lines, self.chunk_rows  # a caller may change chunk_rows between blocks
                records = self._take(wanted)
                if records.rows:
                    yield CsvBlock(records.data, records.rows, first_line, self.layout, records.open_quote)
                if records.rows < wanted:
                    return
        finally:
            self.close()

    def close(self) -> None:
        self._raw.close()


@dataclass(frozen=True)
class CsvRange:
    """Whole records of a CSV file by byte offsets, so that another process can read them back."""

    start: int
    end: int
    rows: int
    first_line: int
    open_quote: int | None = None

    def read(self, layout: CsvLayout) -> CsvBlock:
        """The records of this range, read from the file ``layout`` names."""
        with open(layout.path, "rb") as f:
            f.seek(self.start)
            data = f.read(self.end - self.start)
        return CsvBlock(data, self.rows, self.first_line, layout, self.open_quote)


def csv_ranges(path: str | Path, blocksize: int | None, encoding: str = "utf-8") -> tuple[CsvLayout, list[CsvRange]]:
    """The header of a CSV file and its records cut into runs of about ``blocksize`` bytes.

    The file is read once to find where records end, quoted line breaks included, so that
    no range starts inside a value. A gzip file, an encoding whose records are found only
    after decoding, or no ``blocksize`` give no ranges: the file is then read whole.
    """
    reader = CsvReader(path, 1, encoding)
    if reader.data_start is None or not blocksize:
        reader.close()
        return reader.layout, []
    ranges: list[CsvRange] = []
    start = end = reader.data_start
    rows, first, seen = 0, 0, 0
    for block in reader:
        if not rows:
            first = block.first_line
        end += len(block.data)
        rows += block.rows
        seen += block.rows
        # Steps of about a quarter of a range, judged from the rows so far: few calls, ranges near blocksize.
        reader.chunk_rows = max(1, min(4096, blocksize * seen // (4 * (end - reader.data_start) or 1)))
        if end - start >= blocksize or block.open_quote is not None:
            opened = None if block.open_quote is None else block.first_line + block.open_quote - first
            ranges.append(CsvRange(start, end, rows, first, opened))
            start, rows = end, 0
    if rows:
        ranges.append(CsvRange(start, end, rows, first))
    return reader.layout, ranges


def check_encoding(encoding: str) -> str:
    """The codec name of ``encoding``; LabelError naming some that exist when Python has no such codec.

    >>> check_encoding("UTF8"), check_encoding("latin-1")
    ('utf-8', 'iso8859-1')
    """
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise LabelError(
            f"unknown encoding {encoding!r}: pass --encoding with a Python codec name, such as utf-8, cp1252 or latin-1"
        ) from None


def fit_fields(row: list[str], width: int) -> list[str]:
    """A ragged row made ``width`` long, keeping every value: a short row is padded with empty
    fields, the extra fields of a long one are joined with commas into its last column.

    >>> fit_fields(["1", "a"], 3), fit_fields(["1", "a", "b", "c"], 3)
    (['1', 'a', ''], ['1', 'a', 'b,c'])
    """
    if len(row) < width:
        return row + [""] * (width - len(row))
    return row[: width - 1] + [",".join(row[width - 1 :])]


def _fix_text(value: str) -> str:
    # Undecodable bytes arrive as lone surrogates (surrogateescape); show them as U+FFFD.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def text_columns(
    names: list[str], columns: list, errors: list[str | None] | None, encoding: str
) -> tuple[list[pa.Array], list[str | None] | None]:
    """Columns of decoded values as arrow strings, with U+FFFD for undecodable bytes.

    ``errors`` (one entry a row, or None) gains an error for each row that had such bytes.
    """
    arrays = []
    for name, values in zip(names, columns):
        try:
            arrays.append(pa.array(values, pa.string(), from_pandas=True))
        except (UnicodeEncodeError, pa.ArrowException):
            errors = errors or [None] * len(values)
            arrays.append(pa.array(_undecodable(values, name, errors, encoding), pa.string(), from_pandas=True))
    return arrays, errors


def _undecodable(values, column: str, errors: list[str | None], encoding: str) -> list[str]:
    fixed = list(values)
    for i, value in enumerate(values):
        try:
            value.encode("utf-8") if isinstance(value, str) else None
        except UnicodeEncodeError:
            fixed[i] = _fix_text(value)
            if errors[i] is None:
                errors[i] = (
                    f"undecodable bytes: column {column!r} is not {encoding.removesuffix('-sig')} here "
                    "(shown as U+FFFD); if the file has another encoding, pass --encoding"
                )
    return fixed


class ParquetReader:
    """Reads a Parquet file in chunks of rows, keeping each column's type."""

    def __init__(self, path: str | Path, chunk_rows: int = 2000):
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.chunk_rows = chunk_rows
        try:
            self._file = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as err:
            raise LabelError(f"cannot read {self.path} as Parquet: {err}") from None
        self.columns = list(self._file.schema_arrow.names)
        self.schema = self._file.schema_arrow
        self._total = self._file.metadata.num_rows
        self._done = 0
        self._skip = 0

    def fraction_done(self) -> float:
        """How far through the file reading has got, from 0 to 1."""
        return self._done / self._total if self._total else 1.0

    def skip(self, rows: int) -> None:
        """Pass over the first ``rows`` rows (used when resuming, before iterating)."""
        self._skip = rows

    def __iter__(self) -> Iterator[Chunk]:
        skip = self._skip
        for batch in self._file.iter_batches(batch_size=self.chunk_rows, use_threads=False):
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                self._done += batch.num_rows
                continue
            batch, skip = batch.slice(skip), 0
            self._done += batch.num_rows
            yield Chunk(pa.Table.from_batches([batch]), None)
        self.close()

    def close(self) -> None:
        self._file.close()


def open_reader(path: str | Path, chunk_rows: int = 2000, encoding: str = "utf-8") -> CsvReader | ParquetReader:
    """A chunked reader for ``path``, by its extension; LabelError when it cannot be read."""
    path = Path(path)
    kind = file_format(path)
    if not path.is_file():
        raise LabelError(f"input file {path} does not exist")
    if kind == "parquet":
        return ParquetReader(path, chunk_rows)
    return CsvReader(path, chunk_rows, encoding)
