"""Self-training on an unlabelled corpus."""

import csv
import gzip
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from classifier.lexicon import Lexicon
from classifier.model import RoleClassifier
from classifier.persist import METADATA_FILE, load_model
from training.examples import generate_examples, load_roles, load_templates
from training.selftrain import CANDIDATES_FILE, read_unlabeled, self_train
from training.train import train

DATA = Path(__file__).resolve().parents[2] / "data"


def seed_inputs():
    return load_roles(DATA / "roles.toml"), Lexicon.from_dir(DATA / "lexicon"), load_templates(DATA / "templates.toml")


def write_corpus(path, texts, column="body"):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", column])
        writer.writeheader()
        writer.writerows({"id": i, column: t} for i, t in enumerate(texts))


def write_labelled(path, samples, n_per_role=150):
    """A labelled CSV of made-up postings, the first ``n_per_role`` ML engineer, the rest data scientist."""
    texts = made_up_corpus(samples, n_per_role=n_per_role)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows((t, "ml_engineer" if k < n_per_role else "data_scientist") for k, t in enumerate(texts))
    return path


def made_up_corpus(samples, n_per_role=60, seed=0):
    """Real-looking texts of each role: sentences of our samples, shuffled, each role with a word no lexicon has."""
    rng = random.Random(seed)
    marker = {"ml_engineer": "We build everything on Zorbflux.", "data_scientist": "Our reports live in Quillmetry."}
    texts = []
    for label, word in marker.items():
        sentences = [s for x in samples if x["label"] == label for s in re.split(r"(?<=\.) ", x["text"])]
        texts += [" ".join([*rng.sample(sentences, 3), word]) for _ in range(n_per_role)]
    return texts


@pytest.fixture(scope="module")
def self_trained(samples):
    """A seeded model (no class prior) and the model it became by self-training on made_up_corpus."""
    examples = generate_examples(*seed_inputs(), n_per_role=200, seed=0)
    seeded = RoleClassifier(lexicon=seed_inputs()[1]).fit([e.text for e in examples], [e.label for e in examples])
    return seeded, self_train(seeded, made_up_corpus(samples), log=lambda _m: None)[0]


def test_train_with_unlabeled_corpus_records_what_it_used(tmp_path, samples):
    """Training with an unlabelled corpus records its hash, rows, skipped blanks and rounds in metadata."""
    corpus = tmp_path / "corpus.csv"
    texts = made_up_corpus(samples)
    write_corpus(corpus, [*texts, "   "])
    folder = train(DATA, tmp_path / "models", n_per_role=200, unlabeled=corpus, text_col="body", log=lambda _m: None)
    meta = json.loads((folder / METADATA_FILE).read_text())
    record = meta["self_training"]
    assert record["rows"] == len(texts) + 1 and record["empty_skipped"] == 1
    assert len(record["sha256"]) == 64 and record["text_col"] == "body"
    assert record["rounds"] and sum(record["rounds"][0]["kept"].values()) > 0
    assert meta["training"]["n_features"] > record["rounds"][-1]["corpus_features"] > 0
    model, _ = load_model(folder)
    assert list(model.predict([s["text"] for s in samples])) == [s["label"] for s in samples]


def test_self_training_writes_lexicon_candidates_a_person_can_paste(tmp_path, samples):
    """The words the corpus taught each role, and no word the lexicon has, are written as loadable lexicon lines."""
    corpus = tmp_path / "corpus.csv"
    texts = made_up_corpus(samples)
    write_corpus(corpus, texts)
    folder = train(DATA, tmp_path / "models", n_per_role=200, unlabeled=corpus, text_col="body", log=lambda _m: None)
    lexicon_dir = tmp_path / "lexicon"
    lexicon_dir.mkdir()
    (lexicon_dir / "candidates.jsonl").write_text((folder / CANDIDATES_FILE).read_text())
    candidates = Lexicon.from_dir(lexicon_dir)
    known = load_model(folder)[0].vectorizer_.vocabulary_  # the n-grams of our lexicon
    assert "zorbflux" in {e.pattern for e in candidates.for_label("ml_engineer")}
    assert "quillmetry" in {e.pattern for e in candidates.for_label("data_scientist")}
    assert not set(known) & {e.pattern for e in candidates.entries}
    written = " ".join(texts).lower()
    assert all(e.pattern in written for e in candidates.entries)  # the corpus's own wording, not lemmas


