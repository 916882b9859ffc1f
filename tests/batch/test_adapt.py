"""rolelens label --adapt: learn from the input first, label with the adapted model, resume with it."""

import json

import pandas as pd
import pytest

from classifier.persist import METADATA_FILE, read_metadata
from labelling.adapting import SUGGESTION
from labelling.checkpoint import workdir_for
from labelling.local import label_file


def write_batch(path, texts):
    """A CSV of the texts with an id column."""
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(path, index=False)
    return path


def run(src, out, models_dir, **options):
    return label_file(src, out, text_column="text", model_dir=models_dir, workers=0, log=lambda _m: None, **options)


@pytest.fixture()
def batch_csv(tmp_path, make_batch):
    """A batch of 240 postings of both roles, written by us."""
    return write_batch(tmp_path / "batch.csv", make_batch(120, 120))


def test_adapted_labels_name_the_adapted_model_which_names_the_input(tmp_path, batch_csv, models_dir):
    """--adapt labels with a new model folder, not made current, whose metadata names the input and the mix found."""
    base_version = read_metadata(models_dir)["model_version"]
    summary = run(batch_csv, tmp_path / "out.csv", models_dir, adapt=True)
    versions = set(pd.read_csv(tmp_path / "out.csv")["model_version"])
    assert len(versions) == 1 and versions != {base_version}
    meta = json.loads((models_dir / versions.pop() / METADATA_FILE).read_text())
    record = meta["adapted_to"]
    assert record["input"] == str(batch_csv.resolve()) and len(record["input_sha256"]) == 64
    assert record["texts_read"] == 240 and set(record["mix"]) == {"data_scientist", "ml_engineer"}
    assert read_metadata(models_dir)["model_version"] == base_version  # current is unchanged
    assert any("mix of roles found" in note for note in summary.notes)


def test_same_input_same_output(tmp_path, batch_csv, models_dir):
    """Labelling the same input twice with --adapt writes the same rows, model version included."""
    run(batch_csv, tmp_path / "a.csv", models_dir, adapt=True)
    run(batch_csv, tmp_path / "b.csv", models_dir, adapt=True)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_an_unsuited_input_is_labelled_with_the_base_model_and_says_why(tmp_path, models_dir, make_batch):
    """A file of a handful of postings is labelled with the base model, and the summary gives the reason."""
    src = write_batch(tmp_path / "few.csv", make_batch(4, 4))
    summary = run(src, tmp_path / "out.csv", models_dir, adapt=True)
    assert set(pd.read_csv(tmp_path / "out.csv")["model_version"]) == {read_metadata(models_dir)["model_version"]}
    assert any(note.startswith("adaptation: not done") and "each role" in note for note in summary.notes)


def test_resume_labels_on_with_the_model_it_adapted(tmp_path, batch_csv, models_dir, stop_after):
    """An interrupted --adapt job resumes with the same adapted model, and every row is written once."""
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        run(batch_csv, out, models_dir, adapt=True, chunk_rows=40, progress=stop_after(80))
    assert (workdir_for(out) / "adapted.json").is_file()
    logs = []
    label_file(
        batch_csv,
        out,
        text_column="text",
        model_dir=models_dir,
        workers=0,
        adapt=True,
        resume=True,
        log=logs.append,
    )
    resumed = pd.read_csv(out)
    assert resumed["id"].tolist() == list(range(240)) and resumed["model_version"].nunique() == 1
    assert any("resuming with the model adapted" in line for line in logs)
    run(batch_csv, tmp_path / "whole.csv", models_dir, adapt=True)
    pd.testing.assert_frame_equal(resumed, pd.read_csv(tmp_path / "whole.csv"))


def test_a_big_run_without_adapt_mentions_it_once(tmp_path, models_dir, make_batch):
    """Labelling 1,000 rows or more without --adapt says once what --adapt would do; smaller runs do not."""
    big = write_batch(tmp_path / "big.csv", make_batch(500, 500))
    small = write_batch(tmp_path / "small.csv", make_batch(5, 5))
    assert run(big, tmp_path / "big_out.csv", models_dir).notes == [SUGGESTION]
    assert run(small, tmp_path / "small_out.csv", models_dir).notes == []


@pytest.mark.parametrize(
    "content",
    [
        'id,text\n1,"one\nposting, quoted"\n2,two\n3,\n4,"say ""hi"""\n',
        "id,text\n1,one\n2,two,extra\n3,three\n",  # a ragged line: read as labelling reads it
        "id,text\n1,caf\xe9\n2,two\n",  # not UTF-8: read as labelling reads it
    ],
    ids=["quoted", "ragged", "latin-1"],
)
def test_the_sample_is_drawn_from_the_texts_labelling_reads(tmp_path, content):
    """The texts --adapt samples from are the non-empty texts the labelling reader reads, whatever the reader used."""
    from labelling.adapting import sample
    from labelling.readers import open_reader

    src = tmp_path / "in.csv"
    src.write_bytes(content.encode("latin-1"))
    reader = open_reader(src, 2, "utf-8")
    expected = []
    for chunk in reader:
        table = chunk.parse().table
        expected += [t for t in table.column("text").to_pylist() if isinstance(t, str) and t.strip()]
    reader.close()
    assert sample(src, "text", "utf-8") == (expected, len(expected))
