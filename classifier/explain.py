"""Evidence: where in a text the lexicon phrases are, and which role each supports.

Phrases are matched on the same lemmas the features use, so "deployed models" matches
the pattern "deploy model". Offsets are character offsets into the text exactly as the
caller sent it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

from classifier.lexicon import SHARED, Lexicon, LexiconEntry

# Words as the features see them; every other mark is a token of its own, so that no
# phrase matches across a comma. The group makes ``split`` keep the words.
_WORD = re.compile(r"([a-z0-9][a-z0-9+#]*(?:[.\-_][a-z0-9+#]+)*|[^\sa-z0-9])", re.IGNORECASE)


class Evidence(NamedTuple):
    """A lexicon phrase found in the text (a tuple: a long posting has hundreds)."""

    phrase: str  # the text as written
    start: int
    end: int
    role: str
    weight: float
    kind: str
    pattern: str  # the lexicon entry it matched


# A trie of lemmas: each node maps the next lemma to a node; the key "" (never a token)
# holds the entry whose phrase ends there.
Trie = dict[str, "Trie | LexiconEntry"]
_END = ""


class EvidenceFinder:
    """Finds lexicon phrases in texts; indexes the lexicon on first use.

    The lexicon's phrases, as lemmas, go into a trie, so that a text costs a dictionary
    lookup per token and a short walk where a phrase may start. (spaCy's ``PhraseMatcher``
    did the same matching, but building a ``Doc`` for it cost more than a whole prediction.)

    >>> from classifier.lexicon import LexiconEntry
    >>> finder = EvidenceFinder(Lexicon((LexiconEntry("deploy model", "ml_engineer", 2.0, "duty"),)))
    >>> [(e.phrase, e.start, e.role) for e in finder.find(["We deployed models daily"])[0]]
    [('deployed models', 3, 'ml_engineer')]
    >>> finder.find(["deploy, model"])
    [[]]
    """

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._trie: Trie | None = None

    def _build(self) -> Trie:
        from classifier.features import lemmatise

        # The same lemmas may come from two entries ("deploy model", "deployed models") or sit in
        # both roles' lexicons: the heaviest entry speaks for them, the first on a tie.
        heaviest: dict[tuple[str, ...], LexiconEntry] = {}
        for entry in self.lexicon.entries:
            if entry.label == SHARED:
                continue
            lemmas = tuple(lemmatise(w.lower()) for w in _WORD.findall(entry.pattern))
            if lemmas and (lemmas not in heaviest or entry.weight > heaviest[lemmas].weight):
                heaviest[lemmas] = entry
        trie: Trie = {}
        for lemmas, entry in heaviest.items():
            node = trie
            for lemma in lemmas:
                node = node.setdefault(lemma, {})
            node[_END] = entry
        return trie

    def find(self, texts: Iterable[str]) -> list[list[Evidence]]:
        """Evidence for each text in text order; where matches overlap, the longest wins, then the first."""
        from classifier.features import lemma_table

        if self._trie is None:
            self._trie = self._build()
        trie, table = self._trie, lemma_table()
        results = []
        for text in texts:
            lowered = text.lower()
            if len(lowered) != len(text):  # a few characters lengthen when lowercased ("İ")
                lowered = text
            parts = _WORD.split(lowered)  # separator, token, separator, token, ..., separator
            tokens = parts[1::2]
            if lowered is text:
                tokens = [t.lower() for t in tokens]
            lemmas = [table.get(t, t) for t in tokens]
            n = len(lemmas)
            found: list[tuple[int, int, int, LexiconEntry]] = []  # (-length, start, end, entry)
            for i in [i for i, lemma in enumerate(lemmas) if lemma in trie]:
                node, j = trie[lemmas[i]], i + 1
                while node is not None:
                    if _END in node:
                        found.append((i - j, i, j, node[_END]))
                    node = node.get(lemmas[j]) if j < n else None
                    j += 1
            results.append(self._evidence(text, parts, found) if found else [])
        return results

    @staticmethod
    def _evidence(text: str, parts: list[str], found: list[tuple[int, int, int, LexiconEntry]]) -> list[Evidence]:
        # Longest first, then earliest; a span has one lemma sequence, so entries are never compared.
        found.sort()
        used = bytearray(len(parts) // 2 + 1)
        taken = []
        for _, start, end, entry in found:
            if used.find(1, start, end) < 0:
                taken.append((start, end, entry))
                used[start:end] = b"\x01" * (end - start)
        taken.sort(key=itemgetter(0))
        # Token k is parts[2k + 1]: its offset is the length of all the parts before it.
        offsets = [0, *accumulate(map(len, parts))]
        out = []
        for start, end, entry in taken:
            a, b = offsets[2 * start + 1], offsets[2 * end]
            out.append(Evidence(text[a:b], a, b, entry.label, entry.weight, entry.kind, entry.pattern))
        return out
