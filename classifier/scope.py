"""Scope: is a text about data science or ML work at all, a neighbouring data job, or other work?

The role model always picks one of its two roles, so a nurse's posting needs a second
answer. ``ScopeClassifier`` gives it from lemma n-gram frequencies read off the same analysis
as the role model's (one analysis of the text serves both), learned from generated texts
of DS/ML work, of neighbouring data jobs and of other jobs. Only n-grams of job
descriptions are features (``vocabulary``): the words of the generating frames say
nothing about scope, and a text with none of the known n-grams (gibberish, a text about
no work) is ``out``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from classifier.derived import Derived
from classifier.features import OPENING, LemmaAnalyzer, as_is, openers_of, tfidf_of_analysed
from classifier.lexicon import Lexicon

SCOPES = ("adjacent", "in", "out")  # sorted, as ``classes_`` holds them
_ANSWERS = np.array(["in", "adjacent", "out"], dtype=object)  # what ``decide`` answers, by its code


class ScopeClassifier(Derived, ClassifierMixin, BaseEstimator):
    """Says whether texts are about DS/ML work (``in``), a neighbouring data job (``adjacent``) or other work (``out``).

    Parameters
    ----------
    lexicon : Lexicon or None
        The role lexicon: its role names become one token each, as in the role model.
    ngram_range : tuple of int
        Lemma n-gram sizes, (1, 1) or (1, 2): the role model passes on the words, or words and
        pairs, of its own analysis of the text. Training uses (1, 2), which reads real postings
        a little better.
    min_df : int
        N-grams found in fewer generated texts than this are left out.
    C : float
        Inverse regularisation strength of the logistic regression.
    in_at : float
        ``p_in_scope`` from which a text is ``in``.
    out_below : float
        Below ``in_at``, a text is ``out`` when its probability of being any data work
        (``in`` or ``adjacent``) is below this, else ``adjacent``.
    top_k : int
        How many features ``evidence`` reports per text.
    opening : int
        Each of a text's first ``opening`` words, and a role on offer named among them, also counts
        as a feature of its own (``opening_<word>``, ``opening_role_<label>``; see ``LemmaAnalyzer``):
        a posting says what the job is at its start, other work names DS/ML work further on. 0 (the
        default, as models saved before it were fitted) leaves them out; ``make train`` uses 50.
    use_idf : bool
        Weigh each n-gram by its inverse document frequency in the training texts. ``make train``
        turns it off: over generated texts the IDF says how many of the described jobs use a
        word, not how telling it is in a real posting, and as the regularised weights' prior
        it ranked real postings worse (README, "Is it about data science or ML work at all?").
        On by default, as models saved before it existed were fitted.
    frame_share : float or None
        An n-gram found in at least this share of the training texts of *every* scope is left out:
        it is a word of how any posting or resume is written ("team", "work", "experience"), and the
        weight it would get says only which generated texts happen to lack it (texts about no work
        do). None (the default, as models saved before it were fitted) keeps every n-gram; ``make
        train`` uses 0.5.
    vocabulary : sequence of str or None
        Phrases whose n-grams are the features (job titles, duties, skills); ``None``
        takes every n-gram found in ``min_df`` training texts.
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int = 3,
        C: float = 1.0,
        in_at: float = 0.5,
        out_below: float = 0.5,
        top_k: int = 6,
        use_idf: bool = True,
        vocabulary: Sequence[str] | None = None,
        opening: int = 0,
        frame_share: float | None = None,
    ):
        self.lexicon = lexicon
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.C = C
        self.in_at = in_at
        self.out_below = out_below
        self.top_k = top_k
        self.use_idf = use_idf
        self.vocabulary = vocabulary
        self.opening = opening
        self.frame_share = frame_share

    # --- fitting --------------------------------------------------------------------------

    def fit(self, X: Sequence[str], y: Sequence[str]) -> ScopeClassifier:
        """Learn from generated texts ``X`` labelled ``in``, ``adjacent`` or ``out``; returns ``self``."""
        if not 0 < self.in_at < 1 or not 0 < self.out_below < 1:
            raise ValueError("in_at and out_below must be in (0, 1)")
        y = np.asarray(y)
        unknown = sorted(set(map(str, np.unique(y))) - set(SCOPES))
        if unknown or len(np.unique(y)) != len(SCOPES):
            raise ValueError(f"scope labels must be each of {list(SCOPES)}, got {sorted(set(map(str, y)))}")
        lexicon = self.lexicon if self.lexicon is not None else Lexicon(())
        self.phrases_ = {
            label: [e.pattern for e in lexicon.for_label(label) if e.kind == "role_name"] for label in lexicon.roles
        }
        if not _is_count(self.opening):
            raise ValueError(f"opening must be a whole number >= 0, got {self.opening!r}")
        if not _is_share(self.frame_share):
            raise ValueError(f"frame_share must be None or a number in (0, 1], got {self.frame_share!r}")
        analyse = LemmaAnalyzer(tuple(self.ngram_range), self.phrases_, self.opening)
        grams = [analyse(t) for t in X]
        # Only the vocabulary and IDF (ones without ``use_idf``) are kept: texts arrive analysed.
        vocabulary = None
        if self.vocabulary is not None:
            vocabulary = sorted({g for phrase in self.vocabulary for g in analyse(phrase)})
        vectorizer = TfidfVectorizer(analyzer=as_is, min_df=self.min_df, vocabulary=vocabulary, use_idf=self.use_idf)
        names = vectorizer.fit(grams).get_feature_names_out()
        idf = vectorizer.idf_.astype(np.float64) if self.use_idf else np.ones(len(names))
        self.vocabulary_ = {str(g): j for j, g in enumerate(names)}
        self.idf_ = idf
        features = self._features_of(grams)
        if self.frame_share is not None:
            present = features > 0
            share = np.vstack([np.asarray(present[y == s].mean(axis=0)).ravel() for s in SCOPES]).min(axis=0)
            kept = share < self.frame_share
            if not kept.any():
                raise ValueError(f"frame_share={self.frame_share} leaves no n-gram to learn from: raise it or use None")
            names, self.idf_ = names[kept], idf[kept]
            self.vocabulary_ = {str(g): j for j, g in enumerate(names)}
            features = self._features_of(grams)
        clf = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced")
        clf.fit(features, y)
        self.classes_ = clf.classes_
        self.coef_ = clf.coef_.astype(np.float64)
        self.intercept_ = clf.intercept_.astype(np.float64)
        self.feature_names_ = names
        return self

    # --- features ---------------------------------------------------------------------------

    def analyse(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> list[list[str]]:
        """The lemma n-grams of each text, as the role model's analyzer makes them for its ``kinds``.

        ``kinds`` gives "posting", "resume" or None ("auto") per text: it decides which role
        names are the writer's own and which name colleagues, as in the role model.
        """
        check_is_fitted(self)
        analyse = self._derived("_analyse", self.analyzer, self.vocabulary_)
        return [analyse(t, k) for t, k in zip(X, kinds if kinds is not None else [None] * len(X))]

    def analyzer(self) -> LemmaAnalyzer:
        """The analyzer of this model's n-grams: the role model's, with the ``opening`` tokens it reads."""
        check_is_fitted(self)
        return LemmaAnalyzer(tuple(self.ngram_range), self.phrases_, self.opening, openers_of(self.vocabulary_))

    def _features_of(self, grams: Sequence[list[str]]) -> sp.csr_matrix:
        return tfidf_of_analysed(self.vocabulary_, self.idf_, grams)

    # --- predictions ----------------------------------------------------------------------------

    def predict_proba_grams(self, grams: Sequence[list[str]]) -> np.ndarray:
        """Probability of each scope in ``classes_`` order, from texts analysed into its n-grams."""
        return self.predict_proba_features(self._features_of(grams))

    def predict_proba_features(self, features) -> np.ndarray:
        """Probability of each scope in ``classes_`` order, from its feature rows."""
        check_is_fitted(self)
        return self._proba(features)

    def scope_and_p_in(self, features) -> tuple[np.ndarray, np.ndarray]:
        """``decide`` and ``p_in_scope`` of the ``predict_proba_features`` of feature rows, in one call
        (every answer of the service asks for both; the checks and look-ups are made once)."""
        check_is_fitted(self)
        proba = self._proba(features)
        return self._decide(proba), proba[:, self._in]

    def _proba(self, features) -> np.ndarray:
        # A sparse row times a dense matrix needs it in row order: a transposed view is copied whole
        # on every call, which cost a one-text answer more than the product itself.
        z = (
            features @ self._derived("_weights", lambda: np.ascontiguousarray(self.coef_.T), self.coef_)
            + self.intercept_
        )
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> np.ndarray:
        """Probability of each scope in ``classes_`` order, one row per text (``kinds`` as in ``analyse``)."""
        return self.predict_proba_features(self.features_of(X, kinds))

    def p_in_scope(self, proba: np.ndarray) -> np.ndarray:
        """The ``in`` column of ``predict_proba`` rows: the scope score."""
        return proba[:, self._in]

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """The scope of each row of ``predict_proba``: ``in``, ``adjacent`` or ``out``, by the thresholds."""
        check_is_fitted(self)
        return self._decide(proba)

    def _decide(self, proba: np.ndarray) -> np.ndarray:
        p_in = proba[:, self._in]
        p_data = p_in + proba[:, list(self.classes_).index("adjacent")]
        return _ANSWERS[np.where(p_in >= self.in_at, 0, np.where(p_data < self.out_below, 2, 1))]

    @property
    def _in(self) -> int:
        return list(self.classes_).index("in")

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """The scope of each text."""
        return self.decide(self.predict_proba(X))

    def evidence(self, text: str, k: int | None = None, kind: str | None = None) -> list[tuple[str, float]]:
        """The ``k`` features of ``text`` (of ``kind``) that moved it most towards or away from ``in``.

        Each is (feature, signed share): a positive share pushes towards ``in`` (DS/ML work), a
        negative one away from it. A word or role among the text's first ``opening`` words is one
        feature, its opening token's share added to its own.
        """
        return self.evidence_of(self.features_of([text], [kind]), 0, k)

    def evidence_of(self, features, i: int, k: int | None = None) -> list[tuple[str, float]]:
        """As :meth:`evidence`, from row ``i`` of feature rows already made (as ``predict_proba_features`` takes)."""
        check_is_fitted(self)
        lo, hi = features.indptr[i], features.indptr[i + 1]
        indices, data = features.indices[lo:hi], features.data[lo:hi]
        contrib = data * self._derived("_in_weights", self._weights_in, self.coef_)[indices]
        names, group = self._derived("_shown", self._shown, self.feature_names_)
        sums = np.bincount(group[indices], weights=contrib, minlength=len(names))
        shown = np.flatnonzero(sums)
        contrib = sums[shown]
        # Largest first, ties by name: the same list whatever order the row's columns come in.
        order = np.lexsort((shown, -np.abs(contrib)))[: self.top_k if k is None else k]
        return [(str(names[shown[j]]), float(contrib[j])) for j in order]

    def _shown(self) -> tuple[np.ndarray, np.ndarray]:
        # A word of the opening is one piece of evidence, its ``opening_`` feature's share added to the
        # word's own: the two weights are learnt together, and either alone can point the wrong way.
        names = [n[len(OPENING) :] if n.startswith(OPENING) else n for n in map(str, self.feature_names_)]
        shown, group = np.unique(np.array(names, dtype=object), return_inverse=True)
        return shown, group

    def _weights_in(self) -> np.ndarray:
        # The log-odds of ``in`` against the other two, feature by feature.
        col = list(self.classes_).index("in")
        others = [j for j in range(len(self.classes_)) if j != col]
        return self.coef_[col] - self.coef_[others].mean(axis=0)

    def features_of(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> sp.csr_matrix:
        """The feature rows of texts ``X`` (``kinds`` as in ``analyse``)."""
        return self._features_of(self.analyse(X, kinds))

    # --- state ----------------------------------------------------------------------------------

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted model as JSON-able config and named numeric arrays (see :meth:`from_state`)."""
        check_is_fitted(self)
        params = {k: v for k, v in self.get_params().items() if k not in ("lexicon", "vocabulary")}
        params["ngram_range"] = list(params["ngram_range"])
        names = list(self.vocabulary_)
        config = {
            "params": params,
            "classes": [str(c) for c in self.classes_],
            "phrases": self.phrases_,
            "vocabulary": names,
            "feature_names": [str(n) for n in self.feature_names_],
        }
        arrays = {"idf": self.idf_, "coef": self.coef_, "intercept": self.intercept_}
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> ScopeClassifier:
        """A fitted model rebuilt from :meth:`get_state`'s output; runs no code from the state."""
        params = dict(config["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        model = cls(**params)
        model.phrases_ = {str(k): [str(p) for p in v] for k, v in config["phrases"].items()}
        model.vocabulary_ = {str(g): j for j, g in enumerate(config["vocabulary"])}
        model.classes_ = np.array(config["classes"], dtype=object)
        model.feature_names_ = np.array(config["feature_names"], dtype=object)
        model.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        model.coef_ = np.asarray(arrays["coef"], dtype=np.float64)
        model.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
        n = len(model.vocabulary_)
        if list(model.classes_) != list(SCOPES):
            raise ValueError(f"the scope model's classes must be {list(SCOPES)}: retrain with `make train`")
        low, high = model.ngram_range
        if not 1 <= low <= high:
            raise ValueError("the scope model's ngram_range must be (low, high) with 1 <= low <= high: retrain")
        if not 0 < model.in_at < 1 or not 0 < model.out_below < 1:
            raise ValueError("the scope model's in_at and out_below must be in (0, 1): retrain with `make train`")
        if not isinstance(model.use_idf, bool):
            raise ValueError("the scope model's use_idf must be true or false: retrain with `make train`")
        if not _is_count(model.opening):
            raise ValueError("the scope model's opening must be a whole number >= 0: retrain with `make train`")
        if not _is_count(model.top_k):
            raise ValueError("the scope model's top_k must be a whole number >= 0: retrain with `make train`")
        if not _is_share(model.frame_share):
            raise ValueError("the scope model's frame_share must be null or a number in (0, 1]: retrain")
        shapes = (model.idf_.shape, model.coef_.shape, model.intercept_.shape, model.feature_names_.shape)
        if shapes != ((n,), (len(SCOPES), n), (len(SCOPES),), (n,)) or not all(
            np.all(np.isfinite(a)) for a in (model.idf_, model.coef_, model.intercept_)
        ):
            raise ValueError("scope state arrays do not match its vocabulary: retrain with `make train`")
        return model


def _is_count(value: Any) -> bool:
    """Whether ``value`` is a whole number >= 0 (a JSON ``true`` is not)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_share(value: Any) -> bool:
    """Whether ``value`` is None or a number in (0, 1] (a JSON ``true`` is not)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1)
