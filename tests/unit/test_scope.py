"""Unit tests of the scope estimator, its state and its generated examples."""

import json
import re

import numpy as np
import pytest

from tests.conftest import DATA

TEXTS = [
    "train machine learning models and deploy models",
    "statistical models and machine learning experiments",
    "build dashboards and sql reports for management",
    "kpi reports, sql queries and dashboards",
    "nursing care for patients on the ward",
    "repair heating systems at customer sites",
]
LABELS = ["in", "in", "adjacent", "adjacent", "out", "out"]


def _fitted(**params):
    return _fitted_on(TEXTS, **params)


def _fitted_on(texts, **params):
    from classifier.scope import ScopeClassifier

    return ScopeClassifier(min_df=1, **params).fit(texts * 3, LABELS * 3)


def test_fit_learns_the_three_scopes():
    """A scope model fitted on a few texts answers their scopes back."""
    model = _fitted()
    assert list(model.classes_) == ["adjacent", "in", "out"]
    assert list(model.predict(TEXTS)) == LABELS


def test_unfitted_scope_model_refuses():
    """An unfitted scope model raises NotFittedError instead of guessing."""
    from sklearn.exceptions import NotFittedError

    from classifier.scope import ScopeClassifier

    with pytest.raises(NotFittedError):
        ScopeClassifier().predict(["text"])


def test_fit_refuses_unknown_or_missing_scopes():
    """Labels other than in/adjacent/out, or a scope with no texts, are refused with the labels named."""
    from classifier.scope import ScopeClassifier

    with pytest.raises(ValueError, match="scope labels"):
        ScopeClassifier(min_df=1).fit(TEXTS, ["in", "in", "maybe", "adjacent", "out", "out"])
    with pytest.raises(ValueError, match="scope labels"):
        ScopeClassifier(min_df=1).fit(TEXTS[:2] + TEXTS[4:], ["in", "in", "out", "out"])


def test_thresholds_decide_the_answer():
    """in_at and out_below, parameters of the model, decide between in, adjacent and out."""
    model = _fitted()
    proba = np.array([[0.1, 0.6, 0.3], [0.45, 0.3, 0.25], [0.2, 0.2, 0.6]])  # adjacent, in, out
    assert list(model.decide(proba)) == ["in", "adjacent", "out"]
    model.set_params(in_at=0.7)
    assert list(model.decide(proba)) == ["adjacent", "adjacent", "out"]


def test_state_round_trip_gives_the_same_answers():
    """get_state gives JSON-able config and numpy arrays; from_state rebuilds a model with the same answers."""
    from classifier.scope import ScopeClassifier

    model = _fitted()
    config, arrays = model.get_state()
    config = json.loads(json.dumps(config))
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    again = ScopeClassifier.from_state(config, {k: a.copy() for k, a in arrays.items()})
    probe = [*TEXTS, "qwzx plorb", "deploy models to production"]
    np.testing.assert_allclose(again.predict_proba(probe), model.predict_proba(probe))
    assert list(again.predict(probe)) == list(model.predict(probe))
    assert again.evidence(probe[0]) == model.evidence(probe[0])


def test_from_state_refuses_arrays_that_do_not_match():
    """Arrays of the wrong shape for the vocabulary are refused with what to do."""
    from classifier.scope import ScopeClassifier

    config, arrays = _fitted().get_state()
    with pytest.raises(ValueError, match="make train"):
        ScopeClassifier.from_state(config, {**arrays, "idf": arrays["idf"][:-1]})


def test_without_idf_a_text_is_read_by_its_word_counts_alone():
    """use_idf=False weighs every n-gram alike: a rare and a common word of one count get equal features."""
    model = _fitted(use_idf=False)
    assert np.all(model.idf_ == 1.0)
    row = model.features_of(["patients and models"]).toarray()[0]
    patient, model_ = model.vocabulary_["patient"], model.vocabulary_["model"]
    assert row[patient] == pytest.approx(row[model_]) and row[patient] > 0
    with_idf = _fitted().features_of(["patients and models"]).toarray()[0]
    assert with_idf[patient] > with_idf[model_]  # "model" is in more training texts


