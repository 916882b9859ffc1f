"""The Dask engine against a real scheduler and two workers on 127.0.0.1: the same output as the local engine."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from labelling import label_file
from labelling.progress import Progress

from .conftest import write_csv

pytestmark = pytest.mark.e2e
dd = pytest.importorskip("dask.dataframe")  # the dev extra installs it; a plain install may not


def run_dask(src, out, models_dir, scheduler, **options):
    """label_with_dask on the test scheduler, texts in the "text" column, quietly."""
    from labelling.dask_engine import label_with_dask

    return label_with_dask(
        src, out, text_column="text", model_dir=models_dir, scheduler=scheduler, log=lambda _m: None, **options
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A `dask scheduler` and two `dask worker` processes, stopped after the tests."""
    from distributed import Client

    dask_cli = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-logs")
    log = open(logs / "out.log", "wb")
    common = dict(stdout=log, stderr=subprocess.STDOUT, cwd=logs)
    procs = [
        subprocess.Popen(
            [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **common
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        dask_cli,
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    **common,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(deadline - time.monotonic(), 1))
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"dask cluster did not start in 60 s: {(logs / 'out.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


@pytest.fixture()
def flat_rows(rows):
    """Rows whose texts have no line breaks (a CSV is split into blocks at line ends), with gaps."""
    out = [{**r, "text": r["text"].replace("\n", " ")} for r in rows]
    out[3]["text"] = ""  # a missing value
    out[5]["title"] = ""
    return out


def local_output(src, dst, models_dir):
    label_file(
        src,
        dst,
        text_column="text",
        model_dir=models_dir,
        workers=0,
        log=lambda _m: None,
        progress=Progress(io.StringIO(), tty=False),
    )
    return pd.read_csv(dst, keep_default_na=False) if str(dst).endswith(".csv") else pd.read_parquet(dst)


def test_dask_csv_equals_local_row_for_row(scheduler, tmp_path, flat_rows, models_dir, monkeypatch):
    """Through a real cluster, in several partitions, with a ragged line: the same rows as the local engine."""
    import classifier.persist
    from labelling.dask_engine import _scorer

    src = write_csv(tmp_path / "jobs.csv", flat_rows)
    with open(src, "a") as f:
        f.write("9999,ragged,too,many,fields\n")

    def no_load(*_a, **_k):
        raise AssertionError("the parent only checks the model; the workers load it")

    _scorer.cache_clear()
    monkeypatch.setattr(classifier.persist, "load_model", no_load)
    summary = run_dask(src, tmp_path / "dask.csv", models_dir, scheduler, blocksize=2000, single_file=True)
    monkeypatch.undo()
    assert _scorer.cache_info().currsize == 0
    expected = local_output(src, tmp_path / "local.csv", models_dir)
    got = pd.read_csv(tmp_path / "dask.csv", keep_default_na=False)
    assert summary.rows == len(expected) == 31
    assert summary.errors == {"empty text": 1, "ragged line": 1}
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_dask_writes_a_folder_of_parquet_parts(scheduler, tmp_path, flat_rows, models_dir):
    """Without --single-file the workers write part files that read back as the local engine's rows."""

    src = write_csv(tmp_path / "jobs.csv", flat_rows)
    run_dask(src, tmp_path / "out.parquet", models_dir, scheduler, blocksize=3000)
    parts = sorted((tmp_path / "out.parquet").glob("*.parquet"))
    assert len(parts) > 1
    got = dd.read_parquet(tmp_path / "out.parquet").compute().reset_index(drop=True)
    expected = local_output(src, tmp_path / "local.parquet", models_dir)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_quoted_line_breaks_keep_rows_in_equal_to_rows_out(scheduler, tmp_path, rows, models_dir):
    """1,200 rows whose texts hold line breaks, read in many blocks: the local engine's rows, none ragged."""

    many = [{**r, "id": f"{n}-{r['id']}"} for n in range(40) for r in rows]
    src = write_csv(tmp_path / "jobs.csv", many)
    summary = run_dask(src, tmp_path / "dask.csv", models_dir, scheduler, blocksize=20_000, single_file=True)
    got = pd.read_csv(tmp_path / "dask.csv", keep_default_na=False)
    expected = local_output(src, tmp_path / "local.csv", models_dir)
    assert src.stat().st_size > 10 * 20_000  # so that it was read in many blocks
    assert summary.rows == len(got) == 1200 and summary.errors == {}
    assert got["id"].tolist() == [r["id"] for r in many]
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_csv_ranges_start_at_record_ends_and_cover_every_row(tmp_path, rows):
    """The ranges a CSV is cut into read back, one by one, as every row of the file in order."""
    from labelling.readers import csv_ranges

    src = write_csv(tmp_path / "jobs.csv", rows * 4)
    layout, ranges = csv_ranges(src, 3000)
    assert len(ranges) > 3
    ids = [row["id"] for part in ranges for row in part.read(layout).parse().table.to_pylist()]
    assert ids == [r["id"] for r in rows * 4]


def test_an_unclosed_quote_is_flagged_on_dask_too(models_dir, tmp_path):
    """The row a never-closed quote runs to the end of the file says so, as with the local engine."""
    from labelling.dask_engine import label_csv_part
    from labelling.readers import csv_ranges
    from labelling.worker import JobSpec

    src = tmp_path / "open.csv"
    src.write_bytes(b'id,text\n1,Deploy models\n2,"open\n' + b"3,more\n" * 50)
    layout, ranges = csv_ranges(src, 20)
    out = pd.concat([label_csv_part(part, layout, JobSpec(str(models_dir), "text")) for part in ranges])
    assert len(out) == 2 and out["error"].iloc[1].startswith("unclosed quote: a quoted value opens on line 3")


def test_empty_csv_part_keeps_its_columns(models_dir, tmp_path):
    """A CSV with a header only gives no rows and every labelling column, as the meta says."""
    from labelling.dask_engine import label_csv_part
    from labelling.readers import csv_ranges
    from labelling.worker import JobSpec

    src = tmp_path / "empty.csv"
    src.write_text("id,text\n")
    layout, ranges = csv_ranges(src, 1000)
    out = label_csv_part(None, layout, JobSpec(str(models_dir), "text"))
    assert ranges == [] and len(out) == 0
    assert list(out.columns)[:3] == ["id", "text", "label"] and "error" in out.columns


@pytest.mark.parametrize("explain", [False, True])
def test_meta_built_without_the_model_matches_a_labelled_partition(models_dir, model, tmp_path, explain):
    """The parent's meta (no model loaded) has the columns and dtypes that labelling a partition gives."""
    from labelling.dask_engine import csv_meta, label_csv_part
    from labelling.readers import csv_ranges
    from labelling.worker import JobSpec

    src = tmp_path / "one.csv"
    src.write_text("id,text\n1,Deploy models to production with Kubernetes.\n")
    layout, ranges = csv_ranges(src, 1000)
    spec = JobSpec(str(models_dir), "text", explain=explain)
    meta = csv_meta(layout, spec, [str(c) for c in model.classes_])
    out = label_csv_part(ranges[0], layout, spec)
    assert len(meta) == 0 and len(out) == 1
    pd.testing.assert_series_equal(meta.dtypes, out.dtypes)