def test_self_training_learns_words_the_lexicon_lacks(self_trained, samples):
    """After self-training, words found only in one role's corpus texts move the lean towards that role."""
    seeded, model = self_trained
    probes = ["Zorbflux.", "Quillmetry."]
    assert seeded.predict_proba(probes)[:, 1] == pytest.approx([0.5, 0.5])
    ml = list(model.classes_).index("ml_engineer")
    p_ml = model.predict_proba(probes)[:, ml]
    assert p_ml[0] > 0.6 and p_ml[1] < 0.4
    assert model.explain(probes[:1])[0].top_features[0][:2] == ("zorbflux", "ml_engineer")
    assert seeded.corpus_ is None


def test_self_trained_model_gives_the_prior_to_a_text_with_no_known_feature(samples):
    """A text with no n-gram either block knows gets exactly the class prior, as from the seeded model."""
    examples = generate_examples(*seed_inputs(), n_per_role=200, seed=0)
    prior = {"ml_engineer": 0.25, "data_scientist": 0.75}
    seeded = RoleClassifier(lexicon=seed_inputs()[1], class_prior=prior)
    seeded.fit([e.text for e in examples], [e.label for e in examples])
    model, _ = self_train(seeded, made_up_corpus(samples), log=lambda _m: None)
    ml = list(model.classes_).index("ml_engineer")
    assert model.predict_proba(["Lorem ipsum dolor.", ""])[:, ml] == pytest.approx([0.25, 0.25])
    assert model.predict_proba(["Zorbflux."])[0, ml] > 0.25


def test_contributions_sum_each_ngram_over_both_blocks(self_trained, samples):
    """Each reported contribution is the n-gram's feature value times its weight, summed over both blocks."""
    _, model = self_trained
    text = "We deploy models on Kubernetes with Zorbflux and run A/B tests in Quillmetry."
    row = model.features([text])
    expected: dict[str, float] = {}
    for j, value in zip(row.indices, row.data):
        name = str(model.feature_names_[j])
        expected[name] = expected.get(name, 0.0) + float(value * model.coef_[j])
    assert len(set(map(str, model.feature_names_[row.indices]))) < row.nnz  # some n-gram is in both blocks
    got = model.contributions(row, 0, row.nnz)
    assert {name: c for name, _, c in got} == pytest.approx(expected, abs=1e-6)
    assert all(role == ("ml_engineer" if c > 0 else "data_scientist") for _, role, c in got)
    assert sum(c for _, _, c in got) == pytest.approx(float(model.decision_function([text])[0] - model.intercept_))


