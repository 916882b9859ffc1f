"""The estimator: TF-IDF lemma n-grams and a logistic regression, with explanations.

A seeded model knows the n-grams of the lexicon only. ``fit_corpus`` adds a second block
of features, every n-gram of real (pseudo-labelled) texts, whose calibrated log-odds are
blended with the seeded ones; both stay one linear model over one analysis of the text.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from classifier.derived import Derived
from classifier.explain import Evidence, EvidenceFinder, cut, feature_tokens
from classifier.features import (
    FeatureBlocks,
    LemmaAnalyzer,
    make_vectorizer,
    openers_of,
    phrase_token,
    transform,
    vectorizer_from_state,
    vectorizer_state,
)
from classifier.lexicon import Lexicon, entry_from_row
from classifier.scope import ScopeClassifier
from classifier.text import detect_kind


@dataclass(frozen=True)
class Prediction:
    """What the model says about one text, and why."""

    label: str
    probabilities: dict[str, float]
    lean: str
    kind: str
    evidence: list[Evidence] = field(default_factory=list)
    top_features: list[tuple[str, str, float]] = field(default_factory=list)
    explained: bool = True  # false: evidence and top features were not looked for
    scope: str | None = None  # in, adjacent or out; None from a model without a scope answer
    p_in_scope: float | None = None
    scope_evidence: list[tuple[str, float]] = field(default_factory=list)

    @property
    def lexicon_matched(self) -> bool:
        """Whether any lexicon phrase was found: without one, the evidence is the features alone."""
        return bool(self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: what ``/classify`` and ``rolelens classify --json`` answer.

        Without an explanation, only the label, probabilities, lean, kind and scope.
        """
        out = {"label": self.label, "probabilities": self.probabilities, "lean": self.lean, "kind": self.kind}
        if self.scope is not None:
            out |= {"scope": self.scope, "p_in_scope": self.p_in_scope}
        if not self.explained:
            return out
        if self.scope is not None:
            out["scope_evidence"] = [{"feature": f, "contribution": c} for f, c in self.scope_evidence]
        return {
            **out,
            "lexicon_matched": self.lexicon_matched,
            "evidence": [
                {"phrase": e.phrase, "start": e.start, "end": e.end, "role": e.role, "weight": e.weight, "kind": e.kind}
                for e in self.evidence
            ],
            "top_features": [{"feature": f, "role": r, "contribution": c} for f, r, c in self.top_features],
        }


