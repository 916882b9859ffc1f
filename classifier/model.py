"""The estimator: TF-IDF lemma n-grams and a logistic regression, with explanations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from classifier.explain import Evidence, EvidenceFinder
from classifier.features import make_vectorizer
from classifier.lexicon import Lexicon
from classifier.text import detect_kind

LEANS = ("slight", "moderate", "strong")


@dataclass(frozen=True)
class Prediction:
    """What the model says about one text, and why."""

    label: str
    probabilities: dict[str, float]
    lean: str
    kind: str
    evidence: list[Evidence] = field(default_factory=list)
    top_features: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def lexicon_matched(self) -> bool:
        """Whether any lexicon phrase was found: without one, the evidence is the features alone."""
        return bool(self.evidence)


class RoleClassifier(ClassifierMixin, BaseEstimator):
    """Says whether texts lean towards one role or the other.

    Parameters
    ----------
    lexicon : Lexicon or None
        Phrases used for evidence; stored with the fitted model.
    C : float
        Inverse regularisation strength of the logistic regression.
    ngram_range : tuple of int
        Lemma n-gram sizes.
    min_df : int
        Ignore n-grams seen in fewer training texts than this.
    moderate_at, strong_at : float
        Probability of the winning role from which the lean is ``moderate`` and ``strong``;
        below ``moderate_at`` it is ``slight``.
    top_k : int
        How many model features ``explain`` reports per text.
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        C: float = 4.0,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        moderate_at: float = 0.65,
        strong_at: float = 0.85,
        top_k: int = 8,
    ):
        self.lexicon = lexicon
        self.C = C
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.moderate_at = moderate_at
        self.strong_at = strong_at
        self.top_k = top_k

    def fit(self, X: Sequence[str], y: Sequence[str]) -> "RoleClassifier":
        """Learn from texts ``X`` and role labels ``y``; returns ``self``."""
        if not 0.5 <= self.moderate_at <= self.strong_at <= 1.0:
            raise ValueError("need 0.5 <= moderate_at <= strong_at <= 1")
        y = np.asarray(y)
        if len(np.unique(y)) != 2:
            raise ValueError(f"need texts of exactly two roles, got {sorted(set(y))}")
        self.vectorizer_ = make_vectorizer(tuple(self.ngram_range), self.min_df)
        features = self.vectorizer_.fit_transform(X)
        self.clf_ = LogisticRegression(C=self.C, max_iter=2000)
        self.clf_.fit(features, y)
        self.classes_ = self.clf_.classes_
        self.feature_names_ = self.vectorizer_.get_feature_names_out()
        self.lexicon_ = self.lexicon if self.lexicon is not None else Lexicon(())
        return self

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Log-odds of ``classes_[1]``."""
        check_is_fitted(self)
        return self.clf_.decision_function(self.vectorizer_.transform(X))

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probability of each class in ``classes_`` order, one row per text."""
        check_is_fitted(self)
        return self.clf_.predict_proba(self.vectorizer_.transform(X))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """The more likely role of each text."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def lean_of(self, p_winner: float) -> str:
        """How strongly a text leans, from the probability of its winning role."""
        if p_winner >= self.strong_at:
            return "strong"
        return "moderate" if p_winner >= self.moderate_at else "slight"

    def explain(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> list[Prediction]:
        """Label, probabilities, lean, lexicon evidence and top features for each text.

        ``kinds`` gives "posting" or "resume" per text; ``None`` or "auto" guesses it.
        """
        check_is_fitted(self)
        X = list(X)
        features = self.vectorizer_.transform(X)
        proba = self.clf_.predict_proba(features)
        evidence = self._finder().find(X)
        kinds = list(kinds) if kinds is not None else [None] * len(X)
        names = self.feature_names_
        coef = self.clf_.coef_[0]
        out = []
        for i, text in enumerate(X):
            best = int(proba[i].argmax())
            row = features.getrow(i)
            contrib = row.data * coef[row.indices]
            order = np.argsort(-np.abs(contrib))[: self.top_k]
            top = [
                (str(names[row.indices[j]]), str(self.classes_[int(contrib[j] > 0)]), float(contrib[j]))
                for j in order
            ]
            kind = kinds[i] if kinds[i] not in (None, "auto") else detect_kind(text)
            out.append(
                Prediction(
                    label=str(self.classes_[best]),
                    probabilities={str(c): float(p) for c, p in zip(self.classes_, proba[i])},
                    lean=self.lean_of(float(proba[i, best])),
                    kind=kind,
                    evidence=evidence[i],
                    top_features=top,
                )
            )
        return out

    def _finder(self) -> EvidenceFinder:
        finder = self.__dict__.get("_evidence_finder")
        if finder is None:
            finder = self._evidence_finder = EvidenceFinder(self.lexicon_)
        return finder

    def __getstate__(self):
        # The spaCy pipeline is rebuilt after loading, never pickled.
        state = super().__getstate__()
        state.pop("_evidence_finder", None)
        return state
