"""The local engine: every row kept and labelled in order, bad rows marked, resumable, parallel."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelling import LabelError, label_file
from labelling.checkpoint import workdir_for
from labelling.progress import Progress

from .conftest import write_csv

ADDED = ["label", "p_data_scientist", "p_ml_engineer", "lean", "scope", "p_in_scope", "model_version", "error"]


def quiet() -> Progress:
    return Progress(io.StringIO(), tty=False)


def run(src, dst, models_dir, **kw):
    return label_file(
        src,
        dst,
        text_column="text",
        model_dir=models_dir,
        workers=kw.pop("workers", 0),
        progress=kw.pop("progress", None) or quiet(),
        log=lambda _m: None,
        **kw,
    )


def read(path) -> pd.DataFrame:
    if str(path).endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_output_keeps_every_column_and_row_order_and_adds_labels(tmp_path, jobs_csv, rows, model, models_dir):
    """Input columns and rows come back unchanged and in order, followed by the label columns."""
    summary = run(jobs_csv, tmp_path / "out.csv", models_dir, chunk_rows=7)
    out = read(tmp_path / "out.csv")
    assert list(out.columns) == ["id", "title", "text", "role", *ADDED]
    assert out["id"].tolist() == [r["id"] for r in rows]
    assert out["text"].tolist() == [r["text"] for r in rows]  # quotes and line breaks survive
    assert out["label"].tolist() == list(model.predict([r["text"] for r in rows]))
    assert out["label"].tolist() == [r["role"] for r in rows]
    probs = out[["p_data_scientist", "p_ml_engineer"]].astype(float)
    assert ((probs.sum(axis=1) - 1).abs() < 1e-6).all()
    assert set(out["lean"]) <= {"slight", "moderate", "strong"} and (out["error"] == "").all()
    _, scopes, p_in = model.assess([r["text"] for r in rows])
    assert out["scope"].tolist() == list(scopes)
    assert out["p_in_scope"].astype(float).tolist() == pytest.approx(list(p_in))
    assert out["model_version"].nunique() == 1 and out["model_version"][0].startswith("20")
    assert summary.rows == len(rows) and summary.error_rows == 0
    assert sum(summary.labels.values()) == len(rows)
    assert not workdir_for(tmp_path / "out.csv").exists()


def test_bad_rows_get_an_error_and_nothing_is_dropped(tmp_path, models_dir, samples):
    """Empty text, a ragged line and undecodable bytes each get an error; rows in equals rows out."""
    good = samples[0]["text"].replace("\n", " ")
    raw = (
        (
            "id,title,text\n"
            f'1,ok,"{good}"\n'
            "2,blank,\n"
            '3,spaces,"   "\n'
            f'4,too many,"{good}",extra\n'
            "5,too few\n"
            f'6,caf\xe9,"{good}"\n'
            "\n"
            f'7,ok again,"{good}"\n'
        )
        .encode()
        .replace("caf\xc3\xa9".encode("latin-1"), b"caf\xe9")
    )
    src = tmp_path / "bad.csv"
    src.write_bytes(raw)
    summary = run(src, tmp_path / "out.csv", models_dir)
    out = read(tmp_path / "out.csv")
    assert out["id"].tolist() == ["1", "2", "3", "4", "5", "6", "7"]
    errors = dict(zip(out["id"], out["error"]))
    assert errors["1"] == errors["7"] == ""
    assert errors["2"].startswith("empty text") and errors["3"].startswith("empty text")
    assert errors["4"] == "ragged line: 4 fields where the header has 3"
    assert errors["5"] == "ragged line: 2 fields where the header has 3"
    assert errors["6"].startswith("undecodable bytes: column 'title'")
    assert out.loc[out["id"] == "6", "title"].item() == "caf\ufffd"
    assert out.loc[out["id"] == "4", "text"].item() == f"{good},extra"  # the extra field is kept
    assert (out["label"] != "").tolist() == [e == "" for e in out["error"]]
    assert summary.rows == 7 and summary.errors == {"empty text": 2, "ragged line": 2, "undecodable bytes": 1}


def test_other_encoding_decodes_what_utf8_cannot(tmp_path, models_dir, samples):
    """--encoding latin-1 reads a Latin-1 file without undecodable-byte errors."""
    src = tmp_path / "latin.csv"
    src.write_bytes(f'id,text\n1,"Caf\xe9 analytics. {samples[2]["text"]}"\n'.encode("latin-1"))
    run(src, tmp_path / "out.csv", models_dir, encoding="latin-1")
    out = read(tmp_path / "out.csv")
    assert out["error"].tolist() == [""] and out["text"][0].startswith("Café")


def test_missing_text_column_stops_and_lists_the_columns(tmp_path, jobs_csv, models_dir):
    """A wrong --text-column stops before writing anything and names the columns there are."""
    with pytest.raises(LabelError, match=r"no column 'body'.*'id', 'title', 'text', 'role'"):
        label_file(jobs_csv, tmp_path / "out.csv", text_column="body", model_dir=models_dir, workers=0)
    assert list(tmp_path.iterdir()) == [jobs_csv]


def test_existing_label_columns_need_a_prefix(tmp_path, jobs_csv, models_dir):
    """Labelling a labelled file again asks for --prefix instead of writing two 'label' columns."""
    run(jobs_csv, tmp_path / "once.csv", models_dir)
    with pytest.raises(LabelError, match="--prefix"):
        run(tmp_path / "once.csv", tmp_path / "twice.csv", models_dir)
    run(tmp_path / "once.csv", tmp_path / "twice.csv", models_dir, prefix="new_")
    twice = read(tmp_path / "twice.csv")
    assert twice["new_label"].tolist() == twice["label"].tolist()


def test_gzip_csv_and_parquet_in_and_out_agree(tmp_path, jobs_csv, models_dir):
    """The same rows labelled through .csv.gz and .parquet give the same labels and probabilities."""
    gz = tmp_path / "jobs.csv.gz"
    gz.write_bytes(gzip.compress(jobs_csv.read_bytes()))
    run(gz, tmp_path / "a.csv.gz", models_dir, chunk_rows=8)
    run(jobs_csv, tmp_path / "b.parquet", models_dir, chunk_rows=8)
    run(tmp_path / "b.parquet", tmp_path / "c.csv", models_dir, prefix="again_", chunk_rows=8)
    a = pd.read_csv(tmp_path / "a.csv.gz", keep_default_na=False)  # multi-member gzip reads as one file
    b = pd.read_parquet(tmp_path / "b.parquet")
    c = pd.read_csv(tmp_path / "c.csv", keep_default_na=False)
    assert len(a) == len(b) == len(c) == 30
    assert a["label"].tolist() == b["label"].tolist() == c["again_label"].tolist()
    assert (a["p_ml_engineer"] - b["p_ml_engineer"]).abs().max() < 1e-12
    assert b["p_ml_engineer"].dtype == "float64"


def test_parquet_keeps_types_and_marks_missing_text(tmp_path, models_dir, samples):
    """Parquet columns keep their types; a null text is an error, not a crash or a dropped row."""
    src = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {"n": pa.array([1, 2, 3], pa.int64()), "text": pa.array([samples[0]["text"], None, samples[3]["text"]])}
        ),
        src,
    )
    summary = run(src, tmp_path / "out.parquet", models_dir)
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema.field("n").type == pa.int64() and out.column("n").to_pylist() == [1, 2, 3]
    assert out.column("label").to_pylist() == [samples[0]["label"], None, samples[3]["label"]]
    assert out.column("error").to_pylist()[1].startswith("missing text")
    assert summary.errors == {"missing text": 1}


def test_header_only_input_gives_header_only_output(tmp_path, models_dir):
    """An input with no rows still gives a file with every column, and no rows."""
    src = tmp_path / "empty.csv"
    src.write_text("id,text\n")
    summary = run(src, tmp_path / "out.csv", models_dir)
    assert (tmp_path / "out.csv").read_text().strip() == '"id","text",' + ",".join(f'"{c}"' for c in ADDED)
    assert summary.rows == 0


def test_two_workers_write_the_same_file_as_one_process(tmp_path, jobs_csv, models_dir):
    """Chunks labelled by a pool of two processes come back in input order, byte for byte."""
    run(jobs_csv, tmp_path / "inline.csv", models_dir, chunk_rows=4, explain=True)
    run(jobs_csv, tmp_path / "pool.csv", models_dir, chunk_rows=4, explain=True, workers=2)
    assert (tmp_path / "pool.csv").read_bytes() == (tmp_path / "inline.csv").read_bytes()


@pytest.mark.parametrize("suffix", [".csv.gz", ".parquet"])
def test_resume_continues_without_losing_or_repeating_rows(tmp_path, jobs_csv, models_dir, suffix, stop_after):
    """An interrupted job leaves no output file; --resume finishes it with each row exactly once."""
    out = tmp_path / f"out{suffix}"
    with pytest.raises(KeyboardInterrupt):
        run(jobs_csv, out, models_dir, chunk_rows=4, progress=stop_after(12))
    assert not out.exists() and workdir_for(out).is_dir()
    summary = run(jobs_csv, out, models_dir, chunk_rows=5, resume=True)
    assert summary.resumed_rows == 12 and summary.rows == 30
    run(jobs_csv, tmp_path / f"whole{suffix}", models_dir)
    resumed, whole = read(out), read(tmp_path / f"whole{suffix}")
    assert resumed["id"].tolist() == whole["id"].tolist()
    pd.testing.assert_frame_equal(resumed, whole)
    assert sum(summary.labels.values()) == 30  # counts carried over from the first run


def test_resume_refuses_a_different_job(tmp_path, jobs_csv, rows, models_dir, stop_after):
    """--resume will not continue when the input changed since the interrupted run."""
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        run(jobs_csv, out, models_dir, chunk_rows=4, progress=stop_after(4))
    write_csv(jobs_csv, rows[:10])
    with pytest.raises(LabelError, match="different job.*input_size"):
        run(jobs_csv, out, models_dir, resume=True)


def test_leftovers_of_an_interrupted_run_are_kept_until_the_user_chooses(tmp_path, jobs_csv, models_dir, stop_after):
    """Run again without --resume, a job stops and names --resume and --restart; --restart starts over."""
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        run(jobs_csv, out, models_dir, chunk_rows=4, progress=stop_after(8))
    with pytest.raises(LabelError, match="left 8 labelled rows.*--resume.*--restart"):
        run(jobs_csv, out, models_dir)
    assert workdir_for(out).is_dir() and not out.exists()
    summary = run(jobs_csv, out, models_dir, restart=True)
    assert summary.resumed_rows == 0 and summary.rows == 30 and len(read(out)) == 30


def test_explain_adds_evidence_and_top_features(tmp_path, models_dir, model):
    """--explain names the lexicon phrases found and the features that weighed most, same probabilities."""
    src = tmp_path / "in.csv"
    write_csv(
        src, [{"text": "You will deploy models to production on Kubernetes and build CI/CD pipelines."}, {"text": "  "}]
    )
    run(src, tmp_path / "out.csv", models_dir, explain=True)
    out = read(tmp_path / "out.csv")
    assert list(out.columns)[-2:] == ["evidence", "top_features"]
    assert "(ml_engineer)" in out["evidence"][0] and "kubernetes" in out["evidence"][0].lower()
    assert "ml_engineer" in out["top_features"][0]
    assert out["evidence"][1] == "" and out["error"][1].startswith("empty text")
    expected = model.predict_proba([out["text"][0]])[0]
    assert abs(float(out["p_" + str(model.classes_[1])][0]) - expected[1]) < 1e-9


def test_progress_writes_plain_lines_when_not_on_a_terminal(tmp_path, jobs_csv, models_dir):
    """Off a terminal, progress is whole log lines with rows, rate and what is left, not a redrawn bar."""
    stream = io.StringIO()
    run(jobs_csv, tmp_path / "out.csv", models_dir, chunk_rows=10, progress=Progress(stream, every=0, tty=False))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("labelling: 30 rows,")
    assert "rows/s" in lines[-1] and "100% read, finishing" in lines[-1] and "\r" not in stream.getvalue()
    assert "ETA ?" not in stream.getvalue()  # a small file is read at once: nothing is unknown


def test_progress_gives_the_time_left_while_reading_and_no_question_mark_at_the_end():
    """Half read after some seconds gives a clock ETA; all read says finishing, never 'ETA ?'."""
    stream = io.StringIO()
    progress = Progress(stream, every=0, tty=False)
    progress.begin()
    progress._started -= 10  # ten seconds in
    progress.update(100, 100, 0.5)
    progress.update(200, 200, 1.0)
    first, last = stream.getvalue().splitlines()
    assert first.endswith("50% read, ETA 0:00:10") and last.endswith("100% read, finishing")


def test_progress_redraws_one_line_on_a_terminal():
    """On a terminal, progress redraws a single line in place and ends it before the summary."""
    stream = io.StringIO()
    progress = Progress(stream, every=0, tty=True)
    progress.begin()
    progress.update(100, 100, 0.25)
    progress.update(200, 200, 0.5)
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.count("\n") == 1 and text.endswith("\n")
    assert "200 rows" in text.split("\r")[-1] and "50% read" in text


def test_scope_columns_say_which_rows_are_out_of_scope(tmp_path, models_dir, samples):
    """A nurse's posting gets scope out and a slight lean; a role posting is in; an empty row has no scope."""
    nurse = "Registered Nurse for our surgical ward: assess patients, give medication, keep clinical records."
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"id": ["1", "2", "3"], "text": [nurse, samples[0]["text"], ""]}).to_csv(path, index=False)
    run(path, tmp_path / "out.csv", models_dir)
    out = read(tmp_path / "out.csv")
    assert out["scope"].tolist() == ["out", "in", ""]
    assert out["lean"][0] == "slight" and float(out["p_in_scope"][0]) < 0.5 < float(out["p_in_scope"][1])
    assert out["p_in_scope"][2] == "" and out["error"][2].startswith("empty text")
