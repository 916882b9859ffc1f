"""The Dask engine: the same labelling, partition by partition, on a Dask cluster.

Each partition is read and scored with the same code as the local engine (the
model is loaded once per worker process), and the workers write a folder of part
files, or one file on request. Without a scheduler address a local cluster is started
for the job.

A CSV is cut into partitions at record ends, found by reading the file once here with
the local engine's record splitter, so that a line break inside a quoted value never
starts a partition: rows in equals rows out, as with the local engine.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from labelling.adapting import SUGGEST_FROM_ROWS, SUGGESTION, adapted_model
from labelling.errors import LabelError
from labelling.local import LabelSummary, one_job_per_output
from labelling.readers import CsvLayout, CsvRange, CsvReader, csv_ranges, file_format
from labelling.scoring import Scorer, check_columns, check_input_types, output_schema
from labelling.worker import JobSpec
from labelling.writers import merge_parquet


@functools.lru_cache(maxsize=2)
def _scorer(spec: JobSpec) -> Scorer:
    # Once per worker process and job, not once per partition.
    from classifier.persist import load_model

    model, meta = load_model(spec.model_dir)
    return Scorer(model, str(meta.get("model_version", "unknown")), spec.explain, spec.prefix)


def label_partition(frame, spec: JobSpec):
    """One partition of a Parquet input with the labelling columns appended; the same rows in the same order."""
    scores = _scorer(spec).score(pa.array(frame[spec.text_column], from_pandas=True))
    return _joined(frame, scores)


def label_csv_part(part: CsvRange | None, layout: CsvLayout, spec: JobSpec, encoding: str = "utf-8"):
    """One range of a CSV file (``None``: the whole file), parsed as the local engine parses it, labelled."""
    if part is None:
        chunks = [block.parse() for block in CsvReader(layout.path, 2000, encoding)]
    else:
        chunks = [part.read(layout).parse()]
    table = pa.concat_tables([_empty(layout), *(c.table for c in chunks)])
    errors = None
    if any(c.read_errors for c in chunks):
        errors = [e for c in chunks for e in (c.read_errors or [None] * c.rows)]
    scores = _scorer(spec).score(table.column(spec.text_column), errors)
    return _joined(table.to_pandas(), scores)


def partition_meta(frame, spec: JobSpec, classes: list[str]):
    """The empty frame a labelled partition of ``frame``'s columns is, without loading the model."""
    return _joined(frame, output_schema(classes, spec.explain, spec.prefix).empty_table())


def csv_meta(layout: CsvLayout, spec: JobSpec, classes: list[str]):
    """The empty frame :func:`label_csv_part` returns for a CSV file, without loading the model."""
    return partition_meta(_empty(layout).to_pandas(), spec, classes)


def _empty(layout: CsvLayout) -> pa.Table:
    return pa.table({c: pa.array([], pa.string()) for c in layout.columns})


def _joined(base, scores: pa.Table):
    import pandas as pd

    scores = scores.to_pandas()
    scores.index = base.index
    return pd.concat([base, scores], axis=1)


