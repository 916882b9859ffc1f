"""Writing labelled chunks: encoded where the work is done, appended in order to a partial output.

Workers turn a labelled chunk into bytes (CSV, gzip members, or a Parquet file of
its own) so that the process that writes does little more than append. Everything
goes into ``OUTPUT.partial/``; only :meth:`finish` puts a file at the output path,
in one rename, so an interrupted job never leaves a file that looks finished.
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from labelling.errors import LabelError


def encode_chunk(table: pa.Table, out_format: str, gz: bool, header: bool) -> bytes:
    """A labelled chunk as the bytes the output file holds for it.

    CSV chunks of a ``.gz`` output are each a complete gzip member: members
    concatenate into one valid gzip file, so a resumed job can append to it.
    """
    buf = io.BytesIO()
    if out_format == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, buf)
        return buf.getvalue()
    try:
        pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=header, quoting_style="needed"))
    except pa.ArrowNotImplementedError as err:
        raise LabelError(f"a column of this input cannot be written as CSV ({err}): write Parquet instead") from None
    data = buf.getvalue()
    return gzip.compress(data, compresslevel=6, mtime=0) if gz else data


class CsvSink:
    """Appends encoded chunks to ``workdir/data.csv[.gz]``; can reopen at a recorded size."""

    def __init__(self, output: Path, workdir: Path, resume_at: int | None = None):
        self.output = output
        self.data = workdir / ("data.csv.gz" if output.name.lower().endswith(".gz") else "data.csv")
        if resume_at is None:
            self._file = open(self.data, "wb")
        else:
            self._file = open(self.data, "r+b")
            self._file.truncate(resume_at)  # drop a chunk that was half written when the job stopped
            self._file.seek(resume_at)

    def write(self, data: bytes) -> int:
        """Append one chunk; returns the size of the data file, which a resume truncates to."""
        self._file.write(data)
        self._file.flush()
        return self._file.tell()

    def finish(self) -> None:
        self._file.close()
        os.replace(self.data, self.output)

    def close(self) -> None:
        self._file.close()


class ParquetSink:
    """Keeps each encoded chunk as ``workdir/part-NNNNNN.parquet``, merged in order by :meth:`finish`.

    A Parquet file is only readable once its footer is written, so a resumable job
    keeps finished parts and joins them at the end, one part in memory at a time.
    """

    def __init__(self, output: Path, workdir: Path, resume_at: int | None = None):
        self.output = output
        self.workdir = workdir
        self.parts = resume_at or 0
        for stale in workdir.glob("part-*.parquet"):
            # Parts past the last recorded one were written after the last checkpoint.
            if int(stale.stem.split("-")[1]) >= self.parts:
                stale.unlink()

    def write(self, data: bytes) -> int:
        """Store one chunk as the next part; returns how many parts are stored."""
        part = self.workdir / f"part-{self.parts:06d}.parquet"
        tmp = part.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, part)
        self.parts += 1
        return self.parts

    def finish(self) -> None:
        merged = self.workdir / "data.parquet"
        merge_parquet([self.workdir / f"part-{i:06d}.parquet" for i in range(self.parts)], merged)
        os.replace(merged, self.output)

    def close(self) -> None:
        pass


def merge_parquet(parts: list[Path], dest: Path) -> None:
    """Join Parquet files, in order, into one; one part in memory at a time."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for part in parts:
            table = pq.read_table(part)
            if writer is None:
                writer = pq.ParquetWriter(dest, table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise LabelError("there are no rows to write")


def check_output_path(output: Path, folder_ok: bool = False) -> None:
    """Stop before any work when ``output`` is a folder (unless ``folder_ok``) or its partial folder is not one."""
    if output.is_dir() and not folder_ok:
        raise LabelError(
            f"the output {output} is a folder: give a file name ending in .csv, .csv.gz or .parquet, "
            f"such as {output / 'labelled.csv'}"
        )
    partial = output.with_name(output.name + ".partial")
    if partial.is_symlink() or (partial.exists() and not partial.is_dir()):
        what = "a link" if partial.is_symlink() else "a file"
        raise LabelError(
            f"{partial} is {what}, not the folder an interrupted job leaves: move or delete it, then run again"
        )


def open_sink(output: Path, workdir: Path, out_format: str, resume_at: int | None = None) -> CsvSink | ParquetSink:
    """The sink for ``output``'s format, fresh or reopened at ``resume_at``."""
    sink = ParquetSink if out_format == "parquet" else CsvSink
    return sink(output, workdir, resume_at)
