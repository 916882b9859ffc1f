"""Evidence: where in a text the lexicon phrases are, and which role each supports.

Phrases are matched with spaCy's ``PhraseMatcher`` on the same lemmas the features
use, so "deployed models" matches the pattern "deploy model". Offsets are character
offsets into the text exactly as the caller sent it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from classifier.lexicon import SHARED, Lexicon, LexiconEntry


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
    """Finds lexicon phrases in texts; builds its spaCy pipeline on first use.

    >>> from classifier.lexicon import LexiconEntry
    >>> finder = EvidenceFinder(Lexicon((LexiconEntry("deploy model", "ml_engineer", 2.0, "duty"),)))
    >>> [(e.phrase, e.start, e.role) for e in finder.find(["We deployed models daily"])[0]]
    [('deployed models', 3, 'ml_engineer')]
    """

    def __init__(self, lexicon: Lexicon, batch_size: int = 64):
        self.lexicon = lexicon
        self.batch_size = batch_size
        self._nlp = None
        self._matcher = None
        self._entries: dict[int, list[LexiconEntry]] = {}

    def _build(self) -> None:
        import spacy
        from spacy.attrs import NORM
        from spacy.matcher import PhraseMatcher

        from classifier.features import lemmatise

        nlp = spacy.blank("en")
        # NORM carries our lemma so that matching folds inflection and spelling.
        nlp.vocab.lex_attr_getters[NORM] = lambda s: lemmatise(s.lower())
        matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        role_entries = [e for e in self.lexicon.entries if e.label != SHARED]
        for entry, doc in zip(role_entries, nlp.tokenizer.pipe(e.pattern for e in role_entries)):
            key = f"{entry.label}|{entry.pattern}"
            self._entries.setdefault(nlp.vocab.strings.add(key), []).append(entry)
            matcher.add(key, [doc])
        self._nlp, self._matcher = nlp, matcher

    def find(self, texts: Iterable[str]) -> list[list[Evidence]]:
        """Evidence for each text, longest match first where matches overlap, in text order."""
        if self._matcher is None:
            self._build()
        from spacy.util import filter_spans

        results = []
        for doc in self._nlp.tokenizer.pipe(texts, batch_size=self.batch_size):
            entries: dict[tuple[int, int], list[LexiconEntry]] = {}
            for key, start, end in self._matcher(doc):
                entries.setdefault((start, end), []).extend(self._entries[key])
            found = []
            for span in filter_spans([doc[start:end] for start, end in entries]):
                # The same phrase may sit in two lexicons: the heavier entry speaks for it.
                entry = max(entries[(span.start, span.end)], key=lambda e: e.weight)
                found.append(
                    Evidence(span.text, span.start_char, span.end_char, entry.label,
                             entry.weight, entry.kind, entry.pattern)
                )
            results.append(found)
        return results
