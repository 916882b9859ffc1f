"""The local engine: stream a file through a pool of worker processes, in order, resumably.

One process cuts the input into chunks and appends finished ones; ``workers`` processes,
each with the model loaded once, parse (CSV), label and encode them. At most two chunks per worker are in
flight, so memory stays flat however large the file is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import multiprocessing
import os
import shutil
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from labelling import checkpoint
from labelling.adapting import SUGGEST_FROM_ROWS, SUGGESTION, adapted_model
from labelling.errors import LabelError
from labelling.lock import job_lock
from labelling.progress import Progress
from labelling.readers import Chunk, CsvBlock, file_format, open_reader
from labelling.scoring import check_columns, check_input_types
from labelling.worker import ChunkLabeller, ChunkResult, JobSpec, init_worker, label_chunk
from labelling.writers import check_output_path, open_sink


@dataclass
class LabelSummary:
    """What a finished job did."""

    output: Path
    rows: int
    labels: dict[str, int]
    errors: dict[str, int]
    seconds: float
    resumed_rows: int = 0
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what --adapt did, or a word about it

    @property
    def error_rows(self) -> int:
        return sum(self.errors.values())

    def __str__(self) -> str:
        rate = (self.rows - self.resumed_rows) / self.seconds if self.seconds else 0.0
        lines = [f"labelled {self.rows:,} rows into {self.output} in {self.seconds:.1f} s ({rate:,.0f} rows/s)"]
        if self.resumed_rows:
            lines[0] += f", {self.resumed_rows:,} of them in an earlier run"
        lines.append("  labels: " + (", ".join(f"{k} {v:,}" for k, v in sorted(self.labels.items())) or "none"))
        kinds = ", ".join(f"{k} {v:,}" for k, v in Counter(self.errors).most_common())
        lines.append(f"  errors: {self.error_rows:,}" + (f" ({kinds})" if kinds else ""))
        lines += [f"    {e}" for e in self.examples]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def one_job_per_output(func: Callable[..., LabelSummary]) -> Callable[..., LabelSummary]:
    """Run a labelling function holding the output's lock, after checking that the output can be written."""

    # A Dask job writes a folder of parts unless it writes a single file.
    single = inspect.signature(func).parameters.get("single_file")
    single_default = True if single is None else single.default

    @functools.wraps(func)
    def wrapper(input: str | Path, output: str | Path, **options) -> LabelSummary:
        output = Path(output)
        check_output_path(output, folder_ok=not options.get("single_file", single_default))
        output.parent.mkdir(parents=True, exist_ok=True)
        with job_lock(output):
            return func(input, output, **options)

    return wrapper


