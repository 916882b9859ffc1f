"""Evidence: where in a text the lexicon phrases are, and which role each supports.

Phrases are matched with spaCy's ``PhraseMatcher`` on the same lemmas the features
use, so "deployed models" matches the pattern "deploy model". Offsets are character
offsets into the text exactly as the caller sent it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from classifier.lexicon import SHARED, Lexicon, LexiconEntry

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-_][a-z0-9+#]+)*|[^\sa-z0-9]", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """A lexicon phrase found in the text."""

    phrase: str  # the text as written
    start: int
    end: int
    role: str
    weight: float
    kind: str
    pattern: str  # the lexicon entry it matched


class EvidenceFinder:
    """Finds lexicon phrases in texts; builds its spaCy matcher on first use.

    Texts are split by one regex (words as the features see them, each punctuation
    mark a token of its own so that no phrase matches across a comma) and handed to
    spaCy as ready-made words: its tokenizer would cost more than all the rest of a
    prediction, and a regex keeps the character offsets of the text as sent.

    >>> from classifier.lexicon import LexiconEntry
    >>> finder = EvidenceFinder(Lexicon((LexiconEntry("deploy model", "ml_engineer", 2.0, "duty"),)))
    >>> [(e.phrase, e.start, e.role) for e in finder.find(["We deployed models daily"])[0]]
    [('deployed models', 3, 'ml_engineer')]
    >>> finder.find(["deploy, model"])
    [[]]
    """

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self._vocab = None
        self._matcher = None
        self._entries: dict[int, LexiconEntry] = {}

    def _build(self) -> None:
        import spacy
        from spacy.attrs import NORM
        from spacy.matcher import PhraseMatcher

        from classifier.features import lemmatise

        vocab = spacy.blank("en").vocab
        # NORM carries our lemma so that matching folds inflection and spelling.
        vocab.lex_attr_getters[NORM] = lambda s: lemmatise(s.lower())
        matcher = PhraseMatcher(vocab, attr="NORM")
        entries: dict[str, LexiconEntry] = {}
        for entry in self.lexicon.entries:
            key = f"{entry.label}|{entry.pattern}"
            if entry.label == SHARED or key in entries:
                continue
            entries[key] = entry
            matcher.add(key, [self._doc(vocab, entry.pattern)[0]])
        self._entries = {vocab.strings[key]: entry for key, entry in entries.items()}
        self._vocab, self._matcher = vocab, matcher

    @staticmethod
    def _doc(vocab, text: str):
        from spacy.tokens import Doc

        offsets = [m.span() for m in _WORD.finditer(text)]
        return Doc(vocab, words=[text[a:b] for a, b in offsets]), offsets

    def find(self, texts: Iterable[str]) -> list[list[Evidence]]:
        """Evidence for each text in text order; where matches overlap, the longest wins."""
        if self._matcher is None:
            self._build()
        results = []
        for text in texts:
            doc, offsets = self._doc(self._vocab, text)
            best: dict[tuple[int, int], LexiconEntry] = {}
            for key, start, end in self._matcher(doc):
                entry = self._entries[key]
                # The same phrase may sit in two lexicons: the heavier entry speaks for it.
                if (start, end) not in best or entry.weight > best[(start, end)].weight:
                    best[(start, end)] = entry
            taken: list[tuple[int, int]] = []
            used: set[int] = set()
            for start, end in sorted(best, key=lambda se: (se[0] - se[1], se[0])):
                if used.isdisjoint(range(start, end)):
                    taken.append((start, end))
                    used.update(range(start, end))
            found = []
            for start, end in sorted(taken):
                entry = best[(start, end)]
                a, b = offsets[start][0], offsets[end - 1][1]
                found.append(Evidence(text[a:b], a, b, entry.label, entry.weight, entry.kind, entry.pattern))
            results.append(found)
        return results