def _dask_settings(func: Callable[..., LabelSummary]) -> Callable[..., LabelSummary]:
    """Run ``func`` with CSV values kept as Python strings and dask's mixed-graph warning silenced."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> LabelSummary:
        try:
            import dask
            import distributed  # noqa: F401  (the engine's scheduler and workers)
        except ModuleNotFoundError as err:
            raise LabelError(
                f"the Dask engine needs {err.name}, which `make serve` does not install: run "
                "`.venv/bin/pip install -e '.[dask]'` (or `make setup`), or leave out --engine dask"
            ) from None

        # Keep CSV values as Python strings until label_partition has replaced undecodable bytes.
        with dask.config.set({"dataframe.convert-string": False}), warnings.catch_warnings():
            # Writing and counting in one compute shares the labelling; dask warns that it mixes graph kinds.
            warnings.filterwarnings("ignore", "Computing mixed collections", UserWarning)
            return func(*args, **kwargs)

    return wrapper


@_dask_settings
@one_job_per_output
def label_with_dask(
    input: str | Path,
    output: str | Path,
    *,
    text_column: str,
    id_column: str | None = None,
    model_dir: str | Path = "models",
    scheduler: str | None = None,
    workers: int | None = None,
    explain: bool = False,
    adapt: bool = False,
    single_file: bool = False,
    blocksize: int | None = 64 << 20,
    encoding: str = "utf-8",
    prefix: str = "",
    log: Callable[[str], None] | None = None,
) -> LabelSummary:
    """Label ``input`` on a Dask cluster and write ``output`` (a folder of parts, or one file).

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a local cluster
        with ``workers`` processes. Every worker must have RoleLens installed and reach
        ``model_dir`` and the files at the same paths.
    single_file : bool
        Write one file at ``output`` instead of a folder of part files.
    blocksize : int or None
        Bytes of CSV per partition; ``None`` reads each file whole (gzip files always are).

    Other parameters are those of :func:`labelling.local.label_file`.
    """
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    started = time.monotonic()
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    input, output = Path(input).resolve(), Path(output).resolve()
    in_format, out_format = file_format(input), file_format(output)
    if not input.is_file():
        raise LabelError(f"input file {input} does not exist")

    from classifier.persist import check_model

    # Checked here, loaded only by the workers that label (see _scorer).
    model_folder, model_meta = check_model(model_dir)
    model_folder = model_folder.resolve()
    classes = [str(c) for c in model_meta["labels"]]
    if in_format == "csv":
        layout, ranges = csv_ranges(input, blocksize, encoding)
        check_columns(input, layout.columns, text_column, id_column, classes, explain, prefix)
    else:
        import pyarrow.parquet as pq

        schema = pq.read_schema(input)
        check_columns(input, schema.names, text_column, id_column, classes, explain, prefix)
        check_input_types(input, schema, text_column, out_format)
    notes = []
    if adapt:
        # Adapted here, once: the workers load the adapted folder as they would any model.
        model_folder, note = adapted_model(input, text_column, encoding, model_folder, None, False, log)
        notes.append(note)
    spec = JobSpec(str(model_folder), text_column, id_column, explain, prefix, out_format)
    if in_format == "csv":
        labelled = dd.from_map(
            label_csv_part,
            ranges or [None],
            args=(layout, spec, encoding),
            meta=csv_meta(layout, spec, classes),
            enforce_metadata=False,
        )
    else:
        frame = dd.read_parquet(str(input))
        meta = partition_meta(frame._meta, spec, classes)
        labelled = frame.map_partitions(label_partition, spec, meta=meta)

    tmp = output.with_name(output.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # left by an earlier Dask job, which is rerun whole
    gz_out = output.name.lower().endswith(".gz")
    parts = tmp if not single_file or out_format == "parquet" else None
    if out_format == "parquet":
        write = labelled.to_parquet(str(parts), write_index=False, compute=False)
    elif single_file:
        write = labelled.to_csv(
            str(tmp), single_file=True, index=False, compute=False, compression="gzip" if gz_out else None
        )
    else:
        write = labelled.to_csv(
            str(tmp / ("part-*.csv.gz" if gz_out else "part-*.csv")),
            index=False,
            compute=False,
            compression="gzip" if gz_out else None,
        )
    label_col, error_col = prefix + "label", prefix + "error"
    import pandas as pd

    counts = labelled.map_partitions(_partition_counts, label_col, error_col, meta=pd.Series([], dtype="int64"))

    cluster = None
    if scheduler is None:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    try:
        with Client(scheduler or cluster) as client:
            log(f"labelling on the Dask cluster at {client.scheduler.address}")
            _, counts = dask.compute(write, counts)
    finally:
        if cluster is not None:
            cluster.close()
    if single_file and out_format == "parquet":
        merged = output.with_name(output.name + ".merging")
        merge_parquet(sorted(parts.glob("*.parquet"), key=_part_number), merged)
        shutil.rmtree(parts)
        os.replace(merged, tmp)
    _replace(tmp, output)
    totals = counts.groupby(level=0).sum()
    labels = {k[6:]: int(v) for k, v in totals.items() if k.startswith("label:")}
    errors = {k[6:]: int(v) for k, v in totals.items() if k.startswith("error:")}
    rows = int(totals.get("rows", 0))
    if not adapt and rows >= SUGGEST_FROM_ROWS:
        notes.append(SUGGESTION)
    return LabelSummary(output, rows, labels, errors, time.monotonic() - started, notes=notes)


def _partition_counts(frame, label_col: str, error_col: str):
    """Rows, labels and kinds of error of one partition, as a small Series."""
    import pandas as pd

    errors = frame[error_col].dropna().map(lambda m: m.split(":")[0])
    return pd.concat(
        [
            pd.Series({"rows": len(frame)}, dtype="int64"),
            frame[label_col].dropna().value_counts().rename(lambda k: f"label:{k}").astype("int64"),
            errors.value_counts().rename(lambda k: f"error:{k}").astype("int64"),
        ]
    )


def _part_number(path: Path) -> int:
    digits = "".join(ch for ch in path.stem if ch.isdigit())
    return int(digits or 0)


def _replace(new: Path, output: Path) -> None:
    """Put the finished output (file or folder) at ``output``, replacing an earlier one."""
    old = output.with_name(output.name + ".old")
    if output.exists():
        os.replace(output, old)
    os.replace(new, output)
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()
