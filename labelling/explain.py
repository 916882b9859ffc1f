"""Short explanations for batch output, read off the feature matrix the model already built.

``RoleClassifier.explain`` tokenises every text a second time to give character
offsets; that costs about as much as the labelling itself. A labelled file only needs to say
which lexicon phrases were found and which features weighed most, and both can be
read from the TF-IDF row of each text, so ``--explain`` costs little more than a
plain run. A phrase is found when its longest n-grams, as the model's analyzer
makes them, are all features of the text: exact for phrases no longer than the
model's n-grams; for longer ones every consecutive n-gram of the phrase must occur.
"""

from __future__ import annotations

from classifier.lexicon import SHARED


class BatchExplainer:
    """Turns rows of a model's feature matrix into ``evidence`` and ``top_features`` strings.

    Parameters
    ----------
    model : RoleClassifier
        A fitted model; its lexicon and vocabulary are read once here.
    top_k : int
        How many phrases and features each row reports.
    """

    def __init__(self, model, top_k: int = 5):
        self.top_k = top_k
        self.model = model
        # The lexicon block comes first in the model's feature rows, so its columns are the vectorizer's.
        vocab = model.vectorizer_.vocabulary_
        analyse = model.vectorizer_.build_analyzer()
        # Per phrase, the feature columns that must all be present (its longest n-grams, as the
        # model's analyzer makes them), and the heaviest lexicon entry for it.
        found: dict[tuple[int, ...], tuple[str, str, float]] = {}
        for entry in model.lexicon_.entries:
            if entry.label == SHARED:
                continue
            grams = analyse(entry.pattern)
            longest = max((g.count(" ") for g in grams), default=0)
            grams = [g for g in grams if g.count(" ") == longest]
            if grams and all(g in vocab for g in grams):
                key = tuple(sorted({vocab[g] for g in grams}))
                if key not in found or found[key][2] < entry.weight:
                    found[key] = (entry.pattern, entry.label, entry.weight)
        self._single = {k[0]: v for k, v in found.items() if len(k) == 1}
        self._multi = [(set(k), v) for k, v in found.items() if len(k) > 1]

    def describe(self, features) -> tuple[list[str], list[str]]:
        """``evidence`` and ``top_features`` strings for each row of a CSR feature matrix.

        Evidence lists lexicon phrases as ``phrase (role)``, heaviest first; top features
        list ``feature (role contribution)``, largest contribution first.
        """
        evidence, top = [], []
        indptr, indices = features.indptr, features.indices
        for i in range(features.shape[0]):
            contributions = self.model.contributions(features, i, self.top_k)
            top.append("; ".join(f"{name} ({role} {abs(c):.2f})" for name, role, c in contributions))
            present = indices[indptr[i] : indptr[i + 1]].tolist()
            hits = [self._single[c] for c in present if c in self._single]
            if self._multi:
                present = set(present)
                hits += [entry for need, entry in self._multi if need <= present]
            hits.sort(key=lambda e: -e[2])
            evidence.append("; ".join(f"{phrase} ({role})" for phrase, role, _ in hits[: self.top_k]))
        return evidence, top