def test_a_state_saved_before_use_idf_loads_with_the_same_answers():
    """A scope state without use_idf (saved before it existed) loads and answers as the model it came from."""
    from classifier.scope import ScopeClassifier

    model = _fitted()
    config, arrays = model.get_state()
    del config["params"]["use_idf"]
    again = ScopeClassifier.from_state(config, arrays)
    np.testing.assert_allclose(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_from_state_refuses_a_use_idf_that_is_not_a_flag():
    """A state whose use_idf is not true or false is refused with what to do."""
    from classifier.scope import ScopeClassifier

    config, arrays = _fitted().get_state()
    config["params"]["use_idf"] = "no"
    with pytest.raises(ValueError, match="use_idf"):
        ScopeClassifier.from_state(config, arrays)


def test_a_state_saved_before_opening_loads_with_the_same_answers():
    """A scope state without opening (saved before it existed) loads with no opening tokens and the same answers."""
    from classifier.scope import ScopeClassifier

    model = _fitted()
    config, arrays = model.get_state()
    del config["params"]["opening"]
    again = ScopeClassifier.from_state(config, arrays)
    assert again.opening == 0
    np.testing.assert_allclose(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


@pytest.mark.parametrize(
    ("param", "value"),
    [
        *(("opening", v) for v in (-1, 2.5, True, "50")),  # a whole number of words >= 0
        *(("frame_share", v) for v in (0, -0.5, 1.5, True, "0.5")),  # None or a share in (0, 1]
    ],
)
def test_a_parameter_out_of_its_range_is_refused(param, value):
    """A state or a fit with an opening or frame_share out of its range is refused, the parameter named."""
    from classifier.scope import ScopeClassifier

    config, arrays = _fitted().get_state()
    config["params"][param] = value
    with pytest.raises(ValueError, match=param):
        ScopeClassifier.from_state(config, arrays)
    with pytest.raises(ValueError, match=param):
        _fitted(**{param: value})


def test_a_role_or_word_in_the_opening_is_a_feature_of_its_own():
    """With opening, a role on offer or a word among the first words is one more feature; named later, it is not."""
    from classifier.lexicon import Lexicon, LexiconEntry
    from classifier.scope import ScopeClassifier

    lexicon = Lexicon((LexiconEntry("data scientist", "data_scientist", 3.0, "role_name"),))
    texts = ["data scientist " + t if label == "in" else t for t, label in zip(TEXTS, LABELS)]
    model = ScopeClassifier(lexicon=lexicon, min_df=1, opening=3).fit(texts * 3, LABELS * 3)
    early, late = model.analyse(
        ["Data scientist wanted: statistical models", "SQL reports, dashboards: a data scientist"]
    )
    assert {"opening_role_data_scientist", "opening_statistical"} <= set(early) and "opening_sql" not in early
    assert "role_data_scientist" in late and "opening_sql" in late  # the first three words only
    assert not {"opening_role_data_scientist", "opening_statistical"} & set(late)
    (colleague,) = model.analyse(["Support our data scientists"])
    assert "peer_data_scientist" in colleague and not any(g.startswith("opening_peer") for g in colleague)


def test_a_fitted_model_makes_only_the_opening_tokens_it_reads_and_the_same_rows():
    """Fitted, the analysis leaves out opening tokens the vocabulary lacks; the feature rows are those of them all."""
    from classifier.features import LemmaAnalyzer, tfidf_of_analysed

    model = _fitted(opening=3)
    text = "Train models, write quarterly reports for the ward"
    every = LemmaAnalyzer((1, 1), {}, opening=3)(text)
    (made,) = model.analyse([text])
    assert "opening_write" in every and "opening_write" not in made and "opening_train" in made
    expected = tfidf_of_analysed(model.vocabulary_, model.idf_, [every])
    assert (model.features_of([text]) != expected).nnz == 0


def test_a_word_of_the_opening_is_one_piece_of_evidence():
    """Scope evidence names a word of the opening once, its opening token's share added to the word's own."""
    model = _fitted(opening=3)
    text = "Train models, write quarterly reports for the ward"
    evidence = dict(model.evidence(text, k=50))
    assert evidence and not any(f.startswith("opening_") for f in evidence)
    row, vocabulary = model.features_of([text]), model.vocabulary_
    col = list(model.classes_).index("in")
    towards_in = model.coef_[col] - np.delete(model.coef_, col, axis=0).mean(axis=0)
    share = [row[0, vocabulary[g]] * towards_in[vocabulary[g]] for g in ("train", "opening_train")]
    assert all(share) and evidence["train"] == pytest.approx(sum(share))


def test_words_in_most_texts_of_every_scope_are_left_out_with_frame_share():
    """frame_share leaves out an n-gram found in that share of every scope's texts; one scope's common words stay."""
    texts = [f"team work {t}" for t in TEXTS]
    kept = _fitted_on(texts).vocabulary_
    framed = _fitted_on(texts, frame_share=0.5)
    assert {"team", "work"} <= set(kept)
    assert not {"team", "work"} & set(framed.vocabulary_)
    assert {"model", "sql", "patient"} <= set(framed.vocabulary_)  # common in one scope only
    assert len(framed.feature_names_) == len(framed.vocabulary_) == framed.coef_.shape[1]
    assert list(framed.predict(texts)) == LABELS


def test_a_frame_share_that_leaves_no_ngram_is_refused_with_what_to_do():
    """A frame_share low enough to leave out every n-gram is refused by name, not passed on to the learner."""
    with pytest.raises(ValueError, match="frame_share=0.01 leaves no n-gram"):
        _fitted_on(["same words"] * len(TEXTS), frame_share=0.01)


def test_a_state_saved_before_frame_share_loads_with_the_same_answers():
    """A scope state without frame_share (saved before it existed) loads and answers as the model it came from."""
    from classifier.scope import ScopeClassifier

    model = _fitted(frame_share=0.5)
    config, arrays = model.get_state()
    del config["params"]["frame_share"]
    again = ScopeClassifier.from_state(config, arrays)
    assert again.frame_share is None
    np.testing.assert_allclose(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_scope_examples_are_seeded_and_cover_every_scope():
    """The same seed gives the same texts; every scope gets a third of them."""
    from classifier.lexicon import Lexicon
    from training.examples import load_roles, load_templates
    from training.scope_examples import generate_scope_examples

    args = (
        DATA,
        load_templates(DATA / "templates.toml"),
        load_roles(DATA / "roles.toml"),
        Lexicon.from_dir(DATA / "lexicon"),
    )
    a, b = generate_scope_examples(*args, n=60, seed=3), generate_scope_examples(*args, n=60, seed=3)
    assert a == b
    assert {lab: sum(e.label == lab for e in a) for lab in ("in", "adjacent", "out")} == {
        "in": 20,
        "adjacent": 20,
        "out": 20,
    }
    assert a != generate_scope_examples(*args, n=60, seed=4)


def test_words_every_job_uses_appear_in_texts_of_every_scope(tmp_path):
    """The occupations file's shared work words fill texts of every scope at like rates (else they mark a scope)."""
    import shutil

    from classifier.lexicon import Lexicon
    from training.examples import load_roles, load_templates
    from training.scope_examples import generate_scope_examples

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "scope" / "occupations.toml"
    # The one list this test is about, swapped for a word no other file holds.
    text, n = re.subn(r"(?ms)^shared = \[.*?\]$", 'shared = ["zorblework"]', path.read_text(), count=1)
    assert n == 1
    path.write_text(text)
    examples = generate_scope_examples(
        data,
        load_templates(data / "templates.toml"),
        load_roles(data / "roles.toml"),
        Lexicon.from_dir(data / "lexicon"),
        n=600,
        seed=0,
    )
    rates = {
        scope: sum("zorblework" in e.text for e in examples if e.label == scope) / 200
        for scope in ("in", "adjacent", "out")
    }
    assert min(rates.values()) > 0 and max(rates.values()) < 2 * min(rates.values()), rates


@pytest.mark.parametrize(
    "table, message",
    [
        (
            '[x]\nscope = "maybe"\ntitles=["a"]\nfocus=["b"]\nresponsibilities=["c"]\nskills=["d"]\nphrases=["e"]\n',
            "scope =",
        ),
        ('[x]\nscope = "out"\ntitles=["a"]\nfocus=["b"]\nresponsibilities=["c"]\nskills=["d"]\n', "phrases"),
        (
            '[x]\nscope = "out"\nweight = -1\ntitles=["a"]\nfocus=["b"]\n'
            'responsibilities=["c"]\nskills=["d"]\nphrases=["e"]\n',
            "weight",
        ),
        (
            '[x]\nscope = "out"\ntitles=["a"]\nfocus=["b"]\nresponsibilities=["c"]\nskills=["d"]\nphrases=["e"]\n',
            "each scope",
        ),
    ],
)
def test_bad_occupations_file_names_the_problem(tmp_path, table, message):
    """A job without a valid scope, a list, a positive weight, or a file lacking a scope, is refused by name."""
    from training.scope_examples import load_occupations

    path = tmp_path / "occupations.toml"
    path.write_text(table)
    with pytest.raises(ValueError, match=message):
        load_occupations(path)
