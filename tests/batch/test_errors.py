"""Inputs and situations that stop a labelling job: each gives `error: ...` with what to do, status 2."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelling import LabelError, label_file
from labelling.checkpoint import workdir_for
from labelling.lock import job_lock, lock_path
from rolelens.cli import main

from .conftest import write_csv


def label(capsys, src, dst, models_dir, *more) -> tuple[int, str]:
    """Run `rolelens label` in this process; its status and standard error."""
    code = main(
        ["label", str(src), "-o", str(dst), "--text-column", "text", "--workers", "0", "--model-dir", str(models_dir)]
        + list(more)
    )
    return code, capsys.readouterr().err


def test_a_second_job_on_the_same_output_stops_at_once_naming_the_first(tmp_path, jobs_csv, models_dir, capsys):
    """While another process holds the output's lock, a second job exits 2 naming it and touches nothing."""
    out = tmp_path / "out.csv"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from labelling.lock import job_lock\n"
            f"with job_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        workdir_for(out).mkdir()
        (workdir_for(out) / "data.csv").write_text("the first job's rows")
        code, err = label(capsys, jobs_csv, out, models_dir)
        assert code == 2 and err.startswith("error: another rolelens job")
        assert f"(process {holder.pid})" in err and "Traceback" not in err
        assert (workdir_for(out) / "data.csv").read_text() == "the first job's rows" and not out.exists()
    finally:
        holder.kill()
        holder.wait()
    (workdir_for(out) / "data.csv").unlink()
    workdir_for(out).rmdir()
    assert label(capsys, jobs_csv, out, models_dir)[0] == 0  # the lock went with the process
    assert not lock_path(out).exists()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path, jobs_csv, models_dir):
    """label_file refuses an output whose lock is held, even by its own process (another thread's job)."""
    out = tmp_path / "out.csv"
    with job_lock(out), pytest.raises(LabelError, match=rf"process {os.getpid()}\)"):
        label_file(jobs_csv, out, text_column="text", model_dir=models_dir, workers=0)


def test_an_unknown_encoding_is_named(tmp_path, jobs_csv, models_dir, capsys):
    """--encoding nope says it is not an encoding and gives names that are."""
    code, err = label(capsys, jobs_csv, tmp_path / "out.csv", models_dir, "--encoding", "nope")
    assert code == 2 and err.startswith("error: unknown encoding 'nope'") and "cp1252" in err


def test_a_duplicate_text_column_in_csv_is_refused(tmp_path, models_dir, capsys):
    """Two CSV columns named like --text-column: the message says how many and to rename."""
    src = tmp_path / "dup.csv"
    src.write_text("id,text,text\n1,Deploy models,Build dashboards\n")
    code, err = label(capsys, src, tmp_path / "out.csv", models_dir)
    assert code == 2 and "has 2 columns named 'text'" in err and "rename" in err


def test_a_duplicate_text_column_in_parquet_is_refused(tmp_path, models_dir, capsys):
    """Two Parquet columns named like --text-column are refused the same way."""
    src = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["text", "text"]), src)
    code, err = label(capsys, src, tmp_path / "out.parquet", models_dir)
    assert code == 2 and "has 2 columns named 'text'" in err


@pytest.mark.parametrize(
    "values",
    [
        pa.array([1, 2], pa.int64()),
        pa.array([b"Deploy models", b"x"], pa.binary()),
        pa.array([["a"], ["b"]]),
        pa.array([{"a": "x"}, {"a": "y"}]),
    ],
    ids=["int", "binary", "list", "struct"],
)
def test_a_parquet_text_column_that_is_not_text_is_refused(tmp_path, models_dir, capsys, values):
    """A text column of int, binary, list or struct values is named with its type before any work."""
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": values}), src)
    code, err = label(capsys, src, tmp_path / "out.parquet", models_dir)
    kind = pq.read_schema(src).field("text").type
    assert code == 2 and f"holds {kind} values, not text" in err and "--text-column" in err
    assert not (tmp_path / "out.parquet").exists()


def test_dictionary_encoded_text_is_read_as_its_strings(tmp_path, models_dir, model, samples):
    """A text column stored as a dictionary (pandas' category) is labelled like plain strings."""
    import pandas as pd

    texts = [samples[0]["text"], samples[3]["text"], samples[0]["text"]]
    src = tmp_path / "cat.parquet"
    pd.DataFrame({"text": pd.Categorical(texts)}).to_parquet(src)
    assert pa.types.is_dictionary(pq.read_schema(src).field("text").type)
    label_file(src, tmp_path / "out.parquet", text_column="text", model_dir=models_dir, workers=0)
    assert pq.read_table(tmp_path / "out.parquet").column("label").to_pylist() == list(model.predict(texts))


