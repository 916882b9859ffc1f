"""Behavioural tests of the scope answer: other work is out, neighbouring data jobs adjacent, DS/ML work in."""

import json

import numpy as np
import pytest

from tests.conftest import DATA

SCOPED = [json.loads(line) for line in (DATA / "samples" / "scope.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("sample", SCOPED, ids=[f"{s['scope']}-{s['text'][:24]}" for s in SCOPED])
def test_hand_written_texts_get_their_scope(model, sample):
    """Postings and resumes of other jobs are out, analyst and data-engineer texts adjacent, DS/ML texts in."""
    pred = model.explain([sample["text"]], [sample["kind"]])[0]
    assert pred.scope == sample["scope"]


def test_role_samples_are_in_scope(model, samples):
    """Every hand-written posting and resume of the two roles is in scope."""
    preds = model.explain([s["text"] for s in samples], reasons=False)
    assert [p.scope for p in preds] == ["in"] * len(samples)


def test_out_of_scope_text_never_leans_moderate_or_strong(model):
    """A text out of scope keeps its label and probabilities but leans slight at most."""
    text = next(s["text"] for s in SCOPED if s["text"].startswith("DevOps Engineer"))
    pred = model.explain([text])[0]
    p_winner = pred.probabilities[pred.label]
    assert pred.scope == "out"
    assert pred.lean == "slight"
    assert model.lean_of(0.99, "out") == "slight" and model.lean_of(0.99, "in") == "strong"
    assert pred.label == model.predict([text])[0] and p_winner == pytest.approx(model.predict_proba([text]).max())


def test_ml_duties_raise_p_in_scope(model):
    """Adding model training and deployment duties to a software posting raises p_in_scope."""
    base = next(s["text"] for s in SCOPED if s["text"].startswith("We are hiring a Backend"))
    more = base + " You will also train machine learning models, deploy them to production and monitor model drift."
    p_base, p_more = (p.p_in_scope for p in model.explain([base, more], reasons=False))
    assert p_more > p_base


def test_company_ai_line_does_not_bring_a_software_posting_into_scope(model):
    """A line on the company's AI products leaves a backend software posting out of scope."""
    base = next(s["text"] for s in SCOPED if s["text"].startswith("We are hiring a Backend"))
    about = "Our company uses machine learning and AI to help banks spot fraud. "
    assert [p.scope for p in model.explain([base, about + base], reasons=False)] == ["out", "out"]


def test_company_paragraph_on_ai_does_not_bring_a_software_posting_into_scope(model):
    """An About-us paragraph of several sentences on the company's AI leaves a backend software posting out of scope."""
    base = next(s["text"] for s in SCOPED if s["text"].startswith("We are hiring a Backend"))
    about = (
        "About us\nLumen Labs is an AI company. Our deep learning models read medical scans, and our "
        "research team publishes on computer vision and large language models.\n"
    )
    assert [p.scope for p in model.explain([about + base, base + "\n" + about], reasons=False)] == ["out", "out"]


def test_name_change_does_not_move_scope(model):
    """Changing the person's name in a resume leaves its scope and barely moves p_in_scope."""
    text = next(s["text"] for s in SCOPED if s["text"].startswith("Lena Fischer"))
    a, b = model.explain([text, text.replace("Lena Fischer", "Kwame Mensah")], reasons=False)
    assert a.scope == b.scope and abs(a.p_in_scope - b.p_in_scope) < 0.02


def test_scope_evidence_names_features_with_signs(model):
    """Scope evidence lists features of the text; the in-scope sample's strongest pushes towards in."""
    text = next(s["text"] for s in SCOPED if s["scope"] == "in")
    pred = model.explain([text])[0]
    assert pred.scope_evidence and pred.scope_evidence[0][1] > 0
    out = pred.to_dict()
    assert out["scope"] == "in" and 0 <= out["p_in_scope"] <= 1
    assert out["scope_evidence"][0] == {"feature": pred.scope_evidence[0][0], "contribution": pred.scope_evidence[0][1]}


def test_assess_matches_explain(model):
    """``assess`` (one analysis for both models) gives the answers of each model run on its own."""
    texts = [s["text"] for s in SCOPED]
    proba, scopes, p_in = model.assess(texts)
    preds = model.explain(texts, reasons=False)
    assert list(scopes) == [p.scope for p in preds]
    assert list(p_in) == pytest.approx([p.p_in_scope for p in preds])
    assert proba == pytest.approx(model.predict_proba(texts))
    assert list(p_in) == pytest.approx(list(model.scope_.p_in_scope(model.scope_.predict_proba(texts))))


def test_scope_evidence_from_the_shared_analysis_matches_the_scope_model_alone(model):
    """Scope evidence read off explain's one analysis is what the scope model finds analysing each text itself."""
    texts = [s["text"] for s in SCOPED]
    for text, pred in zip(texts, model.explain(texts)):
        alone = model.scope_.evidence(text, kind=pred.kind)
        assert [f for f, _ in pred.scope_evidence] == [f for f, _ in alone]
        assert [c for _, c in pred.scope_evidence] == pytest.approx([c for _, c in alone], rel=1e-5)


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_shared_analysis_serves_scope_models_of_words_and_of_pairs(model, ngram_range):
    """Scope models of words (saved before pairs) and of pairs answer from the shared analysis as on their own."""
    import copy

    from classifier.scope import ScopeClassifier

    texts, scopes = [s["text"] for s in SCOPED], [s["scope"] for s in SCOPED]
    refit = copy.deepcopy(model).fit_scope(texts, scopes, ScopeClassifier(ngram_range=ngram_range, min_df=1))
    _, _, p_in = refit.assess(texts)
    assert list(p_in) == pytest.approx(list(refit.scope_.p_in_scope(refit.scope_.predict_proba(texts))), rel=1e-5)
    for text, pred in zip(texts, refit.explain(texts)):
        assert [f for f, _ in pred.scope_evidence] == [f for f, _ in refit.scope_.evidence(text, kind=pred.kind)]


def test_self_trained_model_reads_scope_from_its_one_analysis(model):
    """A model with a corpus block answers scope from the same analysis as the scope model alone would."""
    import copy

    from classifier.lexicon import Lexicon
    from training.examples import generate_examples, load_roles, load_templates

    roles, templates = load_roles(DATA / "roles.toml"), load_templates(DATA / "templates.toml")
    corpus = generate_examples(roles, Lexicon.from_dir(DATA / "lexicon"), templates, n_per_role=60, seed=7)
    self_trained = copy.deepcopy(model).fit_corpus([e.text for e in corpus], [e.label for e in corpus])
    texts = [s["text"] for s in SCOPED]
    proba, _, p_in = self_trained.assess(texts)
    assert proba == pytest.approx(self_trained.predict_proba(texts))
    alone = self_trained.scope_.p_in_scope(self_trained.scope_.predict_proba(texts))
    assert list(p_in) == pytest.approx(list(alone), rel=1e-5)
    for text, pred in zip(texts, self_trained.explain(texts)):
        assert [f for f, _ in pred.scope_evidence] == [f for f, _ in self_trained.scope_.evidence(text, kind=pred.kind)]


def test_the_opening_tokens_reach_the_scope_answer_and_never_the_role_rows(model):
    """make train reads roles named in a text's opening for scope only: the role rows are the role model's own."""
    texts = [
        "Data Scientist wanted. You will run experiments and build statistical models for our product teams.",
        "We build software for hospitals. You will write Java services used by our data scientists.",
    ]
    assert model.scope_.opening > 0 and "opening_role_data_scientist" in model.scope_.vocabulary_
    assert not any(g.startswith("opening_") for g in model.vectorizer_.vocabulary_)
    rows, scopes, p_in = model.features_and_scope(texts)
    assert (rows != model.features(texts)).nnz == 0
    words = model.scope_.features_of(texts)
    assert words[0, model.scope_.vocabulary_["opening_role_data_scientist"]] > 0
    assert words[0, model.scope_.vocabulary_["opening_experiment"]] > 0  # the words of the opening too
    assert list(p_in) == pytest.approx(list(model.scope_.p_in_scope(model.scope_.predict_proba_features(words))))


def test_training_reads_scope_without_idf(model):
    """make train fits the scope model on n-gram counts alone: use_idf off and every IDF 1."""
    assert model.scope_.use_idf is False
    assert np.all(model.scope_.idf_ == 1.0)


def test_training_leaves_out_the_words_of_every_texts_frame(model):
    """make train's scope model reads no word that half the texts of every scope carry ("team", "work")."""
    assert model.scope_.frame_share == 0.5
    assert not {"team", "work", "experience"} & set(model.scope_.vocabulary_)
    assert {"model", "deploy", "nurse"} <= set(model.scope_.vocabulary_)