def test_corpus_too_small_for_one_role_says_what_to_give(tmp_path, samples):
    """A corpus with too few confident texts of a role stops training and says to give a larger corpus."""
    corpus = tmp_path / "corpus.csv"
    write_corpus(corpus, [s["text"] for s in samples] * 2)
    with pytest.raises(
        ValueError, match=r"of the 12 corpus texts, .* were labelled.*at least 50 of each.*larger corpus"
    ):
        train(DATA, tmp_path / "models", n_per_role=100, unlabeled=corpus, text_col="body", log=lambda _m: None)
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("suffix", [".csv.gz", ".parquet"])
def test_gzip_and_parquet_corpora_are_read_like_csv(tmp_path, suffix):
    """An unlabelled corpus in CSV.gz or Parquet gives the same texts and counts as the CSV."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = ["Deploy models.", "", "Run A/B tests."]
    path = tmp_path / f"corpus{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.table({"id": [1, 2, 3], "body": rows}), path)
    else:
        write_corpus(tmp_path / "plain.csv", rows)
        path.write_bytes(gzip.compress((tmp_path / "plain.csv").read_bytes()))
    texts, info = read_unlabeled(path, "body")
    assert texts == ["Deploy models.", "Run A/B tests."] and info["rows"] == 3 and info["empty_skipped"] == 1


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty: give a CSV with a header row"),
        (b"id,body\n", "has a header but no rows"),
        (None, "is a folder"),
    ],
)
def test_unusable_corpus_files_say_what_is_wrong(tmp_path, content, words):
    """An empty corpus file, one with only a header, or a folder is refused with what to give instead."""
    path = tmp_path / "corpus.csv"
    path.mkdir() if content is None else path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        read_unlabeled(path, "body")


def test_undecodable_corpus_rows_are_counted_and_another_encoding_read(tmp_path):
    """Rows with bytes that are not UTF-8 are counted; read as latin-1 they come back whole."""
    path = tmp_path / "corpus.csv"
    path.write_bytes("id,body\n1,Café analytics\n2,Deploy models\n".encode("latin-1"))
    texts, info = read_unlabeled(path, "body")
    assert info["undecodable_rows"] == 1 and texts[0] == "Caf\ufffd analytics"
    texts, info = read_unlabeled(path, "body", encoding="latin-1")
    assert info["undecodable_rows"] == 0 and texts[0] == "Café analytics"


def test_the_evaluation_file_is_never_the_corpus(tmp_path, samples):
    """Self-training on the texts the model is scored on is refused, also from a copy in another format."""
    labelled = tmp_path / "eval.csv"
    with open(labelled, "w", newline="") as f:
        csv.writer(f).writerows([("text", "label"), *((s["text"], s["label"]) for s in samples)])
    copy = tmp_path / "copy.csv.gz"
    copy.write_bytes(gzip.compress(labelled.read_bytes()))
    for corpus in (labelled, copy):
        with pytest.raises(ValueError, match="are texts of the evaluation data"):
            train(DATA, tmp_path / "models", n_per_role=50, unlabeled=corpus, eval_data=labelled, log=lambda _m: None)


def test_retraining_without_the_corpus_warns_that_it_drops_it(tmp_path):
    """Retraining over a self-trained current model names the corpus it drops and the command that keeps it."""
    models = tmp_path / "models"
    (models / "earlier").mkdir(parents=True)
    meta = {"self_training": {"path": "my jobs.csv", "text_col": "body", "encoding": "latin-1"}}
    (models / "earlier" / METADATA_FILE).write_text(json.dumps(meta))
    (models / "current").symlink_to("earlier")
    lines = []
    train(DATA, models, n_per_role=50, log=lines.append)
    assert any("make train UNLABELED='my jobs.csv' TEXT_COL=body ENCODING=latin-1" in line for line in lines)
    lines.clear()
    train(DATA, models, n_per_role=50, log=lines.append)
    assert not any(line.startswith("warning") for line in lines)


def test_candidate_wordings_read_back_as_their_ngram_not_a_role_name(model):
    """A candidate's wording is one the analyzer turns into that n-gram, never a role name sharing its lemmas."""
    from training.selftrain import _wordings

    corpus = ["ML engineer wanted.", "Our ML engineer ships.", "A strong ML engineering culture."]
    wordings = _wordings({"ml engineer", "culture"}, corpus, model.vectorizer_.build_analyzer())
    assert wordings == {"ml engineer": "ml engineering", "culture": "culture"}