@one_job_per_output
def label_file(
    input: str | Path,
    output: str | Path,
    *,
    text_column: str,
    id_column: str | None = None,
    model_dir: str | Path = "models",
    workers: int | None = None,
    explain: bool = False,
    adapt: bool = False,
    resume: bool = False,
    restart: bool = False,
    chunk_rows: int = 2000,
    encoding: str = "utf-8",
    prefix: str = "",
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> LabelSummary:
    """Label every row of a CSV or Parquet file and write it, with the appended columns, to ``output``.

    Parameters
    ----------
    input, output : path
        ``.csv``, ``.csv.gz`` or ``.parquet``; the formats may differ.
    text_column : str
        The column holding the posting or resume text.
    id_column : str or None
        A column that names rows in the summary's examples of errors.
    model_dir : path
        A models folder (its current model is used) or one model folder.
    workers : int or None
        Processes that label; ``None`` uses every core, ``0`` labels in this process.
    explain : bool
        Also write ``evidence`` and ``top_features``.
    adapt : bool
        First adapt the model to a sample of the input's texts (:mod:`labelling.adapting`)
        and label with the adapted model; the summary says what it changed, or why the
        base model was kept.
    resume : bool
        Continue an interrupted run of the same job from its last finished chunk.
    restart : bool
        Discard what an interrupted run left and start over. With neither this nor
        ``resume``, such leftovers stop the job with a LabelError.
    chunk_rows : int
        Rows per chunk: the unit of work, of memory and of resuming.
    encoding : str
        Text encoding of a CSV input.
    prefix : str
        Put before each appended column name, for inputs that already have them.
    progress : Progress or None
        Where progress goes (by default standard error, live on a terminal).
    log : callable or None
        Receives notes such as "resuming after N rows" (by default standard error).

    Returns
    -------
    LabelSummary
        Rows, labels and errors counted, and the time taken.

    Raises
    ------
    LabelError
        Before any row is written, when the job cannot run: a missing column, an unknown
        format, a resume of a different job.
    """
    started = time.monotonic()
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    input, output = Path(input), Path(output)
    out_format = file_format(output)
    if output.resolve() == input.resolve():
        raise LabelError(f"the output {output} is the input: write the labelled rows to another file")
    if chunk_rows < 1:
        raise LabelError("--chunk-rows must be at least 1")
    workers = default_workers() if workers is None else workers
    if workers < 0:
        raise LabelError("--workers must be 0 (this process) or more")

    from classifier.persist import check_model

    # Checked here, loaded only where it labels: this process reads and writes.
    model_folder, meta = check_model(model_dir)
    classes = meta["labels"]
    version = str(meta.get("model_version", "unknown"))
    reader = open_reader(input, chunk_rows, encoding)
    try:
        check_columns(input, reader.columns, text_column, id_column, classes, explain, prefix)
        if hasattr(reader, "schema"):
            check_input_types(input, reader.schema, text_column, out_format)
        spec = JobSpec(
            str(model_folder), text_column, id_column, explain, prefix, out_format, output.name.lower().endswith(".gz")
        )
        identity = checkpoint.job_identity(
            input,
            text_column=text_column,
            explain=explain,
            prefix=prefix,
            encoding=encoding,
            model_version=version,
            output=str(output.resolve()),
            adapt=adapt,
        )
        workdir = checkpoint.workdir_for(output)
        state, resumed = checkpoint.start(workdir, identity, resume, log, restart)
        notes = []
        if adapt:
            folder, note = adapted_model(input, text_column, encoding, model_folder, workdir, resumed, log)
            spec, notes = dataclasses.replace(spec, model_dir=str(folder)), [note]
        resumed_rows = state.rows_done
        reader.skip(state.rows_done)
        sink = open_sink(output, workdir, out_format, state.position if resumed else None)
    except BaseException:
        reader.close()
        raise

    progress = progress or Progress()
    progress.begin(reader.fraction_done())
    labels, errors, examples = Counter(state.labels), Counter(state.errors), []
    chunks = _numbered(reader, start=state.rows_done)
    labeller = ChunkLabeller.load(spec) if workers == 0 else None
    # Closed in the finally below, not when garbage-collected: on Ctrl-C the traceback keeps
    # this frame alive, and a pool left open then hangs the interpreter's exit.
    results = _in_order(chunks, workers, spec, labeller, header=not resumed)
    try:
        for start, result in results:
            with _writing(workdir):
                state.position = sink.write(result.data)
            state.rows_done += result.rows
            state.chunks_done += 1
            labels.update(result.labels)
            errors.update(result.errors)
            state.labels, state.errors = dict(labels), dict(errors)
            with _writing(workdir):
                state.save(workdir)
            examples += [
                f"row {start + i + 1:,}{f' ({id_column} {ident})' if id_column else ''}: {message}"
                for i, ident, message in result.examples
            ][: 5 - len(examples)]
            progress.update(state.rows_done, state.rows_done - resumed_rows, reader.fraction_done())
        if state.chunks_done == 0:
            # No rows: still write the header (CSV) or the schema (Parquet).
            empty = (
                reader.schema.empty_table()
                if hasattr(reader, "schema")
                else pa.table({c: pa.array([], pa.string()) for c in reader.columns})
            )
            labeller = labeller or ChunkLabeller.load(spec)
            state.position = sink.write(labeller(Chunk(empty, None), header=True).data)
        with _writing(workdir):
            sink.finish()
    finally:
        results.close()
        progress.close()
        sink.close()
        reader.close()
    shutil.rmtree(workdir, ignore_errors=True)
    if not adapt and state.rows_done >= SUGGEST_FROM_ROWS:
        notes.append(SUGGESTION)
    return LabelSummary(
        output, state.rows_done, dict(labels), dict(errors), time.monotonic() - started, resumed_rows, examples, notes
    )


@contextlib.contextmanager
def _writing(workdir: Path) -> Iterator[None]:
    """Turn a failed write (a full disk, say) into a LabelError that says how to go on."""
    try:
        yield
    except OSError as err:
        raise LabelError(
            f"cannot write to {workdir}: {err.strerror or err}; the chunks labelled so far are kept there: "
            "free some space (or fix the folder), then run the same command with --resume"
        ) from None


def _numbered(chunks: Iterable[Chunk | CsvBlock], start: int) -> Iterator[tuple[int, Chunk | CsvBlock]]:
    for chunk in chunks:
        yield start, chunk
        start += chunk.rows


def _in_order(
    chunks: Iterator[tuple[int, Chunk | CsvBlock]],
    workers: int,
    spec: JobSpec,
    labeller: ChunkLabeller | None,
    header: bool,
) -> Iterator[tuple[int, ChunkResult]]:
    """Label chunks on ``workers`` processes (or in this one), yielding results in input order."""
    if labeller is not None:
        for i, (start, chunk) in enumerate(chunks):
            yield start, labeller(chunk, header and i == 0)
        return
    # spawn, not fork: the parent may hold threads (pyarrow), which fork does not copy safely.
    pool = ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"), init_worker, (spec, os.getpid()))
    pending: deque = deque()
    try:
        for i, (start, chunk) in enumerate(chunks):
            pending.append((start, pool.submit(label_chunk, chunk, header and i == 0)))
            if len(pending) >= 2 * workers:
                start, future = pending.popleft()
                yield start, future.result()
        while pending:
            start, future = pending.popleft()
            yield start, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
