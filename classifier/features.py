"""Turning text into features: lowercase, spelling-normalised lemmas and their n-grams.

British and American spellings and inflections fold together ("optimised models" and
"optimizing a model" share features), using spaCy's English lookup tables from
``spacy-lookups-data`` so that no model is downloaded.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import srsly
from sklearn.feature_extraction.text import TfidfVectorizer

# Keeps "c++", "c#", "scikit-learn", "node.js" whole; splits "a/b" and "ci/cd".
TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-_][a-z0-9+#]+)*")


@functools.cache
def lemma_table() -> dict[str, str]:
    """Map a lowercase word to its lemma after spelling normalisation (loaded once).

    Words of three letters or fewer keep their form: they are mostly acronyms
    ("aws", "gcp", "sas") that the English tables would mangle ("aws" -> "aw").
    """
    import spacy_lookups_data

    folder = Path(spacy_lookups_data.__file__).parent / "data"
    lemmas: dict[str, str] = srsly.read_gzip_json(folder / "en_lemma_lookup.json.gz")
    norms: dict[str, str] = srsly.read_gzip_json(folder / "en_lexeme_norm.json.gz")
    table = {word: lemmas.get(norm, norm) for word, norm in norms.items()}
    for word, lemma in lemmas.items():
        table.setdefault(word, lemma)
    return {word: lemma for word, lemma in table.items() if len(word) > 3}


def lemmatise(word: str) -> str:
    """Lemma of a lowercase word, or the word itself when the tables do not know it.

    >>> [lemmatise(w) for w in ["optimised", "models", "deploying", "pytorch", "aws"]]
    ['optimize', 'model', 'deploy', 'pytorch', 'aws']
    """
    return lemma_table().get(word, word)


class LemmaAnalyzer:
    """A scikit-learn ``analyzer``: text to lemma n-grams.

    A class rather than a closure so that a fitted vectorizer pickles; the lookup
    tables are not part of the pickle and load again on first use.

    >>> LemmaAnalyzer((1, 2))("Deployed models to AWS")
    ['deploy', 'model', 'to', 'aws', 'deploy model', 'model to', 'to aws']
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2)):
        self.ngram_range = tuple(ngram_range)

    def __call__(self, text: str) -> list[str]:
        table = lemma_table()
        words = [table.get(w, w) for w in TOKEN.findall(text.lower())]
        low, high = self.ngram_range
        grams = words if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        return grams


def make_vectorizer(ngram_range: tuple[int, int] = (1, 2), min_df: int = 2) -> TfidfVectorizer:
    """The TF-IDF vectorizer the classifier is built on."""
    return TfidfVectorizer(
        analyzer=LemmaAnalyzer(ngram_range),
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )
