"""Self-training: learn the vocabulary of real postings from an unlabelled corpus.

The seeded model reads the user's texts; those it labels with confidence become the
training set of a second block of features (every n-gram they hold, see
``RoleClassifier.fit_corpus``), blended with the seeded model. The blended model labels
the corpus again, and this repeats until the labels stop changing. The seeded block
stays in every round, so that the lexicon keeps anchoring what each role means; its
role names, which the seeded model reads well in real text, are where most of the
corpus labels come from, and the corpus block learns which duties and skills go with them.
"""

from __future__ import annotations

import copy
import csv
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.model import RoleClassifier


def read_unlabeled(path: str | Path, text_col: str = "text") -> tuple[list[str], dict[str, Any]]:
    """Non-empty texts of a CSV column, and counts of what was read and skipped."""
    csv.field_size_limit(1 << 26)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.DictReader(f)
        if text_col not in (reader.fieldnames or []):
            raise ValueError(
                f"{path} has no column {text_col!r}; its columns are {reader.fieldnames}: set TEXT_COL=..."
            )
        rows = [(r.get(text_col) or "") for r in reader]
    texts = [t for t in rows if t.strip()]
    info = {"path": str(path), "sha256": digest, "rows": len(rows), "empty_skipped": len(rows) - len(texts)}
    return texts, info


def self_train(
    seed_model: RoleClassifier,
    corpus: Sequence[str],
    *,
    confidence: float = 0.6,
    weight: float = 0.5,
    max_rounds: int = 3,
    stop_below: float = 0.01,
    min_per_role: int = 10,
    log: Callable[[str], None] = print,
) -> tuple[RoleClassifier, dict[str, Any]]:
    """Rounds of labelling ``corpus`` and fitting the corpus block; returns the last model and a record.

    A text is learned from when its winning probability is at least ``confidence``; the
    corpus block carries ``weight`` of the blended log-odds. Stops when fewer than
    ``stop_below`` of the corpus changed label, or after ``max_rounds``. Fewer than
    ``min_per_role`` confident texts of a role is an error. ``seed_model`` is left as it was.
    """
    if not 0 < weight <= 1 or not 0.5 <= confidence < 1 or max_rounds < 1:
        raise ValueError("self-training needs 0 < weight <= 1, 0.5 <= confidence < 1 and max_rounds >= 1")
    corpus = list(corpus)
    model, labels = copy.deepcopy(seed_model), None
    rounds: list[dict[str, Any]] = []
    for r in range(1, max_rounds + 1):
        proba = model.predict_proba(corpus)
        new = model.classes_[proba.argmax(axis=1)]
        changed = None if labels is None else float((new != labels).mean())
        labels = new
        if changed is not None and changed < stop_below:
            log(f"self-training: {changed:.1%} of labels changed in round {r - 1}, stopping")
            break
        keep = np.flatnonzero(proba.max(axis=1) >= confidence)
        sure = {str(c): int((labels[keep] == c).sum()) for c in model.classes_}
        if min(sure.values()) < min_per_role:
            raise ValueError(
                f"of the {len(corpus)} corpus texts, {sure} were labelled with probability >= {confidence}; "
                f"self-training needs at least {min_per_role} of each role: give a larger corpus with "
                "postings or resumes of both roles"
            )
        model.fit_corpus([corpus[i] for i in keep], labels[keep], weight=weight, min_per_role=min_per_role)
        counts = model.corpus_["kept"]
        rounds.append(
            {
                "round": r,
                "kept": counts,
                "changed_before": changed,
                "corpus_features": len(model.corpus_["vectorizer"].vocabulary_),
            }
        )
        log(
            f"self-training round {r}: learned {rounds[-1]['corpus_features']} n-grams "
            f"from {counts} of {len(corpus)} texts"
        )
    return model, {
        "rounds": rounds,
        "confidence": confidence,
        "weight": weight,
        "corpus_texts": len(corpus),
        "calibration_scale": model.corpus_["scale"],
    }


CANDIDATES_FILE = "lexicon_candidates.jsonl"


def lexicon_candidates(model: RoleClassifier, per_role: int = 30) -> list[dict[str, Any]]:
    """The corpus block's strongest n-grams for each role that the lexicon lacks, as lexicon lines.

    They are for a person to review: a line worth keeping goes into ``data/lexicon/<role>.jsonl``
    (``kind`` and ``weight`` set by hand), so that the seeded model knows it without a corpus.
    ``score`` is the n-gram's weight in the corpus block, ``texts`` how many corpus texts hold it.
    """
    block = model.corpus_
    if block is None:
        return []
    vectorizer = block["vectorizer"]
    names = vectorizer.get_feature_names_out()
    # idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn smooths it
    n = sum(block["kept"].values())
    texts = np.rint((1 + n) / np.exp(vectorizer.idf_ - 1) - 1).astype(int)
    known = model.vectorizer_.vocabulary_
    usable = np.array([g not in known and "role_" not in g and "peer_" not in g for g in names])
    out = []
    for sign, label in ((-1, model.classes_[0]), (1, model.classes_[1])):
        scores = sign * block["coef"]
        order = [j for j in np.argsort(-scores) if usable[j] and scores[j] > 0][:per_role]
        out += [
            {
                "label": str(label),
                "pattern": str(names[j]),
                "weight": 1.0,
                "kind": "skill",
                "score": round(float(scores[j]), 3),
                "texts": int(texts[j]),
            }
            for j in order
        ]
    return out
