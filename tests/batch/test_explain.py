"""Batch explanations: evidence is what /classify finds, written as in the text; top features as the model's."""

import copy

import pandas as pd
import pyarrow as pa

from labelling import label_file, scoring
from labelling.explain import BatchExplainer
from labelling.scoring import Scorer

from .conftest import write_csv


def phrases(line: str) -> list[tuple[str, str]]:
    """The (phrase, role) items of an evidence cell."""
    return [tuple(item.rsplit(" (", 1)) for item in line.split("; ") if item]


def test_batch_evidence_is_the_evidence_model_explain_finds(model, samples):
    """Every batch phrase is a /classify evidence phrase of that text, with its role; the heaviest are kept."""
    texts = [s["text"] for s in samples]
    evidence, _ = BatchExplainer(model, top_k=100).describe(texts, model.features(texts))
    for text, line, pred in zip(texts, evidence, model.explain(texts)):
        expected = {(" ".join(e.phrase.split()).lower(), e.role) for e in pred.evidence if e.weight > 0}
        got = {(p.lower(), role[:-1]) for p, role in phrases(line) if role != "colleague)"}
        assert expected and got == expected, text[:60]


def test_evidence_phrases_occur_in_the_text_as_written(model):
    """'ML Platform Engineer' is named as written, and a phrase the text lacks is never named."""
    texts = [
        "ML Platform Engineer: you will deploy models and keep our feature store healthy.",
        "We design software for hospitals; you will build dashboards and run A/B tests.",
    ]
    evidence, _ = BatchExplainer(model).describe(texts, model.features(texts))
    assert ("ML Platform Engineer", "ml_engineer)") in phrases(evidence[0])
    assert "machine learning engineer" not in evidence[0].lower()
    assert "software design" not in evidence[1].lower()
    for text, line in zip(texts, evidence):
        assert line and all(p in text for p, _ in phrases(line))


def test_label_explain_writes_the_evidence_column_from_the_text(tmp_path, models_dir):
    """`--explain` output names phrases found in each row's own text, and none for a blank row."""
    text = "ML Platform Engineer\nYou will deploy\nmodels to production on Kubernetes."
    src = write_csv(tmp_path / "in.csv", [{"text": text}, {"text": " "}])
    label_file(src, tmp_path / "out.csv", text_column="text", model_dir=models_dir, workers=0, explain=True)
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    found = phrases(out["evidence"][0])
    assert ("ML Platform Engineer", "ml_engineer)") in found
    assert all(p in " ".join(text.split()) for p, _ in found) and ("deploy models", "ml_engineer)") in found
    assert out["evidence"][1] == ""


def test_top_features_name_the_role_each_feature_pushes_towards(model, samples):
    """The heaviest feature of a plain posting of a role points to that role."""
    texts = [s["text"] for s in samples]
    _, top = BatchExplainer(model).describe(texts, model.features(texts))
    for sample, line in zip(samples, top):
        assert f"({sample['label']} " in line.split("; ")[0]


def test_explained_rows_score_as_plain_ones_whichever_cut_the_features_read(model, monkeypatch):
    """--explain's rows, slice by slice and around an empty row, score as plain rows do, whichever cut they read."""
    monkeypatch.setattr(scoring, "EXPLAIN_SLICE", 2)
    shared = "We deploy models with Kubernetes and run A/B tests; dashboards for the business."
    texts = [shared, "", shared.replace("with", "for ﬁnance with"), shared.replace("tests", "tests on x-a/b"), "Nurse."]
    plain = Scorer(model, "v").score(pa.array(texts)).to_pandas()
    explained = Scorer(model, "v", explain=True).score(pa.array(texts)).to_pandas()
    assert explained[plain.columns].equals(plain)
    assert plain["scope"].notna().sum() == 4 and plain["error"][1].startswith("empty text")
    assert [isinstance(e, str) and bool(e) for e in explained["evidence"]] == [True, False, True, True, False]
    assert "kubernetes" in explained["evidence"][0].lower()


def test_a_model_without_a_scope_answer_explains_rows_with_no_scope(model):
    """Rows labelled with --explain by a model saved before the scope answer have no scope and no p_in_scope."""
    old = copy.copy(model)
    old.scope_ = None
    out = Scorer(old, "v", explain=True).score(pa.array(["We deploy models with Kubernetes.", "Nurse."])).to_pandas()
    assert out["scope"].isna().all() and out["p_in_scope"].isna().all()
    assert out["label"].notna().all() and "kubernetes" in out["evidence"][0].lower()