def test_nested_columns_to_csv_are_refused_before_labelling(tmp_path, models_dir, capsys):
    """A list column cannot go into a CSV: the message says to write Parquet, and nothing is written."""
    src = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"tags": pa.array([["a", "b"]]), "text": pa.array(["Deploy models"])}), src)
    code, err = label(capsys, src, tmp_path / "out.csv", models_dir)
    assert code == 2 and "'tags'" in err and "write Parquet" in err
    assert not workdir_for(tmp_path / "out.csv").exists()


def test_an_output_that_is_a_folder_is_refused_before_labelling(tmp_path, jobs_csv, models_dir, capsys, monkeypatch):
    """-o naming an existing folder stops before the model is even checked, with a file name to use."""
    import classifier.persist

    (tmp_path / "out.csv").mkdir()
    monkeypatch.setattr(classifier.persist, "check_model", lambda *_: pytest.fail("checked the model first"))
    code, err = label(capsys, jobs_csv, tmp_path / "out.csv", models_dir)
    assert code == 2 and "is a folder" in err and "labelled.csv" in err


@pytest.mark.parametrize("kind", ["file", "link"])
def test_a_partial_path_that_is_not_a_folder_is_refused(tmp_path, jobs_csv, models_dir, capsys, kind):
    """OUTPUT.partial as a file or a link is left alone and named, never deleted or followed."""
    out = tmp_path / "out.csv"
    partial = workdir_for(out)
    if kind == "file":
        partial.write_text("mine")
    else:
        (tmp_path / "elsewhere").mkdir()
        partial.symlink_to(tmp_path / "elsewhere")
    code, err = label(capsys, jobs_csv, out, models_dir)
    assert code == 2 and f"is a {kind}, not the folder" in err
    assert partial.is_symlink() if kind == "link" else partial.read_text() == "mine"


def test_a_full_disk_stops_with_what_to_do_and_keeps_the_work(tmp_path, jobs_csv, models_dir, capsys, monkeypatch):
    """ENOSPC while appending a chunk: error naming the folder and --resume; the chunks before it stay."""
    from labelling import writers

    real = writers.CsvSink.write
    calls = []

    def fill_up(self, data):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(writers.CsvSink, "write", fill_up)
    out = tmp_path / "out.csv"
    code, err = label(capsys, jobs_csv, out, models_dir, "--chunk-rows", "10")
    assert code == 2 and "No space left on device" in err and "--resume" in err and "Traceback" not in err
    monkeypatch.undo()
    code, _ = label(capsys, jobs_csv, out, models_dir, "--chunk-rows", "10", "--resume")
    assert code == 0 and len(out.read_text().splitlines()) > 30


def test_unclosed_quote_row_is_counted_in_the_summary(tmp_path, models_dir, capsys):
    """A quote never closed gives one flagged row (not a silent 1-row file), named in the summary."""
    src = tmp_path / "open.csv"
    src.write_bytes(b'id,text\n1,Deploy models\n2,"open\n' + b"".join(b"%d,more\n" % i for i in range(3, 1002)))
    code = main(["label", str(src), "-o", str(tmp_path / "o.csv"), "--text-column", "text", "--workers", "0"] + [
        "--model-dir", str(models_dir)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "labelled 2 rows" in out and "unclosed quote 1" in out and "line 3" in out


def test_a_missing_input_file_is_named(tmp_path, models_dir, capsys):
    """A CSV that does not exist is named, not reported as a bare errno."""
    write_csv(tmp_path / "x.csv", [{"text": "a"}])
    code, err = label(capsys, tmp_path / "missing.csv", tmp_path / "out.csv", models_dir)
    assert code == 2 and "missing.csv does not exist" in err


def test_the_dask_engine_takes_the_same_lock(tmp_path, jobs_csv, models_dir):
    """A Dask job for an output another job is writing stops before it starts a cluster."""
    pytest.importorskip("distributed")
    from labelling.dask_engine import label_with_dask

    out = tmp_path / "out.parquet"
    with job_lock(out), pytest.raises(LabelError, match="another rolelens job"):
        label_with_dask(jobs_csv, out, text_column="text", model_dir=models_dir, log=lambda _m: None)
    assert not out.exists() and not workdir_for(out).exists()


def test_a_quote_closed_early_over_lines_flags_the_joined_row(tmp_path, models_dir, capsys):
    """A quote that closes before its field ends joins lines into one row: that row is flagged, not labelled."""
    src = tmp_path / "bad.csv"
    src.write_bytes(b'id,text\n1,Deploy models\n2,"an open quote\n3,"Run A/B tests"\n4,"Two lines,\nquoted well"\n')
    out = tmp_path / "o.csv"
    code = main(["label", str(src), "-o", str(out), "--text-column", "text", "--model-dir", str(models_dir)])
    printed = capsys.readouterr().out
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert code == 0 and list(rows["id"]) == ["1", "2", "4"] and "malformed quote 1" in printed
    assert rows["error"][1].startswith("malformed quote: a quoted value on lines 3-4") and rows["label"][1] == ""
    assert rows["label"][0] and rows["label"][2] and rows["error"][2] == ""
