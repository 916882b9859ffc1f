"""``--adapt``: learn from the input's own texts before labelling it, once per job.

The parent reads a fixed sample of the input's texts, adapts the base model to them
(:mod:`training.adapt`) and saves the result as a model folder beside the base model,
not made current, whose ``metadata.json`` names the input. Workers then load that folder
as they would any model. A resumed job labels on with the model it started with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from labelling.readers import CsvBlock, file_format, open_reader

ADAPTED_FILE = "adapted.json"
# Whoever labels this many rows without --adapt is told once what it would bring.
SUGGEST_FROM_ROWS = 1000
SUGGESTION = (
    "tip: --adapt would first learn from this file's own texts (a sample of them) and the mix of roles "
    "they hold; on real postings it reads duties and skills markedly better (see README)"
)


def input_texts(path: Path, text_column: str, encoding: str, fast: bool = True) -> Iterator[str]:
    """The non-empty texts of one column of a CSV or Parquet file, in file order.

    ``fast`` reads a CSV with pyarrow's reader, the text column only: the sample is drawn from
    every row before any is labelled, and reading the whole file in Python cost as much as
    labelling a third of it. pyarrow raises where it cannot read a file as labelling reads it
    (an encoding it lacks, a ragged line); :func:`sample` then reads it again, slowly.
    """
    if fast and file_format(path) == "csv":
        import pyarrow.csv as pcsv

        stream = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(encoding=encoding, block_size=16 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(include_columns=[text_column], column_types={text_column: pa.string()}),
        )
        for batch in stream:
            yield from (t for t in batch.column(0).to_pylist() if isinstance(t, str) and t.strip())
        return
    reader = open_reader(path, 2000, encoding)
    try:
        for chunk in reader:
            if isinstance(chunk, CsvBlock):
                chunk = chunk.parse()
            for value in chunk.table.column(text_column).to_pylist():
                if isinstance(value, str) and value.strip():
                    yield value
    finally:
        reader.close()


def sample(path: Path, text_column: str, encoding: str) -> tuple[list[str], int]:
    """A fixed sample of the input's texts (see ``training.adapt.reservoir``) and how many texts it has."""
    from training.adapt import SAMPLE, reservoir

    try:
        return reservoir(input_texts(path, text_column, encoding), SAMPLE)
    except (pa.ArrowException, LookupError, ValueError):
        # Drawn again, from the texts as labelling reads them: the same texts give the same sample.
        return reservoir(input_texts(path, text_column, encoding, fast=False), SAMPLE)


def adapted_model(
    input: Path,
    text_column: str,
    encoding: str,
    base_folder: Path,
    workdir: Path | None,
    resumed: bool,
    log: Callable[[str], None],
) -> tuple[Path, str]:
    """The model folder to label ``input`` with, and the summary line that says what adaptation did.

    ``workdir`` (a local job's folder) remembers the adapted model, so that ``--resume``
    labels on with it; the same input adapts to the same model, saved once.
    """
    from classifier.persist import check_model, load_model, save_model
    from training.adapt import SAMPLE, adapt
    from training.selftrain import file_sha256

    saved = workdir / ADAPTED_FILE if workdir is not None else None
    if resumed and saved is not None and saved.is_file():
        record = json.loads(saved.read_text())
        folder, _ = check_model(record["folder"])
        log(f"resuming with the model adapted to this input: {folder.name}")
        return folder, record["summary"]
    log(f"adapting: reading a sample of up to {SAMPLE:,} texts of {input}")
    texts, rows = sample(input, text_column, encoding)
    base, meta = load_model(base_folder)
    result = adapt(base, texts, log=lambda line: log(f"adapting: {line}"))
    folder = base_folder
    if result.adapted:
        metadata: dict[str, Any] = {
            "adapted_to": {
                "input": str(input.resolve()),
                "input_sha256": file_sha256(input),
                "text_column": text_column,
                "texts_read": rows,
                "base_model": meta.get("model_version"),
                **result.record,
            },
            "hashes": meta.get("hashes"),
            "params": meta.get("params"),
        }
        folder = save_model(result.model, base_folder.parent, metadata, make_current=False, reuse=True)
    summary = result.summary() + (f"; model {folder.name}" if result.adapted else "")
    if saved is not None:
        saved.write_text(json.dumps({"folder": str(folder), "summary": summary}))
    log(summary)
    return folder, summary
