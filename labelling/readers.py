"""Reading input files in chunks: CSV (optionally gzip) and Parquet, chosen by extension.

A CSV file is read with the standard library's C parser, every value as text, so
that what is written back is what was read ("007" stays "007"). Rows that the parser
cannot take as they are keep their place and carry a read error instead:

- a ragged line (more or fewer fields than the header): missing fields are empty,
  extra fields are joined with commas into the last column, so no value is lost;
- bytes that do not decode in the file's encoding: shown as U+FFFD.

Lines with no characters at all are not rows, as in pandas.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from labelling.errors import LabelError

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


class CsvReader:
    """Reads a CSV or gzip CSV file in chunks of rows; ``columns`` is the header.

    Parameters
    ----------
    path : path
        The file; ``.gz`` files are decompressed as they are read.
    chunk_rows : int
        Rows per chunk.
    encoding : str
        The file's text encoding; a UTF-8 byte order mark is dropped.
    """

    def __init__(self, path: str | Path, chunk_rows: int = 2000, encoding: str = "utf-8"):
        self.path = Path(path)
        self.chunk_rows = chunk_rows
        self.encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        self._raw = open(self.path, "rb")
        self._size = os.fstat(self._raw.fileno()).st_size
        binary = gzip.GzipFile(fileobj=self._raw) if self.path.name.lower().endswith(".gz") else self._raw
        text = io.TextIOWrapper(binary, encoding=self.encoding, errors="surrogateescape", newline="")
        csv.field_size_limit(MAX_FIELD_CHARS)
        self._rows = csv.reader(text, strict=False)
        try:
            self.columns = next(self._rows)
        except StopIteration:
            self.close()
            raise LabelError(f"{self.path} is empty: a CSV file needs a header line naming its columns") from None
        except (csv.Error, EOFError, OSError) as err:
            self.close()
            raise LabelError(f"cannot read {self.path} as CSV: {err}") from None
        self.columns = [_fix_text(c) for c in self.columns]

    def fraction_done(self) -> float:
        """How far through the file reading has got, from 0 to 1."""
        if self._raw.closed or not self._size:
            return 1.0
        return self._raw.tell() / self._size

    def skip(self, rows: int) -> None:
        """Pass over the next ``rows`` rows (used when resuming)."""
        while rows > 0:
            got, done = self._next_rows(min(rows, self.chunk_rows))
            rows -= len(got)
            if done:
                return

    def _next_rows(self, n: int) -> tuple[list[list[str]], bool]:
        # Up to n rows without the blank lines, and whether the file has ended.
        try:
            rows = list(itertools.islice(self._rows, n))
        except csv.Error as err:
            raise LabelError(f"{self.path} line {self._rows.line_num}: {err}; a quote is probably not closed") from None
        except (EOFError, gzip.BadGzipFile) as err:
            raise LabelError(f"{self.path} is not a complete gzip file ({err})") from None
        done = len(rows) < n
        return (rows if all(rows) else [r for r in rows if r]), done

    def __iter__(self) -> Iterator[Chunk]:
        try:
            while True:
                rows, done = self._next_rows(self.chunk_rows)
                if rows:
                    yield self._chunk(rows)
                if done:
                    return
        finally:
            self.close()

    def _chunk(self, rows: list[list[str]]) -> Chunk:
        width = len(self.columns)
        errors: list[str | None] | None = None
        if set(map(len, rows)) != {width}:
            errors = [None] * len(rows)
            for i, row in enumerate(rows):
                if len(row) != width:
                    errors[i] = f"ragged line: {len(row)} fields where the header has {width}"
                    rows[i] = fit_fields(row, width)
        columns = list(zip(*rows)) or [()] * width
        arrays, errors = text_columns(self.columns, columns, errors, self.encoding)
        return Chunk(pa.Table.from_arrays(arrays, names=self.columns), errors)

    def close(self) -> None:
        self._raw.close()


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
