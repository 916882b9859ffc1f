"""The Dask engine: the same labelling, partition by partition, on a Dask cluster.

``dask.dataframe`` reads the input by blocks, each partition is scored with the
same :class:`~labelling.scoring.Scorer` as the local engine (the model is loaded
once per worker process), and the workers write a folder of part files, or one file
on request. Without a scheduler address a local cluster is started for the job.

A CSV is split into blocks at line ends, so a file whose texts hold line breaks
inside quoted values must be read whole (``blocksize=None``) or converted to
Parquet first; the local engine has no such limit.
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

from labelling.errors import LabelError
from labelling.local import LabelSummary
from labelling.readers import file_format, fit_fields, text_columns
from labelling.scoring import Scorer, check_columns, output_schema
from labelling.worker import JobSpec
from labelling.writers import merge_parquet

RAGGED = "\x00rolelens-ragged:"  # marks, inside one partition, a line with more fields than the header


class _FoldExtraFields:
    """``on_bad_lines`` for pandas: keep a long line's values, marked so the row gets its error."""

    def __init__(self, width: int):
        self.width = width

    def __call__(self, fields: list[str]) -> list[str]:
        row = fit_fields(fields, self.width)
        row[-1] = f"{RAGGED}{len(fields)}\x00{row[-1]}"
        return row


@functools.lru_cache(maxsize=2)
def _scorer(spec: JobSpec) -> Scorer:
    # Once per worker process and job, not once per partition.
    from classifier.persist import load_model

    model, meta = load_model(spec.model_dir)
    return Scorer(model, str(meta.get("model_version", "unknown")), spec.explain, spec.prefix)


def label_partition(frame, spec: JobSpec, from_csv: bool, encoding: str = "utf-8"):
    """One partition with the labelling columns appended; the same rows in the same order."""
    base, errors = _read_values(frame, from_csv, encoding)
    scores = _scorer(spec).score(pa.array(base[spec.text_column], from_pandas=True), errors)
    return _joined(base, scores)


def partition_meta(frame, spec: JobSpec, from_csv: bool, classes: list[str], encoding: str = "utf-8"):
    """The empty frame :func:`label_partition` returns for ``frame``'s meta, without loading the model."""
    base, _ = _read_values(frame, from_csv, encoding)
    return _joined(base, output_schema(classes, spec.explain, spec.prefix).empty_table())


def _joined(base, scores: pa.Table):
    import pandas as pd

    scores = scores.to_pandas()
    scores.index = base.index
    return pd.concat([base, scores], axis=1)


def _read_values(frame, from_csv: bool, encoding: str):
    """A partition's values as the local reader gives them, and each row's read error (or None)."""
    if not from_csv:
        return frame, None
    names = list(frame.columns)
    columns = [frame[c].tolist() for c in names]
    last, width = columns[-1], len(names)
    errors = [None] * len(frame)
    for i, value in enumerate(last):
        if isinstance(value, str) and value.startswith(RAGGED):
            fields, _, last[i] = value[len(RAGGED) :].partition("\x00")
            errors[i] = f"ragged line: {fields} fields where the header has {width}"
    for i in range(len(frame)):
        present = sum(col[i] is not None for col in columns)
        if present < width:
            errors[i] = f"ragged line: {present} fields where the header has {width}"
            for col in columns[present:]:
                col[i] = ""
    arrays, errors = text_columns(names, columns, errors, encoding)
    base = pa.Table.from_arrays(arrays, names=names).to_pandas()
    base.index = frame.index
    return base, errors


def _dask_settings(func: Callable[..., LabelSummary]) -> Callable[..., LabelSummary]:
    """Run ``func`` with CSV values kept as Python strings and dask's mixed-graph warning silenced."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> LabelSummary:
        import dask

        # Keep CSV values as Python strings until label_partition has replaced undecodable bytes.
        with dask.config.set({"dataframe.convert-string": False}), warnings.catch_warnings():
            # Writing and counting in one compute shares the labelling; dask warns that it mixes graph kinds.
            warnings.filterwarnings("ignore", "Computing mixed collections", UserWarning)
            return func(*args, **kwargs)

    return wrapper


@_dask_settings
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
    gz_in = input.name.lower().endswith(".gz")
    if in_format == "csv":
        from labelling.readers import CsvReader

        header = CsvReader(input, 1, encoding)
        header.close()
        frame = dd.read_csv(
            str(input),
            blocksize=None if gz_in else blocksize,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            engine="python",
            on_bad_lines=_FoldExtraFields(len(header.columns)),
            encoding=encoding,
            encoding_errors="surrogateescape",
            compression="gzip" if gz_in else None,
        )
    else:
        frame = dd.read_parquet(str(input))
    columns = list(frame.columns)
    check_columns(input, columns, text_column, id_column, classes, explain, prefix)
    spec = JobSpec(str(model_folder), text_column, id_column, explain, prefix, out_format)
    meta = partition_meta(frame._meta, spec, in_format == "csv", classes, encoding)
    labelled = frame.map_partitions(label_partition, spec, in_format == "csv", encoding, meta=meta)

    tmp = output.with_name(output.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    if tmp.exists():
        tmp.unlink()
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
    return LabelSummary(output, int(totals.get("rows", 0)), labels, errors, time.monotonic() - started)


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