def test_corpus_file_problems_say_what_to_do(tmp_path):
    """A bad encoding name, a .gz that is not gzip and a non-text Parquet column each get a message."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = tmp_path / "corpus.csv"
    write_corpus(plain, ["Deploy models."])
    with pytest.raises(ValueError, match="unknown encoding 'latin-2x'"):
        read_unlabeled(plain, "body", encoding="latin-2x")
    fake = tmp_path / "corpus.csv.gz"
    fake.write_bytes(plain.read_bytes())
    with pytest.raises(ValueError, match="not gzip-compressed"):
        read_unlabeled(fake, "body")
    table = tmp_path / "corpus.parquet"
    pq.write_table(pa.table({"body": [b"Caf\xe9 analytics", None], "n": [1, 2]}), table)
    assert read_unlabeled(table, "body", encoding="latin-1")[0] == ["Café analytics"]
    with pytest.raises(ValueError, match="column 'n' holds int64, not text"):
        read_unlabeled(table, "n")


class _Fixed:
    """A stand-in model: the sure answer of ``answers`` for a text it knows, else data_scientist."""

    classes_ = np.array(["data_scientist", "ml_engineer"])

    def __init__(self, answers):
        self.answers = answers

    def predict_proba(self, texts):
        p = np.array([0.9 if self.answers.get(t) == "ml_engineer" else 0.1 for t in texts])
        return np.column_stack([1 - p, p])


def test_a_self_trained_model_that_scores_worse_is_flagged(tmp_path, samples):
    """With evaluation data, training reports both models' figures and warns only when self-training hurt."""
    from training.evaluate import mask_role_names, read_labelled
    from training.train import _score_eval_data

    labelled = tmp_path / "eval.csv"
    with open(labelled, "w", newline="") as f:
        csv.writer(f).writerows([("text", "label"), *((s["text"], s["label"]) for s in samples)])
    right = _Fixed({t: s["label"] for s in samples for t in (s["text"], mask_role_names(s["text"]))})
    wrong = _Fixed({})
    for model, seeded, warned in ((right, wrong, False), (wrong, right, True)):
        lines = []
        result = _score_eval_data(model, labelled, *read_labelled(labelled), lines.append, seeded=seeded)
        assert set(result) == {"raw", "masked", "seeded"}
        assert any(line.startswith("self-training: raw macro-F1") for line in lines)
        assert any(line.startswith("warning: the self-trained model") for line in lines) == warned


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


def test_batch_explanations_of_a_self_trained_model_match_its_own(self_trained, samples):
    """Batch top features of a self-trained model name the same n-grams and roles as model.explain."""
    from labelling.explain import BatchExplainer

    _, model = self_trained
    texts = made_up_corpus(samples, n_per_role=2, seed=1)
    _, top = BatchExplainer(model, top_k=model.top_k).describe(texts, model.features(texts))
    for line, pred in zip(top, model.explain(texts)):
        assert [item.rsplit(" (", 1)[0] for item in line.split("; ")] == [f for f, _, _ in pred.top_features]
        assert len({f for f, _, _ in pred.top_features}) == len(pred.top_features)


def test_halves_scores_seeded_and_self_trained_models_on_the_other_half(tmp_path, samples):
    """make eval-selftrain learns from each half's text and scores both models on the other half."""
    from training.halves import halves, main

    labelled = write_labelled(tmp_path / "labelled.csv", samples)
    lines = []
    means = halves(labelled, DATA, n_per_role=200, log=lines.append)
    assert [line.split(":")[0] for line in lines] == ["half 1"] * 2 + ["half 2"] * 2
    assert set(means) == {"seeded", "self-trained"}
    assert means["self-trained"][0] >= 0.95 and all(0 <= x <= 1 for x in means["seeded"])
    assert main([str(labelled), "--label-col", "role"]) == 2


@pytest.mark.parametrize(
    "texts, words",
    [
        (["You will deploy models to production on Kubernetes and monitor them every day of the week."] * 80, "repeat"),
        (["Data Scientist", "ML Engineer, remote", "Run A/B tests."] * 40, "fewer than 25 words"),
    ],
    ids=["copies", "one-liners"],
)
def test_a_corpus_that_would_teach_nothing_is_refused_before_training(tmp_path, texts, words):
    """A corpus of copies or one-liners is refused with the reason and its fix, and no model is saved."""
    corpus = tmp_path / "corpus.csv"
    write_corpus(corpus, texts)
    with pytest.raises(ValueError, match=words):
        train(DATA, tmp_path / "models", n_per_role=50, unlabeled=corpus, text_col="body", log=lambda _m: None)
    assert not (tmp_path / "models" / "current").exists()


def test_eval_adapt_scores_halves_and_the_whole_set(tmp_path, samples):
    """make eval-adapt adapts to each half and to the whole set, and scores the seeded and adapted models."""
    from training.halves import halves

    labelled = write_labelled(tmp_path / "labelled.csv", samples)
    lines = []
    means = halves(labelled, DATA, n_per_role=200, adapting=True, log=lines.append)
    assert set(means) == {"seeded", "adapted", "seeded, whole set", "adapted to the whole set"}
    assert sum("mix of roles found" in line for line in lines) == 3
    assert means["adapted to the whole set"][0] >= 0.95


