"""Self-training: learn the vocabulary of real postings from an unlabelled corpus.

The seeded model labels the user's texts; the confident ones join the generated
examples and a new model is fitted on every n-gram they hold. This repeats until the
labels of the corpus stop changing. The seeded examples stay in every round so that
the lexicon keeps anchoring what each role means. The real texts of each role carry the
same total weight: otherwise words common to all real postings ("benefits", "apply")
would side with whichever role the corpus has more of.
"""

from __future__ import annotations

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
    seed_texts: Sequence[str],
    seed_labels: Sequence[str],
    corpus: Sequence[str],
    *,
    confidence: float = 0.6,
    real_weight: float = 1.0,
    vocabulary: str = "lexicon",
    max_rounds: int = 5,
    stop_below: float = 0.01,
    log: Callable[[str], None] = print,
) -> tuple[RoleClassifier, dict[str, Any]]:
    """Rounds of pseudo-labelling ``corpus`` and refitting; returns the last model and a record.

    A text is kept when its winning probability is at least ``confidence``. The kept
    texts together weigh ``real_weight`` times the seeded examples. Stops when fewer
    than ``stop_below`` of the corpus changed label, or after ``max_rounds``.
    """
    corpus = list(corpus)
    model, labels = seed_model, None
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
        kept = labels[keep]
        counts = {str(c): int((kept == c).sum()) for c in model.classes_}
        if min(counts.values()) == 0:
            log(f"self-training round {r}: no confident texts for one role ({counts}), stopping")
            break
        weights = [real_weight * len(seed_texts) / (2 * counts[str(label)]) for label in kept]
        model = RoleClassifier(**{**model.get_params(), "vocabulary": vocabulary}).fit(
            [*seed_texts, *(corpus[i] for i in keep)],
            [*seed_labels, *kept],
            sample_weight=[1.0] * len(seed_texts) + weights,
        )
        rounds.append({"round": r, "kept": counts, "changed_before": changed})
        log(f"self-training round {r}: learned from {counts} of {len(corpus)} texts")
    return model, {
        "rounds": rounds,
        "confidence": confidence,
        "real_weight": real_weight,
        "vocabulary": vocabulary,
        "corpus_texts": len(corpus),
    }
