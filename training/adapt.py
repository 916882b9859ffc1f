"""Adapting a model to the texts it is asked to label.

A batch of postings is a corpus of real text: the model self-trains on a sample of it
(``training.selftrain``), then estimates the batch's mix of roles (Saerens, Latinne and
Decaestecker 2002: EM on the predicted probabilities) instead of assuming the prior it
was trained with. When the batch is too small or unsuited, the base model labels it and
the record says why.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classifier.model import RoleClassifier
from training.selftrain import check_corpus, self_train

# Self-training cost grows with the texts it learns from, and the gain flattens after about
# a thousand postings (dev.csv halves: 307 texts +0.04 masked macro-F1, 614 +0.05, 982 +0.05):
# a 10-million-row file learns from a sample of this many.
SAMPLE = 2000
# A share of a role is never estimated nearer 0 or 1 than this: EM on a batch of one role
# would otherwise drive the other role's probability to nothing.
MIX_BOUNDS = (0.02, 0.98)
# A batch mostly of other work is labelled with the base model: there is too little to learn from.
OUT_OF_SCOPE_SHARE = 0.5


@dataclass
class Adaptation:
    """What adapting to a batch gave: the model to label it with, and what was done."""

    model: RoleClassifier
    adapted: bool
    reason: str | None = None  # why the base model was kept
    record: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the run summary: what adaptation changed, or why it was not done."""
        if not self.adapted:
            return f"adaptation: not done, labelled with the base model: {self.reason}"
        r = self.record
        mix = ", ".join(f"{label} {share:.0%}" for label, share in r["mix"].items())
        return (
            f"adaptation: learned from {r['texts_used']} of the input's texts; mix of roles found: {mix} "
            f"(the base model assumed {', '.join(f'{k} {v:.0%}' for k, v in r['prior'].items())}); "
            f"{r['labels_flipped']} of those {r['texts_used']} texts changed label"
        )


def reservoir(texts: Iterable[str], k: int = SAMPLE, seed: int = 0) -> tuple[list[str], int]:
    """A uniform sample of at most ``k`` of ``texts`` in one pass, the same for the same input; and how many were read.

    >>> reservoir(["a", "b", "c"], k=5)
    (['a', 'b', 'c'], 3)
    >>> len(reservoir(map(str, range(1000)), k=10)[0])
    10
    """
    rng = random.Random(seed)
    kept: list[str] = []
    n = 0
    for n, text in enumerate(texts, start=1):
        if len(kept) < k:
            kept.append(text)
        else:
            j = rng.randrange(n)
            if j < k:
                kept[j] = text
    return kept, n


def estimate_mix(
    model: RoleClassifier, texts: Sequence[str], iters: int = 200, tol: float = 1e-6, proba: np.ndarray | None = None
) -> dict[str, float]:
    """The share of each role among ``texts``, by EM on the model's probabilities (Saerens et al. 2002).

    The model's probabilities assume its ``class_prior``; each step re-weighs them by the
    ratio of the current estimate to that prior and takes their mean as the next estimate.
    ``proba``, the model's probabilities of ``texts`` when already computed, saves reading them again.
    """
    prior = _prior(model)
    p = (model.predict_proba(list(texts)) if proba is None else proba)[:, 1]
    trained = prior[1]
    share = trained
    for _ in range(iters):
        pos = p * share / trained
        neg = (1 - p) * (1 - share) / (1 - trained)
        new = float(np.clip(np.mean(pos / (pos + neg)), *MIX_BOUNDS))
        if abs(new - share) < tol:
            share = new
            break
        share = new
    return {str(model.classes_[0]): 1 - share, str(model.classes_[1]): share}


def with_mix(model: RoleClassifier, mix: dict[str, float]) -> RoleClassifier:
    """A copy of ``model`` whose probabilities assume the roles' shares ``mix``."""
    return model.with_prior(mix)


def adapt(
    base: RoleClassifier,
    texts: Sequence[str],
    *,
    min_per_role: int = 50,
    log: Callable[[str], None] = print,
) -> Adaptation:
    """Self-train ``base`` on ``texts`` (a sample of the batch) and set the batch's mix of roles.

    Texts out of scope are left out of the learning. Returns the base model, with the
    reason, when the texts are unsuited: too few, mostly copies, one-liners or out of
    scope, or too few confident texts of a role.
    """
    texts = [t for t in texts if t.strip()]
    problems, warnings = check_corpus(texts, base.vectorizer_.analyzer.phrases)
    unique = list(dict.fromkeys(texts))
    for w in warnings:
        log(f"warning: {w}")
    if problems or not unique:
        return Adaptation(base, False, "; ".join(problems) or "there are no texts to learn from")
    # One reading of the texts gives the base model's labels and their scope.
    proba, scopes, _ = base.assess(unique)
    out_of_scope = 0
    if scopes is not None:
        # Texts of other work would teach the roles their words: learn from the rest.
        keep = scopes != "out"
        out_of_scope = int((~keep).sum())
        if out_of_scope > OUT_OF_SCOPE_SHARE * len(unique):
            reason = (
                f"{out_of_scope} of the {len(unique)} texts are not about data science or ML work (scope out); "
                "the base model's labels of them are leanings at most"
            )
            return Adaptation(base, False, reason)
        unique, proba = [t for t, k in zip(unique, keep) if k], proba[keep]
    try:
        learned, record = self_train(base, unique, min_per_role=min_per_role, log=log, first_proba=proba)
    except ValueError as err:
        return Adaptation(base, False, str(err))
    learned_proba = learned.predict_proba(unique)
    mix = estimate_mix(learned, unique, proba=learned_proba)
    model = with_mix(learned, mix)
    # The mix moves every text's log-odds by the same amount: the labels follow without reading again.
    shift = model.prior_shift_ - learned.prior_shift_
    after = _logit(learned_proba[:, 1]) + shift > 0
    flipped = int((after != (proba[:, 1] > 0.5)).sum())
    return Adaptation(
        model,
        True,
        record={
            **record,
            "texts_used": len(unique),
            "duplicates_left_out": len(texts) - len(unique) - out_of_scope,
            "out_of_scope_left_out": out_of_scope,
            "prior": _named(base, _prior(base)),
            "mix": {k: round(v, 4) for k, v in mix.items()},
            "labels_flipped": flipped,
        },
    )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p.astype(np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _prior(model: RoleClassifier) -> tuple[float, float]:
    prior = model.class_prior or {str(c): 0.5 for c in model.classes_}
    return prior[str(model.classes_[0])], prior[str(model.classes_[1])]


def _named(model: RoleClassifier, shares: tuple[float, float]) -> dict[str, float]:
    return {str(c): float(s) for c, s in zip(model.classes_, shares)}