def test_a_self_trained_model_that_scores_worse_is_kept_but_not_made_current(tmp_path, samples):
    """When self-training lowers macro-F1 on evaluation data, the new folder is kept; current stays unless accepted."""
    corpus = tmp_path / "corpus.csv"
    write_corpus(corpus, made_up_corpus(samples))
    # The corpus ties Zorbflux to ML engineer texts; this evaluation file says the opposite.
    labelled = tmp_path / "eval.csv"
    with open(labelled, "w", newline="") as f:
        rows = [(f"Team {k}. We build everything on Zorbflux.", "data_scientist") for k in range(6)]
        rows += [(f"Team {k}. Our reports live in Quillmetry.", "ml_engineer") for k in range(6)]
        csv.writer(f).writerows([("text", "label"), *rows])
    models = tmp_path / "models"
    seeded = train(DATA, models, n_per_role=200, log=lambda _m: None)
    lines = []
    kept = train(DATA, models, n_per_role=200, unlabeled=corpus, text_col="body", eval_data=labelled, log=lines.append)
    assert kept.is_dir() and (models / "current").resolve() == seeded.resolve()
    assert any("not made current" in line and "ACCEPT=1" in line for line in lines)
    accepted = train(
        DATA,
        models,
        n_per_role=200,
        unlabeled=corpus,
        text_col="body",
        eval_data=labelled,
        accept=True,
        log=lambda _m: None,
    )
    assert (models / "current").resolve() == accepted.resolve()


def test_lexicon_candidates_leave_out_numbers_and_words_both_roles_use(tmp_path, samples):
    """Candidates name neither numbers nor words that both roles' texts hold alike; role-specific words stay."""
    from training.selftrain import lexicon_candidates

    texts = [t + " Advanced support since 2019." for t in made_up_corpus(samples)]
    texts = [t + " Release 2024q4 is live." if "Zorbflux" in t else t for t in texts]
    examples = generate_examples(*seed_inputs(), n_per_role=200, seed=0)
    seeded = RoleClassifier(lexicon=seed_inputs()[1]).fit([e.text for e in examples], [e.label for e in examples])
    model = self_train(seeded, texts, log=lambda _m: None)[0]
    patterns = {c["pattern"] for c in lexicon_candidates(model, texts)}
    assert "zorbflux" in patterns
    assert not any(ch.isdigit() for p in patterns for ch in p)
    assert not {"advanced", "support", "advanced support"} & patterns


def test_training_scores_evaluation_data_by_the_columns_it_is_given(tmp_path, samples):
    """`train(eval_data=..., eval_columns=("body", "role"))` scores a file whose columns are not text and label."""
    labelled = tmp_path / "mine.csv"
    with open(labelled, "w", newline="") as f:
        csv.writer(f).writerows([("body", "role"), *((s["text"], s["label"]) for s in samples)])
    with pytest.raises(ValueError, match="no column 'text'"):
        train(DATA, tmp_path / "a", n_per_role=50, eval_data=labelled, log=lambda _m: None)
    folder = train(
        DATA, tmp_path / "b", n_per_role=50, eval_data=labelled, eval_columns=("body", "role"), log=lambda _m: None
    )
    scores = json.loads((folder / "metadata.json").read_text())["metrics"]["training"]["eval:mine.csv"]
    assert scores["raw"]["n"] == len(samples)


def test_eval_adapt_adapts_the_model_make_train_builds_scope_included(tmp_path, samples, monkeypatch):
    """make eval-adapt adapts a model with the scope answer, as label --adapt does: texts of other work left out."""
    import training.halves
    from training.adapt import adapt

    labelled = write_labelled(tmp_path / "labelled.csv", samples)
    bases = []
    monkeypatch.setattr(training.halves, "adapt", lambda base, *a, **kw: bases.append(base) or adapt(base, *a, **kw))
    training.halves.halves(labelled, DATA, n_per_role=200, adapting=True, log=lambda _m: None)
    assert bases and all(base.has_scope for base in bases)
