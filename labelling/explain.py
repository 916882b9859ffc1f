"""Short explanations for batch output: the ``evidence`` and ``top_features`` columns.

Evidence is what ``/classify`` finds (:class:`classifier.explain.EvidenceFinder`): phrases
as they are written in the text, never a lexicon pattern the text does not hold. Top
features are read off the feature matrix that scoring built already.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from classifier.explain import COLLEAGUE, EvidenceFinder, resolve_matches


class PhraseFinder(EvidenceFinder):
    """The evidence ``/classify`` finds, as at most ``top_k`` strings a text, heaviest first.

    It matches as :class:`EvidenceFinder` does, but writes out only the phrases it keeps:
    a long posting holds a hundred matches, and building each one's record cost more
    than the labelling itself.
    """

    def __init__(self, lexicon, top_k: int = 5):
        super().__init__(lexicon)
        self.top_k = top_k

    def _evidence(self, text, parts, tokens, found, kind=None) -> list[str]:
        taken, peers = resolve_matches(tokens, found, kind)
        weight = [0.0 if k in peers else entry.weight for k, (_, _, entry) in enumerate(taken)]
        offsets = [0, *accumulate(map(len, parts))]  # token k is parts[2k + 1]
        items: dict[str, str] = {}  # one item per phrase whatever its case; line breaks read as spaces
        for k in sorted(range(len(taken)), key=weight.__getitem__, reverse=True):  # stable: ties in text order
            start, end, entry = taken[k]
            phrase = " ".join(text[offsets[2 * start + 1] : offsets[2 * end]].split())
            item = f"{phrase} ({COLLEAGUE if k in peers else entry.label})"
            items.setdefault(item.lower(), item)
            if len(items) == self.top_k:
                break
        return list(items.values())


class BatchExplainer:
    """Turns texts and their feature rows into ``evidence`` and ``top_features`` strings.

    Parameters
    ----------
    model : RoleClassifier
        A fitted model; its lexicon is indexed once here.
    top_k : int
        How many phrases and features each row reports.
    """

    def __init__(self, model, top_k: int = 5):
        self.top_k = top_k
        self.model = model
        self.finder = PhraseFinder(model.lexicon_, top_k)

    def describe(
        self, texts: Sequence[str], features, cuts: Sequence[list[str]] | None = None
    ) -> tuple[list[str], list[str]]:
        """``evidence`` and ``top_features`` strings for texts and the rows of their CSR feature matrix
        (``cuts``: the texts' :func:`~classifier.explain.cut`, where they were cut already).

        Evidence lists distinct phrases as written (runs of white space as one space),
        ``phrase (role)``, heaviest first, then in text order (a role name that names a
        colleague is ``phrase (colleague)``, last); top features list
        ``feature (role contribution)``, largest contribution first.
        """
        evidence, top = [], []
        for i, found in enumerate(self.finder.find(texts, None, cuts)):
            contributions = self.model.contributions(features, i, self.top_k)
            top.append("; ".join(f"{name} ({role} {abs(c):.2f})" for name, role, c in contributions))
            evidence.append("; ".join(found))
        return evidence, top
