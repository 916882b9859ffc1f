"""Self-training on an unlabelled corpus."""

import csv
import json
from pathlib import Path

import pytest

from classifier.persist import METADATA_FILE, load_model
from training.selftrain import read_unlabeled
from training.train import train

DATA = Path(__file__).resolve().parents[2] / "data"


def write_corpus(path, texts, column="body"):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", column])
        writer.writeheader()
        writer.writerows({"id": i, column: t} for i, t in enumerate(texts))


def test_train_with_unlabeled_corpus_records_what_it_used(tmp_path, samples):
    """Training with an unlabelled corpus records its hash, rows, skipped blanks and rounds in metadata."""
    corpus = tmp_path / "corpus.csv"
    write_corpus(corpus, [s["text"] for s in samples] * 3 + ["   "])
    folder = train(DATA, tmp_path / "models", n_per_role=200, unlabeled=corpus, text_col="body", log=lambda _m: None)
    meta = json.loads((folder / METADATA_FILE).read_text())
    record = meta["self_training"]
    assert record["rows"] == 3 * len(samples) + 1 and record["empty_skipped"] == 1
    assert len(record["sha256"]) == 64 and record["text_col"] == "body"
    assert record["rounds"] and sum(record["rounds"][0]["kept"].values()) > 0
    model, _ = load_model(folder)
    assert list(model.predict([s["text"] for s in samples])) == [s["label"] for s in samples]


def test_missing_text_column_names_the_columns(tmp_path):
    """An unlabelled corpus without the text column is refused with the columns it has."""
    corpus = tmp_path / "corpus.csv"
    write_corpus(corpus, ["a posting"], column="description")
    with pytest.raises(ValueError, match=r"no column 'text'.*\['id', 'description'\].*TEXT_COL"):
        read_unlabeled(corpus, "text")


def test_lexicon_label_that_is_no_role_stops_training(tmp_path):
    """A lexicon line whose label is not a role of roles.toml stops training and names the label."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    with open(data / "lexicon" / "ml_engineer.jsonl", "a") as f:
        f.write('{"label": "ml_engineering", "pattern": "model serving", "weight": 2.0, "kind": "duty"}\n')
    with pytest.raises(ValueError, match=r"\['ml_engineering'\] are not roles"):
        train(data, tmp_path / "models", n_per_role=50, log=lambda _m: None)
    assert not (tmp_path / "models").exists()
