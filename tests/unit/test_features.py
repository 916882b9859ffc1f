import re

from hypothesis import given
from hypothesis import strategies as st

from classifier.features import LemmaAnalyzer, fold_ab


def test_spelling_and_inflection_fold_together():
    """British/American spellings and inflections give the same features."""
    analyse = LemmaAnalyzer((1, 2))
    assert analyse("Optimised visualisations") == analyse("optimizing visualization")


def test_technical_tokens_stay_whole():
    """Language and tool names with symbols survive tokenisation."""
    grams = LemmaAnalyzer((1, 1))("C++, C#, scikit-learn and R")
    assert {"c++", "c#", "scikit-learn", "r"} <= set(grams)


def test_analyzer_pickles_without_tables():
    """A pickled analyzer is small and works again after loading."""
    import pickle

    analyzer = LemmaAnalyzer((1, 2))
    analyzer("warm the tables")
    blob = pickle.dumps(analyzer)
    assert len(blob) < 500
    assert pickle.loads(blob)("deployed models") == ["deploy", "model", "deploy model"]


def test_compatibility_forms_fold_to_plain_letters():
    """Full-width letters and ligatures give the same features as plain text."""
    analyse = LemmaAnalyzer((1, 1))
    assert analyse("Ｐｙｔｈｏｎ and proﬁling") == analyse("Python and profiling")


def test_fast_transform_equals_scikit_learn(model):
    """The model's own TF-IDF transform gives scikit-learn's numbers, empty and unknown texts included."""
    import numpy as np

    from classifier.features import transform

    texts = [
        "",
        "nothing the model knows",
        "Deploy models to production; deploy again.",
        "SQL, A/B tests, Tableau " * 20,
        "",
    ]
    ours, theirs = transform(model.vectorizer_, texts), model.vectorizer_.transform(texts)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.abs((ours - theirs).toarray()).max() < 1e-6


def test_transform_of_two_vectorizers_is_each_block_side_by_side(model):
    """Two vectorizers sharing an analyzer give each one's own TF-IDF rows, side by side, from one pass."""
    import numpy as np
    import scipy.sparse as sp

    from classifier.features import FeatureBlocks, make_vectorizer

    texts = [
        "Deploy models to production.",
        "",
        "Run A/B tests and present insights in Tableau.",
        "zzz",
        "Deploy deploy deploy models, tests, tests.",
    ]
    second = make_vectorizer((1, 2), 1, model.vectorizer_.analyzer.phrases).fit(texts + ["deploy tests"])
    both = FeatureBlocks([model.vectorizer_, second]).transform(texts)
    apart = sp.hstack([model.vectorizer_.transform(texts), second.transform(texts)]).toarray()
    assert both.shape == apart.shape and np.abs(both.toarray() - apart).max() < 1e-6


@given(st.text(alphabet=["a", "/", "b", " ", "_", "é", "1", "²", "-", "A"], max_size=14))
def test_fold_ab_joins_a_b_only_where_it_is_a_word_of_its_own(text):
    """fold_ab writes "a/b" as "ab" exactly where the word-boundary regex would."""
    assert fold_ab(text) == re.sub(r"\ba/b\b", "ab", text)


def test_one_text_rows_are_their_own_and_equal_the_batch_rows(model):
    """A one-text feature row is a matrix of its own (no row shares another's arrays) equal to its row in a batch."""
    texts = ["Deploy models on Kubernetes and monitor drift.", "Run A/B tests and build Tableau dashboards."]
    first, second = (model.features([t]) for t in texts)
    batch = model.features(texts)
    assert (first != batch[0]).nnz == 0 and (second != batch[1]).nnz == 0
    assert first.data is not second.data and first.indices is not second.indices
    assert first.has_canonical_format and list(first.indices) == sorted(first.indices)


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "x", "y"]), max_size=8), max_size=6))
def test_counting_gives_each_texts_known_ngrams_once_with_their_counts(texts):
    """Each text's n-grams that the vocabulary holds come once each, with their counts, in id order."""
    from collections import Counter

    from classifier.features import _count

    vocabulary = {"a": 2, "b": 0, "c": 1}
    ids, counts, indptr = _count(vocabulary.get, len(vocabulary), iter(texts))
    assert len(indptr) == len(texts) + 1 and indptr[0] == 0
    for i, grams in enumerate(texts):
        row = slice(indptr[i], indptr[i + 1])
        found = dict(zip(ids[row].tolist(), counts[row].tolist()))
        assert found == Counter(vocabulary[g] for g in grams if g in vocabulary)
        assert ids[row].tolist() == sorted(found)


def test_one_block_rows_come_in_column_order_without_sorting(model):
    """A block's n-grams take ids in its column order, so its rows come out in column order even unsorted."""
    import pytest

    from classifier.features import FeatureBlocks

    texts = ["Run A/B tests, deploy models to production and build Tableau dashboards.", "", "SQL and Python"]
    rows = FeatureBlocks([model.vectorizer_], ordered=[False]).transform(texts)
    assert rows.nnz and all(list(r.indices) == sorted(r.indices) for r in rows)
    assert (rows != model.features(texts)).nnz == 0
    with pytest.raises(ValueError, match="one flag per group"):
        FeatureBlocks([model.vectorizer_], ordered=[True, False])


def test_a_short_texts_word_pairs_are_not_opening_words():
    """In a text shorter than the opening, only its words get opening tokens, not its word pairs."""
    grams = LemmaAnalyzer((1, 2), {}, opening=50)("Deploy models on Kubernetes with Python")
    opening = [g for g in grams if g.startswith("opening_")]
    assert opening == ["opening_deploy", "opening_model", "opening_kubernetes", "opening_python"]
    assert "deploy model" in grams
