"""What a worker process does with one chunk: parse it (CSV), score it, join the columns, encode it.

The model is loaded once per process by :func:`init_worker`, the pool's initializer;
the parent only reads, appends and reports.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from labelling.readers import Chunk, CsvBlock
from labelling.scoring import Scorer
from labelling.writers import encode_chunk

EXAMPLES = 5  # rows with errors named in the summary


@dataclass(frozen=True)
class JobSpec:
    """How every chunk of a job is labelled and written; sent to each worker once."""

    model_dir: str
    text_column: str
    id_column: str | None = None
    explain: bool = False
    prefix: str = ""
    out_format: str = "csv"
    gz: bool = False


@dataclass
class ChunkResult:
    """An encoded chunk and what the summary needs to know about it."""

    data: bytes
    rows: int
    labels: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    examples: list[tuple[int, str | None, str]] = field(default_factory=list)  # (row in chunk, id, error)


class ChunkLabeller:
    """Labels chunks for one job with one loaded model."""

    def __init__(self, spec: JobSpec, scorer: Scorer):
        self.spec = spec
        self.scorer = scorer

    @classmethod
    def load(cls, spec: JobSpec) -> ChunkLabeller:
        """Load the model of ``spec`` (checked as the service checks it) and build the labeller."""
        from classifier.persist import load_model

        model, meta = load_model(spec.model_dir)
        return cls(spec, Scorer(model, str(meta.get("model_version", "unknown")), spec.explain, spec.prefix))

    def __call__(self, chunk: Chunk | CsvBlock, header: bool) -> ChunkResult:
        if isinstance(chunk, CsvBlock):
            chunk = chunk.parse()
        spec, table = self.spec, chunk.table
        scores = self.scorer.score(table.column(spec.text_column), chunk.read_errors)
        out = pa.Table.from_arrays([*table.columns, *scores.columns], schema=pa.schema([*table.schema, *scores.schema]))
        result = ChunkResult(encode_chunk(out, spec.out_format, spec.gz, header), table.num_rows)
        label, error = scores.column(spec.prefix + "label"), scores.column(spec.prefix + "error")
        result.labels.update(
            {str(v["values"]): int(v["counts"]) for v in pc.value_counts(label.drop_null()).to_pylist()}
        )
        if error.null_count < len(error):
            messages = error.to_pylist()
            result.errors.update(m.split(":")[0] for m in messages if m)
            ids = table.column(spec.id_column).to_pylist() if spec.id_column else None
            for i, m in enumerate(messages):
                if m and len(result.examples) < EXAMPLES:
                    result.examples.append((i, None if ids is None else str(ids[i]), m))
        return result


_LABELLER: ChunkLabeller | None = None


def init_worker(spec: JobSpec, parent: int) -> None:
    """Pool initializer: load the model once for this process.

    Ctrl-C is left to the parent, which stops handing out chunks and keeps what is
    finished for ``--resume``; a worker killed mid-chunk would break the pool instead.
    """
    global _LABELLER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _LABELLER = ChunkLabeller.load(spec)


def _exit_with_parent(parent: int) -> None:
    # A worker whose parent was killed (kill -9, out of memory) would otherwise wait for ever
    # on a full result pipe, holding its memory.
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def label_chunk(chunk: Chunk | CsvBlock, header: bool) -> ChunkResult:
    """Label one chunk in a pool process set up by :func:`init_worker`."""
    return _LABELLER(chunk, header)
