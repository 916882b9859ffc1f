"""What kind of text this is: a job posting or a resume.

A posting speaks to its reader ("you will", "we offer", "apply"); a resume speaks of its
writer, in the first person or in past-tense lines under dated jobs ("Built RAG pipelines,
2021-2024"). The words are counted on the tokens the features already cut, so that
reading the kind costs one pass over a list and no second pass over the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

# Keeps "c++", "c#", "scikit-learn", "node.js" whole; splits "ci/cd". The features use it too.
TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.\-_][a-z0-9+#]+)*")

_RESUME_WORDS = frozenset(
    {"i", "my", "me", "myself", "resume", "cv", "vitae", "objective", "certifications", "references", "linkedin"}
)
# Past-tense verbs that open a resume's lines; postings describe duties in the base form.
_DONE_VERBS = frozenset(
    {
        "led", "built", "developed", "designed", "implemented", "deployed", "created", "delivered",
        "improved", "reduced", "increased", "launched", "analyzed", "analysed", "shipped", "migrated",
        "automated", "trained", "architected", "spearheaded", "collaborated", "optimized", "optimised",
        "mentored", "managed", "owned", "scaled", "productionized", "productionised", "authored",
        "partnered", "established", "introduced", "drove", "cut", "wrote", "ran", "achieved",
    }
)  # fmt: skip
_POSTING_WORDS = frozenset(
    {
        "you", "your", "we", "our", "us", "candidate", "candidates", "applicants", "apply", "benefits",
        "salary", "requirements", "responsibilities", "qualifications", "hiring", "join", "offer",
    }
)  # fmt: skip
_RESUME_PAIRS = frozenset({("work", "history"), ("professional", "summary"), ("curriculum", "vitae")})
_YEAR = re.compile(r"(?:19[5-9]|20[0-4])\d")
# Dated jobs are a resume's mark, but a posting may quote a year or two ("founded in 2009").
_YEARS_COUNTED, _YEAR_WEIGHT = 8, 0.5


def tokens_of(text: str) -> list[str]:
    """The text's words as the features cut them: NFKC-folded, lowercase.

    >>> tokens_of("Built RAG pipelines (2021-2024)")
    ['built', 'rag', 'pipelines', '2021-2024']
    """
    return TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def kind_of_tokens(tokens: Sequence[str]) -> str:
    """ "resume" or "posting", from the voice of a text's tokens (see :func:`detect_kind`)."""
    # Counted in C, then looked up word by word: a loop over a posting's tokens cost a third of
    # a prediction, and every answer reads the kind.
    counts = Counter(tokens)
    posting = sum(counts[w] for w in _POSTING_WORDS if w in counts)
    resume = sum(counts[w] for w in _RESUME_WORDS | _DONE_VERBS if w in counts)
    if any(counts[a] and counts[b] for a, b in _RESUME_PAIRS):
        resume += sum(1 for pair in zip(tokens, tokens[1:]) if pair in _RESUME_PAIRS)
    years = sum(n for token, n in counts.items() if token[0] in "12" and _YEAR.match(token))
    resume += _YEAR_WEIGHT * min(years, _YEARS_COUNTED)
    return "resume" if resume > posting else "posting"


def detect_kind(text: str) -> str:
    """Guess whether a text is a job posting or a resume from its voice.

    >>> detect_kind("I built dashboards. Education: MSc")
    'resume'
    >>> detect_kind("Resume - Jordan Lee. Work experience: built dashboards")
    'resume'
    >>> detect_kind("You will build dashboards. Apply now.")
    'posting'
    >>> detect_kind("AI Engineer. Acme, 2022-2024: built RAG pipelines, shipped agents, cut inference cost.")
    'resume'
    """
    return kind_of_tokens(tokens_of(text))