class RoleClassifier(Derived, ClassifierMixin, BaseEstimator):
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
        ``fit_corpus`` leaves out n-grams found in fewer of its texts than this.
    moderate_at, strong_at : float
        Probability of the winning role from which the lean is ``moderate`` and ``strong``;
        below ``moderate_at`` it is ``slight``. A text out of scope leans ``slight`` at most.
    top_k : int
        How many model features ``explain`` reports per text.
    class_prior : dict or None
        Expected share of each role among the texts the model will see. Training texts
        are balanced; the prior moves the log-odds to the real mix. ``None`` keeps the
        training mix.
    temperature : float
        Divides the log-odds before the prior is applied: above 1 softens probabilities
        learned from clean generated texts, which are surer than real text warrants.
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        C: float = 4.0,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        moderate_at: float = 0.8,
        strong_at: float = 0.95,
        top_k: int = 8,
        class_prior: dict[str, float] | None = None,
        temperature: float = 1.0,
    ):
        self.lexicon = lexicon
        self.C = C
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.moderate_at = moderate_at
        self.strong_at = strong_at
        self.top_k = top_k
        self.class_prior = class_prior
        self.temperature = temperature

    def fit(self, X: Sequence[str], y: Sequence[str], sample_weight: Sequence[float] | None = None) -> RoleClassifier:
        """Learn from generated texts ``X`` and role labels ``y`` (weighted by ``sample_weight``); returns ``self``.

        Weights are learned only for n-grams of lexicon phrases and role names, so that the
        words of the generating frames ("you will", "helped the team") cannot become signals.
        """
        if not 0.5 <= self.moderate_at <= self.strong_at <= 1.0:
            raise ValueError("need 0.5 <= moderate_at <= strong_at <= 1")
        y = np.asarray(y)
        if len(np.unique(y)) != 2:
            raise ValueError(f"need texts of exactly two roles, got {sorted(set(y))}")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0")
        self.lexicon_ = self.lexicon if self.lexicon is not None else Lexicon(())
        role_names = {
            label: [e.pattern for e in self.lexicon_.for_label(label) if e.kind == "role_name"]
            for label in self.lexicon_.roles
        }
        self.vectorizer_ = make_vectorizer(tuple(self.ngram_range), 1, role_names)
        analyse = self.vectorizer_.build_analyzer()
        # Colleague mentions ("with data scientists") are left out: no lexicon
        # phrase says which role they favour.
        vocab = {g for e in self.lexicon_.entries for g in analyse(e.pattern)}
        self.vectorizer_.set_params(vocabulary=sorted(vocab | {phrase_token(label) for label in role_names}))
        features = self.vectorizer_.fit_transform(X)
        # No intercept: with both roles weighed equally, a text with no known feature
        # should get exactly the prior.
        self.clf_ = LogisticRegression(C=self.C, max_iter=2000, fit_intercept=False)
        self.clf_.fit(features, y, sample_weight=_balanced(y, sample_weight))
        self.classes_ = self.clf_.classes_
        self.prior_shift_ = self._prior_shift()
        self.corpus_ = None
        self.scope_ = None
        self._blend()
        return self

    def fit_scope(self, X: Sequence[str], y: Sequence[str], scope: ScopeClassifier | None = None) -> RoleClassifier:
        """Learn the scope answer from texts ``X`` labelled ``in``, ``adjacent`` or ``out``; returns ``self``.

        ``scope`` gives the scope model's parameters (its lexicon is this model's, so that it
        reads role names alike and one analysis of a text serves both). Sets ``scope_``.
        """
        check_is_fitted(self)
        scope = clone(scope) if scope is not None else ScopeClassifier()
        scope.set_params(lexicon=self.lexicon_)
        self.scope_ = scope.fit(X, y)
        if self.scope_.phrases_ != self.vectorizer_.analyzer.phrases:
            raise ValueError("the scope model reads role names differently from the role model")
        return self

    def fit_corpus(
        self, X: Sequence[str], y: Sequence[str], weight: float = 0.5, folds: int = 5, min_per_role: int = 10
    ) -> RoleClassifier:
        """Learn a block of features from real texts ``X`` labelled ``y`` (by this model); returns ``self``.

        The block holds every n-gram found in at least ``min_df`` texts of ``X``, so it learns
        the words of real postings that the lexicon lacks. Its logistic regression weighs
        both roles equally, as the seeded one does, and its log-odds are calibrated on
        out-of-fold predictions (Platt, roles weighed equally too). The model's log-odds
        become ``(1 - weight) * seeded + weight * corpus``, then the prior is added once;
        a text with no known feature still gets exactly the prior. Fitting again replaces
        the block.
        """
        check_is_fitted(self)
        if not 0 < weight <= 1:
            raise ValueError("weight must be in (0, 1]")
        X, y = list(X), np.asarray(y)
        unknown = sorted(set(map(str, np.unique(y))) - set(map(str, self.classes_)))
        if unknown:
            raise ValueError(f"labels {unknown} are not roles of this model ({list(map(str, self.classes_))})")
        counts = {str(c): int((y == c).sum()) for c in self.classes_}
        if min(counts.values()) < max(min_per_role, folds):
            raise ValueError(
                f"learning from real texts needs at least {max(min_per_role, folds)} texts of each of "
                f"{list(map(str, self.classes_))}, got {counts}"
            )
        vectorizer = make_vectorizer(tuple(self.ngram_range), self.min_df, self.vectorizer_.analyzer.phrases)
        features = vectorizer.fit_transform(X)
        # Both roles weigh the same, as in the seeded block: the block gives a likelihood
        # ratio, and the prior is added once, after blending.
        clf = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced")
        out_of_fold = np.zeros(len(X))
        for fit_rows, held in StratifiedKFold(folds, shuffle=True, random_state=0).split(features, y):
            part = LogisticRegression(**clf.get_params()).fit(features[fit_rows], y[fit_rows])
            out_of_fold[held] = part.decision_function(features[held])
        # Fitted log-odds of texts the fit saw are too sure; held-out ones set the scale.
        scale, shift = _platt(out_of_fold, y == self.classes_[1])
        clf.fit(features, y)
        self.corpus_ = {
            "vectorizer": vectorizer,
            "coef": clf.coef_[0] * scale,
            "intercept": float(clf.intercept_[0] * scale + shift),
            "weight": weight,
            "scale": scale,
            "kept": counts,
        }
        self._blend()
        return self

    def _blend(self) -> None:
        # One coefficient vector over [lexicon block, corpus block]: predictions, contributions
        # and batch explanations all read the same numbers.
        self._forget()
        seeded = self.clf_.coef_[0] / self.temperature
        names = self.vectorizer_.get_feature_names_out()
        if self.corpus_ is None:
            self.coef_, self.intercept_ = seeded, self.clf_.intercept_[0] / self.temperature + self.prior_shift_
            self.feature_names_, self._same_name = names, None
            return
        block, w = self.corpus_, self.corpus_["weight"]
        self.coef_ = np.concatenate([(1 - w) * seeded, w * block["coef"]])
        seeded_intercept = self.clf_.intercept_[0] / self.temperature
        self.intercept_ = (1 - w) * seeded_intercept + w * block["intercept"] + self.prior_shift_
        corpus_names = block["vectorizer"].get_feature_names_out()
        self.feature_names_ = np.concatenate([names, corpus_names])
        # An n-gram in both blocks is reported once, its two contributions summed.
        first = {name: j for j, name in enumerate(names)}
        self._same_name = np.array(
            [*range(len(names)), *(first.get(n, len(names) + k) for k, n in enumerate(corpus_names))]
        )

    def features(self, X: Sequence[str], kinds: Sequence[str | None] | None = None):
        """The feature rows of texts ``X`` that ``predict_proba_features`` takes.

        ``kinds`` gives "posting" or "resume" per text; ``None`` or "auto" reads it off the
        text. It matters where a text names roles: a resume's own titles all count.
        """
        check_is_fitted(self)
        if self.corpus_ is None:
            return transform(self.vectorizer_, X, kinds)
        return self._corpus_blocks().transform(X, kinds)

    def _corpus_blocks(self) -> FeatureBlocks:
        return self._derived("_blocks", lambda: FeatureBlocks([self.vectorizer_, self.corpus_["vectorizer"]]))

    @property
    def has_scope(self) -> bool:
        """Whether this model answers scope (models trained before it was added do not)."""
        return getattr(self, "scope_", None) is not None

    def features_and_scope(
        self,
        X: Sequence[str],
        kinds: Sequence[str | None] | None = None,
        cuts: Sequence[list[str]] | None = None,
    ) -> tuple[Any, np.ndarray | None, np.ndarray | None]:
        """Feature rows (as ``features``), scope and ``p_in_scope`` of texts ``X``, from one analysis of each text.

        Scope and ``p_in_scope`` are None for a model without a scope answer. ``cuts`` may give the
        texts' :func:`~classifier.explain.cut`, where the evidence finder cut them already: the
        features then take their words from it rather than cut each text again.
        """
        check_is_fitted(self)
        X = list(X)
        tokens = None if cuts is None else list(map(feature_tokens, X, cuts))
        features, _, scopes, p_in, _ = self._scored(X, kinds, tokens=tokens)
        return features, scopes, p_in

    def _scored(
        self,
        X: list[str],
        kinds: Sequence[str | None] | None = None,
        read_kinds: bool = False,
        tokens: Sequence[list[str] | None] | None = None,
    ):
        """Role feature rows, scope feature rows, scope, ``p_in_scope`` and kinds of texts ``X``, each text
        analysed once for both models.

        The scope three are None without a scope model. The kinds are None unless ``read_kinds``:
        then each text's kind as given or, where None or "auto", read off its words in the same
        analysis. ``tokens`` may give texts' words cut already (see ``explain.feature_tokens``).
        """
        scope = self.scope_ if self.has_scope else None
        read = None
        if scope is not None and tuple(self.ngram_range) == (1, 2) and tuple(scope.ngram_range) in ((1, 1), (1, 2)):
            # The role analysis gives words and pairs: the scope vocabulary is one more block of the
            # same transform (analysing each text again cost a one-text answer a third more).
            role = [self.vectorizer_] if self.corpus_ is None else [self.vectorizer_, self.corpus_["vectorizer"]]
            blocks = self._derived(
                "_scope_blocks",
                # The scope rows feed a product and ``evidence_of``, which need no column order; putting
                # them in order took a fifth of the scope answer's cost.
                lambda: FeatureBlocks(
                    [*role, scope], groups=(len(role), 1), analyse=self._joint_analyzer(scope), ordered=(True, False)
                ),
                scope.vocabulary_,
            )
            if read_kinds:
                (features, words), read = blocks.transform_groups_and_kinds(X, kinds, tokens)
            else:
                features, words = blocks.transform_groups(X, kinds, tokens)
        else:  # a model of other n-grams, or none for scope: each block analyses the texts itself
            if read_kinds:
                given = kinds if kinds is not None else [None] * len(X)
                kinds = read = [k if k not in (None, "auto") else detect_kind(text) for k, text in zip(given, X)]
            features = self.features(X, kinds)
            words = None if scope is None else scope.features_of(X, kinds)
        if scope is None:
            return features, None, None, None, read
        scopes, p_in = scope.scope_and_p_in(words)
        return features, words, scopes, p_in, read

    def _joint_analyzer(self, scope: ScopeClassifier) -> LemmaAnalyzer:
        # The role analysis with the scope model's opening tokens, which no role vocabulary holds.
        analyzer = self.vectorizer_.analyzer
        if not scope.opening:
            return analyzer
        return LemmaAnalyzer(analyzer.ngram_range, analyzer.phrases, scope.opening, openers_of(scope.vocabulary_))

    def assess(
        self, X: Sequence[str], kinds: Sequence[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Role probabilities, scope and ``p_in_scope`` of texts ``X``, from one analysis of each text.

        Scope and ``p_in_scope`` are None for a model without a scope answer.
        """
        features, scopes, p_in = self.features_and_scope(X, kinds)
        return self._proba(features), scopes, p_in

    def with_prior(self, class_prior: dict[str, float]) -> RoleClassifier:
        """A copy of this fitted model whose probabilities assume the roles' shares ``class_prior``.

        Only the prior moves: the learned weights, and so each text's likelihood ratio, stay.
        """
        check_is_fitted(self)
        out = copy.deepcopy(self)
        out.class_prior = {str(label): float(share) for label, share in class_prior.items()}
        out.prior_shift_ = out._prior_shift()
        out._blend()
        return out

    def _prior_shift(self) -> float:
        # Fitting weighs both roles equally, so the fitted log-odds are a likelihood
        # ratio whatever the training mix; the prior sets the mix the model expects.
        if not self.class_prior:
            return 0.0
        unknown = set(self.class_prior) - set(map(str, self.classes_))
        if unknown or not all(0 < self.class_prior.get(str(c), 0) < 1 for c in self.classes_):
            raise ValueError(f"class_prior needs a share in (0, 1) for each of {list(self.classes_)}")
        neg, pos = (self.class_prior[str(c)] for c in self.classes_)
        return float(np.log(pos / neg))

    def _log_odds(self, features) -> np.ndarray:
        z = features @ self.coef_ + self.intercept_
        if self.corpus_ is not None:
            # The corpus block's intercept is part of its calibration on real texts; a text
            # with no known feature says nothing, so it gets the prior, as from a seeded model.
            z[np.diff(features.indptr) == 0] = self.prior_shift_
        return z

    def _proba(self, features) -> np.ndarray:
        p = expit(self._log_odds(features))
        return np.column_stack([1 - p, p])

    def decision_function(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> np.ndarray:
        """Log-odds of ``classes_[1]``, after temperature and prior."""
        return self._log_odds(self.features(X, kinds))

    def predict_proba(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> np.ndarray:
        """Probability of each class in ``classes_`` order, one row per text (``kinds`` as in ``features``)."""
        return self._proba(self.features(X, kinds))

    def predict_proba_features(self, features) -> np.ndarray:
        """``predict_proba`` of feature rows already made from texts (batch explain reuses them)."""
        check_is_fitted(self)
        return self._proba(features)

    def predict(self, X: Sequence[str], kinds: Sequence[str | None] | None = None) -> np.ndarray:
        """The more likely role of each text."""
        proba = self.predict_proba(X, kinds)
        return self.classes_[proba.argmax(axis=1)]

    def lean_of(self, p_winner: float, scope: str | None = None) -> str:
        """How strongly a text leans, from the probability of its winning role; ``slight`` when ``scope`` is out."""
        if scope == "out" or p_winner < self.moderate_at:
            return "slight"
        return "strong" if p_winner >= self.strong_at else "moderate"

    def explain(
        self, X: Sequence[str], kinds: Sequence[str | None] | None = None, *, reasons: bool = True
    ) -> list[Prediction]:
        """Label, probabilities, lean, lexicon evidence and top features for each text.

        ``kinds`` gives "posting" or "resume" per text; ``None`` or "auto" guesses it.
        ``reasons=False`` leaves out evidence and top features (``explained`` is false):
        finding evidence costs about as much as the prediction itself on a long text.
        With a scope model (``fit_scope``), each prediction also says whether the text is
        about DS/ML work at all; a text out of scope leans ``slight`` at most.
        """
        check_is_fitted(self)
        X = list(X)
        # The evidence finder cuts each text into words and marks; the features' words are most
        # often those words less the marks, so the features take them rather than cut it again.
        cuts = list(map(cut, X)) if reasons else None
        tokens = list(map(feature_tokens, X, cuts)) if reasons else None
        features, words, scopes, p_in, kinds = self._scored(X, kinds, read_kinds=True, tokens=tokens)
        proba = self._proba(features)
        if scopes is None:
            scopes = p_in = [None] * len(X)
        evidence = self._finder().find(X, kinds, cuts) if reasons else None
        out = []
        for i, kind in enumerate(kinds):
            best = int(proba[i].argmax())
            out.append(
                Prediction(
                    label=str(self.classes_[best]),
                    probabilities={str(c): float(p) for c, p in zip(self.classes_, proba[i])},
                    lean=self.lean_of(float(proba[i, best]), scopes[i]),
                    kind=kind,
                    evidence=evidence[i] if reasons else [],
                    top_features=self._top_features(features, i) if reasons else [],
                    explained=reasons,
                    scope=scopes[i],
                    p_in_scope=None if p_in[i] is None else float(p_in[i]),
                    scope_evidence=self.scope_.evidence_of(words, i) if reasons and words is not None else [],
                )
            )
        return out

    def _top_features(self, features, i: int) -> list[tuple[str, str, float]]:
        return self.contributions(features, i, self.top_k)

    def contributions(self, features, i: int, k: int) -> list[tuple[str, str, float]]:
        """The ``k`` features of row ``i`` that moved its log-odds most: (n-gram, role it favours, signed share)."""
        lo, hi = features.indptr[i], features.indptr[i + 1]
        indices = features.indices[lo:hi]
        contrib = features.data[lo:hi] * self.coef_[indices]
        if self._same_name is not None:
            indices, where = np.unique(self._same_name[indices], return_inverse=True)
            contrib = np.bincount(where, weights=contrib, minlength=len(indices))
        order = np.argsort(-np.abs(contrib))[:k]
        names = self.feature_names_
        return [(str(names[indices[j]]), str(self.classes_[int(contrib[j] > 0)]), float(contrib[j])) for j in order]

    def _finder(self) -> EvidenceFinder:
        return self._derived("_evidence_finder", lambda: EvidenceFinder(self.lexicon_), self.lexicon_)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted model as plain data: a JSON-ready configuration and named numeric arrays.

        :meth:`from_state` rebuilds the same model from them; ``classifier.persist`` writes
        them as JSON and ``.npy`` files, so that loading a model never runs code. The spaCy
        pipeline and the evidence index are not part of it: they are rebuilt from the lexicon.

        Returns
        -------
        config : dict
            Parameters, lexicon entries, labels, vocabularies and the scalars of the fit.
        arrays : dict of str to numpy.ndarray
            ``seeded.idf``, ``seeded.coef`` and ``seeded.intercept``; ``corpus.idf`` and ``corpus.coef`` after
            ``fit_corpus``; the scope model's arrays prefixed ``scope.`` when it has one.
        """
        check_is_fitted(self)
        params = {k: v for k, v in self.get_params().items() if k != "lexicon"}
        seeded, seeded_idf = vectorizer_state(self.vectorizer_)
        config: dict[str, Any] = {
            "estimator": type(self).__name__,
            "params": {**params, "ngram_range": list(self.ngram_range)},
            "lexicon": [asdict(e) for e in self.lexicon_.entries],
            "classes": [str(c) for c in self.classes_],
            "prior_shift": float(self.prior_shift_),
            "seeded": seeded,
            "corpus": None,
        }
        # The intercept is an array too: its dtype (float32, as the features) is part of the arithmetic.
        arrays = {"seeded.idf": seeded_idf, "seeded.coef": self.clf_.coef_[0], "seeded.intercept": self.clf_.intercept_}
        if self.corpus_ is not None:
            block = self.corpus_
            corpus, arrays["corpus.idf"] = vectorizer_state(block["vectorizer"])
            arrays["corpus.coef"] = block["coef"]
            config["corpus"] = {
                **corpus,
                **{k: block[k] for k in ("intercept", "weight", "scale", "kept")},
            }
        scope = getattr(self, "scope_", None)
        if scope is not None:
            config["scope"], scope_arrays = scope.get_state()
            arrays.update({f"scope.{name}": a for name, a in scope_arrays.items()})
        return config, arrays

    @classmethod
    def from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> RoleClassifier:
        """The fitted model that :meth:`get_state` described.

        Raises
        ------
        ValueError
            When the configuration and arrays do not describe a model of this class
            (missing keys, wrong types, or sizes that do not fit together).
        """
        try:
            return cls._from_state(config, arrays)
        except (KeyError, TypeError, AttributeError, ImportError) as err:  # ImportError: a part this code lacks
            raise ValueError(
                f"the model data is incomplete or of the wrong type ({type(err).__name__}: {err})"
            ) from None

    @classmethod
    def _from_state(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> RoleClassifier:
        if config["estimator"] != cls.__name__:
            raise ValueError(f"the model data describe a {config['estimator']}, not a {cls.__name__}")
        lexicon = Lexicon(
            tuple(entry_from_row(row, f"lexicon entry {i}") for i, row in enumerate(config["lexicon"], 1))
        )
        params = {**config["params"], "ngram_range": tuple(config["params"]["ngram_range"])}
        model = cls(lexicon=lexicon, **params)
        if not 0.5 <= model.moderate_at <= model.strong_at <= 1.0 or not model.temperature > 0 or model.top_k < 0:
            raise ValueError("the model's parameters are out of range (moderate_at, strong_at, temperature, top_k)")
        model.lexicon_ = lexicon
        model.classes_ = np.asarray(config["classes"])
        if len(model.classes_) != 2:
            raise ValueError(f"a model has two roles, these data name {list(model.classes_)}")
        model.vectorizer_ = vectorizer_from_state(config["seeded"], arrays["seeded.idf"])
        model.clf_ = LogisticRegression(C=model.C, max_iter=2000, fit_intercept=False)
        model.clf_.coef_ = _weights(arrays["seeded.coef"], len(model.vectorizer_.vocabulary_))[None, :]
        model.clf_.intercept_ = _weights(arrays["seeded.intercept"], 1)
        model.clf_.classes_, model.clf_.n_features_in_ = model.classes_, model.clf_.coef_.shape[1]
        model.prior_shift_ = float(config["prior_shift"])
        model.corpus_ = None
        if config["corpus"] is not None:
            block = config["corpus"]
            vectorizer = vectorizer_from_state(block, arrays["corpus.idf"])
            model.corpus_ = {
                "vectorizer": vectorizer,
                "coef": _weights(arrays["corpus.coef"], len(vectorizer.vocabulary_)),
                "intercept": float(block["intercept"]),
                "weight": float(block["weight"]),
                "scale": float(block["scale"]),
                "kept": {str(k): int(v) for k, v in block["kept"].items()},
            }
        if config.get("scope") is not None:
            prefix = "scope."
            model.scope_ = ScopeClassifier.from_state(
                config["scope"], {k[len(prefix) :]: a for k, a in arrays.items() if k.startswith(prefix)}
            )
        model._blend()
        return model


def _weights(values: np.ndarray, n: int) -> np.ndarray:
    """``values`` checked to be ``n`` finite floats: one weight per feature."""
    if values.ndim != 1 or len(values) != n or values.dtype.kind != "f" or not np.all(np.isfinite(values)):
        raise ValueError(f"expected {n} finite weights (one per feature), got shape {values.shape}")
    return values


def _platt(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Scale and shift that calibrate ``scores`` (Platt), both roles weighed equally.

    The targets are Platt's (n + 1) / (n + 2) and 1 / (n + 2) rather than 1 and 0: a small
    corpus that the folds separate cleanly would otherwise get an unbounded scale. With the
    roles weighed equally, n is half the texts for both, so that the smoothing adds no prior.
    """
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    half = len(scores) / 2
    target = np.where(positive, (half + 1) / (half + 2), 1 / (half + 2))
    balance = np.where(positive, half / n_pos, half / n_neg)
    # Soft targets as two weighted copies of each score, one per outcome.
    platt = LogisticRegression(C=1e4).fit(
        np.concatenate([scores, scores])[:, None],
        np.r_[np.ones(len(scores)), np.zeros(len(scores))],
        sample_weight=np.r_[target * balance, (1 - target) * balance],
    )
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def _balanced(y: np.ndarray, sample_weight: Sequence[float] | None) -> np.ndarray:
    """Sample weights scaled so that each class carries the same total weight."""
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float).copy()
    for c in np.unique(y):
        w[y == c] *= len(y) / (2 * w[y == c].sum())
    return w
