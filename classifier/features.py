"""Turning text into features: lowercase, spelling-normalised lemmas and their n-grams.

British and American spellings and inflections fold together ("optimised models" and
"optimizing a model" share features), using spaCy's English lookup tables from
``spacy-lookups-data`` so that no model is downloaded.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, count
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import srsly
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.text import TOKEN, kind_of_tokens

# "a/b" ends a word and starts one: searching for the literal and checking the character before
# it scans a page in 3 us; the same test as a leading \b took 60, a sixth of the analysis.
_AB = re.compile(r"a/b\b")


def fold_ab(text: str) -> str:
    """The text with each "a/b" that is a word of its own written "ab", as one token.

    >>> fold_ab("run a/b tests; data/bi, (a/b)")
    'run ab tests; data/bi, (ab)'
    """
    if "a/b" not in text:
        return text
    return _AB.sub(lambda m: "ab" if _starts_word(text, m.start()) else "a/b", text)


def ab_sites(text: str) -> list[int]:
    """Where :func:`fold_ab` folds an "a/b" of ``text``.

    >>> ab_sites("a/b; data/bi, (a/b)")
    [0, 15]
    """
    if "a/b" not in text:
        return []
    return [m.start() for m in _AB.finditer(text) if _starts_word(text, m.start())]


def _starts_word(text: str, i: int) -> bool:
    # What a leading \b checks before a word character at ``i``.
    return i == 0 or not is_word_char(text[i - 1])


def is_word_char(c: str) -> bool:
    """Whether ``c`` is a word character, as the regex ``\\w`` and ``\\b`` read it."""
    return c.isalnum() or c == "_"


# Words before a role name that make it a colleague rather than the role on offer:
# "work with data scientists", "alongside the ML engineers", "our data scientists", "head of data science".
_PEER_WORDS = frozenset(
    {"with", "alongside", "support", "supporting", "fellow", "our", "of", "mentor", "mentoring", "manage", "managing"}
)
_PEER_FILLERS = frozenset({"the", "your", "other"})
# Words that join two role names into a list; "/" and "," are not tokens, so names they join are adjacent.
_LIST_WORDS = frozenset({"and", "or"})


ROLE, PEER = "role_", "peer_"
OPENING = "opening_"  # before a word or role token of a text's start (``LemmaAnalyzer``'s ``opening``)


def phrase_token(label: str, peer: bool = False) -> str:
    """The single feature a role name becomes: ``role_<label>``, or ``peer_<label>`` for colleagues."""
    return f"{PEER if peer else ROLE}{label}"


def _hyphen_variants(words: tuple[str, ...]):
    """The word sequence with every choice of neighbours joined by a hyphen ("machine-learning engineer")."""
    if len(words) <= 1:
        yield words
        return
    for rest in _hyphen_variants(words[1:]):
        yield (words[0], *rest)
        yield (f"{words[0]}-{rest[0]}", *rest[1:])


class RoleIndex(dict[str, list[tuple[tuple[str, ...], str]]]):
    """First token of each role name -> (its tokens, label), longest first; ``starts`` holds
    the names' first two tokens (one for a one-word name), which settle most places."""

    starts: frozenset[tuple[str, ...]] = frozenset()


def role_index(phrases: dict[str, list[str]]) -> RoleIndex:
    """First token of each role name -> (its tokens, label), longest first.

    Names are matched on tokens rather than by a regex over the text, which cost more
    than all the other feature work together. Hyphenated and plural forms are included.
    """
    index = RoleIndex()
    for label, patterns in phrases.items():
        for pattern in patterns:
            for seq in _hyphen_variants(tuple(TOKEN.findall(pattern.lower()))):
                for form in (seq, (*seq[:-1], seq[-1] + "s")):
                    index.setdefault(form[0], []).append((form, label))
    for candidates in index.values():
        candidates.sort(key=lambda c: -len(c[0]))
    index.starts = frozenset(seq[:2] for candidates in index.values() for seq, _ in candidates)
    return index


def colleagues(names: Sequence[tuple[str, str | None, bool]], resume: bool = False) -> list[bool]:
    """Which of a text's role names, in order, name colleagues rather than the role on offer.

    Each name is given as (label, the word before it, whether it follows the previous name
    directly or after "and"/"or"). A name is a colleague after "with", "alongside",
    "support", "fellow", "our" or "of" ("our data scientists", "head of data science"; a
    "the" between is passed over), or in a list of roles
    ("data scientists and ML engineers", "Data Scientist / ML Engineer"), which says who
    works there rather than who is wanted. Of the others, the first names the role on offer
    ("We are hiring an ML engineer ... our data scientists"); a later name of the other
    role is a colleague. The features and the evidence both follow this rule.

    In a ``resume`` the names are the writer's own titles ("Data Scientist / ML Engineer",
    an earlier job as "ML Engineer"): each counts for its role, unless a word before it
    makes it a colleague ("worked with data scientists").

    >>> colleagues([("ds", "with", False), ("ml", "an", False), ("ds", "our", False)])
    [True, False, True]
    >>> colleagues([("ds", "of", False), ("ml", "scientists", True), ("ml", "a", False)])
    [True, True, False]
    >>> colleagues([("ds", None, False), ("ml", "scientist", True), ("ml", "with", False)], resume=True)
    [False, False, True]
    """
    if resume:
        return [before in _PEER_WORDS for _, before, _ in names]
    listed = [False] * len(names)
    for k in range(1, len(names)):
        if names[k][2] and names[k][0] != names[k - 1][0]:
            listed[k - 1] = listed[k] = True
    out, offered = [], None
    for k, (label, before, _) in enumerate(names):
        peer = listed[k] or before in _PEER_WORDS or (offered is not None and label != offered)
        if not peer and offered is None:
            offered = label
        out.append(peer)
    return out


def word_before(words: Sequence[str], i: int) -> str | None:
    """The word before position ``i``, passing over one filler ("the", "your")."""
    j = i - 1
    if j >= 0 and words[j] in _PEER_FILLERS:
        j -= 1
    return words[j] if j >= 0 else None


def mark_roles(tokens: list[str], index: RoleIndex, kind: str | None = None) -> list[str]:
    """Replace each role name in ``tokens`` by its single token: ``role_`` for the role on
    offer (in a resume, the writer's own titles), ``peer_`` for a colleague (see
    :func:`colleagues`). ``kind`` None or "auto" reads the kind off the tokens."""
    found = find_roles(tokens, index)
    if not found:
        return tokens
    # Names of one role are read alike in both kinds: the kind is read only when it can matter.
    if kind in (None, "auto") and len({label for _, _, label in found}) > 1:
        kind = kind_of_tokens(tokens)
    peers = colleagues(
        [
            (label, word_before(tokens, start), k > 0 and joined(tokens[found[k - 1][1] : start]))
            for k, (start, _, label) in enumerate(found)
        ],
        resume=kind == "resume",
    )
    out: list[str] = []
    done = 0
    for (start, end, label), peer in zip(found, peers):
        out.extend(tokens[done:start])
        out.append(phrase_token(label, peer))
        done = end
    out.extend(tokens[done:])
    return out


def find_roles(
    tokens: Sequence[str],
    index: RoleIndex,
    is_word: Callable[[str], bool] | None = None,
) -> list[tuple[int, int, str]]:
    """(start, end, label) of each role name in ``tokens``, left to right, the longest at each place.

    With ``is_word``, tokens for which it is false (punctuation) are passed over inside a
    name, as the features never see them.
    """
    found: list[tuple[int, int, str]] = []
    done, n, starts = 0, len(tokens), index.starts
    # Positions of tokens that may start a name, found in C: most texts have few. Most of
    # them start none ("data" before "analysis"): the next word settles it.
    for i in compress(count(), map(index.__contains__, tokens)):
        if i < done:
            continue
        first = tokens[i]
        if is_word is None:
            following = tokens[i + 1] if i + 1 < n else None
        else:
            j = i + 1
            while j < n and not is_word(tokens[j]):
                j += 1
            following = tokens[j] if j < n else None
        if (first,) not in starts and (first, following) not in starts:
            continue
        candidates = index[first]  # longest first
        if is_word is None:
            words, ahead = tuple(tokens[i : i + len(candidates[0][0])]), None
        else:
            ahead = _words_ahead(tokens, i, len(candidates[0][0]), is_word)
            words = tuple(tokens[j] for j in ahead)
        for seq, label in candidates:
            if words[: len(seq)] == seq:
                done = i + len(seq) if ahead is None else ahead[len(seq) - 1] + 1
                found.append((i, done, label))
                break
    return found


def _words_ahead(tokens: Sequence[str], i: int, n: int, is_word: Callable[[str], bool]) -> list[int]:
    # Positions of up to n words from token i on, passing over the tokens that are not words.
    out, j = [], i
    while j < len(tokens) and len(out) < n:
        if is_word(tokens[j]):
            out.append(j)
        j += 1
    return out


def joined(between: Sequence[str]) -> bool:
    """Whether the words between two role names join them in a list: none, or one "and"/"or"."""
    return not between or (len(between) == 1 and between[0] in _LIST_WORDS)


@functools.cache
def stop_words() -> frozenset[str]:
    """spaCy's English stop words: function words that say nothing about the role."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


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


def lemma_spans(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text as the analyzer reads it (folded, lowercase), and (start, end, lemma) of each of its
    words that is not a stop word; role names are not joined.

    >>> lemma_spans("Shipped models to production")
    ('shipped models to production', [(0, 7, 'ship'), (8, 14, 'model'), (18, 28, 'production')])
    """
    low = fold_ab(unicodedata.normalize("NFKC", text).lower())
    table, stops = lemma_table(), stop_words()
    return low, [
        (m.start(), m.end(), table.get(m.group(), m.group())) for m in TOKEN.finditer(low) if m.group() not in stops
    ]


class LemmaAnalyzer:
    """A scikit-learn ``analyzer``: text to n-grams of lemmas, stop words left out.

    ``phrases`` maps a label to phrases that become one token each (role names), so
    that "machine learning engineer" is one feature rather than three words that
    other texts use too. A class rather than a closure so that a fitted vectorizer
    pickles; the lookup tables are not pickled and load again on first use.

    >>> LemmaAnalyzer((1, 2))("Deployed models to AWS")
    ['deploy', 'model', 'aws', 'deploy model', 'model aws']
    >>> LemmaAnalyzer((1, 1), {"ml_engineer": ["ML engineer"]})("An ML Engineer runs A/B tests")
    ['role_ml_engineer', 'run', 'ab', 'test']
    >>> LemmaAnalyzer((1, 1), {"ml_engineer": ["ML engineer"]})("Work with ML engineers")
    ['work', 'peer_ml_engineer']
    >>> LemmaAnalyzer((1, 1), {"ml_engineer": ["machine learning engineer"]})("Machine-learning engineers ship")
    ['role_ml_engineer', 'ship']
    >>> roles = {"ml_engineer": ["ML engineer"], "data_scientist": ["data scientist"]}
    >>> LemmaAnalyzer((1, 1), roles)("ML engineer wanted; our data scientists train models")
    ['role_ml_engineer', 'want', 'peer_data_scientist', 'train', 'model']
    >>> LemmaAnalyzer((1, 1), roles)("Data scientists and ML engineers work here. ML engineer wanted")
    ['peer_data_scientist', 'peer_ml_engineer', 'work', 'role_ml_engineer', 'want']

    With ``opening`` > 0, each of the first ``opening`` words, and a role on offer named among them,
    is also one more token, ``opening_<word>`` or ``opening_role_<label>``, after the n-grams (once
    each; colleagues' names are left out): a posting says what the job is at its start, while a
    posting for other work names DS/ML work further on, as what the company sells, the people it
    serves or a plus (the scope model reads them; the role model's analyzer leaves them off).

    >>> LemmaAnalyzer((1, 1), roles, opening=3)("ML engineer wanted; work with data scientists")[4:]
    ['opening_role_ml_engineer', 'opening_want', 'opening_work']
    >>> LemmaAnalyzer((1, 1), roles, opening=3)("Work with our data scientists as a new ML engineer")
    ['work', 'peer_data_scientist', 'new', 'role_ml_engineer', 'opening_work', 'opening_new']

    ``openers``, when given, are the only words (or role tokens) whose opening tokens are made: a
    fitted model passes those its vocabulary holds, since making the others cost a prediction more
    than the features they would not be.

    >>> LemmaAnalyzer((1, 1), roles, opening=3, openers=["work"])("ML engineer wanted; work with data scientists")
    ['role_ml_engineer', 'want', 'work', 'peer_data_scientist', 'opening_work']
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 2),
        phrases: dict[str, list[str]] | None = None,
        opening: int = 0,
        openers: Iterable[str] | None = None,
    ):
        self.ngram_range = tuple(ngram_range)
        self.phrases = {label: list(p) for label, p in (phrases or {}).items()}
        self.opening = opening
        self.openers = None if openers is None else sorted(set(openers))
        self._compile()

    def _compile(self) -> None:
        self._roles = role_index(self.phrases)
        self._opened = None if self.openers is None else {w: OPENING + w for w in self.openers}

    def __getstate__(self):
        return {
            "ngram_range": self.ngram_range,
            "phrases": self.phrases,
            "opening": self.opening,
            "openers": self.openers,
        }

    def __setstate__(self, state):
        self.__dict__.update({"opening": 0, "openers": None, **state})
        self._compile()

    def __call__(self, text: str, kind: str | None = None, tokens: list[str] | None = None) -> list[str]:
        """The n-grams of ``text`` (of ``kind``); ``tokens``: its words as cut already, as :meth:`read` takes them."""
        return self._grams(self._tokens(text) if tokens is None else tokens, kind)

    def read(self, text: str, kind: str | None = None, tokens: list[str] | None = None) -> tuple[list[str], str]:
        """The n-grams of ``text`` and its kind: ``kind`` as given, or read off the text's words when
        None or "auto" (what :func:`~classifier.text.detect_kind` says, without cutting the text again).
        ``tokens``, when given, are the text's words as this analyzer cuts them, cut already.

        >>> LemmaAnalyzer((1, 1)).read("I built dashboards")
        (['build', 'dashboard'], 'resume')
        """
        if tokens is None:
            tokens = self._tokens(text)
        if kind in (None, "auto"):
            kind = kind_of_tokens(tokens)
        return self._grams(tokens, kind), kind

    @staticmethod
    def _tokens(text: str) -> list[str]:
        # NFKC folds ligatures and full-width forms ("ﬁ", "Ｐｙｔｈｏｎ") that real postings carry.
        return TOKEN.findall(fold_ab(unicodedata.normalize("NFKC", text).lower()))

    def _grams(self, tokens: list[str], kind: str | None) -> list[str]:
        table, stops = lemma_table(), stop_words()
        if self._roles:
            tokens = mark_roles(tokens, self._roles, kind)
        words = [table.get(w, w) for w in tokens if w not in stops]
        # The opening's words, each once, in the order of the text: taken before ``words`` grows into
        # ``grams`` (the same list, when single words are n-grams), so a short text's pairs are not among them.
        head = dict.fromkeys(words[: self.opening]) if self.opening else None
        low, high = self.ngram_range
        grams = words if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams.extend(map(" ".join, zip(*(words[k:] for k in range(n)))))
        if head is not None:
            # A dict look-up, where it can, costs less than a new string.
            if self._opened is None:
                grams.extend(OPENING + w for w in head if not w.startswith(PEER))
            else:
                grams.extend(filter(None, map(self._opened.get, head)))
        return grams


def openers_of(vocabulary: Iterable[str]) -> list[str]:
    """The words and role tokens whose opening tokens (``opening_<word>``) ``vocabulary`` holds."""
    return [g[len(OPENING) :] for g in vocabulary if g.startswith(OPENING)]


def make_vectorizer(
    ngram_range: tuple[int, int] = (1, 2), min_df: int = 2, phrases: dict[str, list[str]] | None = None
) -> TfidfVectorizer:
    """The TF-IDF vectorizer the classifier is built on."""
    return TfidfVectorizer(
        analyzer=LemmaAnalyzer(ngram_range, phrases),
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )


def vectorizer_state(vectorizer: TfidfVectorizer) -> tuple[dict, np.ndarray]:
    """What rebuilds a fitted vectorizer of :func:`make_vectorizer`: plain data and its idf.

    Returns
    -------
    config : dict
        JSON-ready: n-gram range, ``min_df``, role-name phrases and the vocabulary as a list
        of n-grams in column order.
    idf : numpy.ndarray
        The inverse document frequency of each column.
    """
    terms = [""] * len(vectorizer.vocabulary_)
    for gram, j in vectorizer.vocabulary_.items():
        terms[j] = gram
    config = {
        "ngram_range": list(vectorizer.analyzer.ngram_range),
        "min_df": vectorizer.min_df,
        "phrases": vectorizer.analyzer.phrases,
        "vocabulary": terms,
        "fixed_vocabulary": bool(vectorizer.fixed_vocabulary_),
    }
    return config, vectorizer.idf_


def vectorizer_from_state(config: dict, idf: np.ndarray) -> TfidfVectorizer:
    """The fitted vectorizer that :func:`vectorizer_state` described; ValueError when the data do not fit together."""
    terms, phrases = config["vocabulary"], config["phrases"]
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or len(set(terms)) != len(terms):
        raise ValueError("the vocabulary must be a list of distinct n-grams")
    if not isinstance(phrases, dict) or not all(
        isinstance(p, list) and all(isinstance(w, str) for w in p) for p in phrases.values()
    ):
        raise ValueError("the role-name phrases must map each role to a list of phrases")
    if idf.ndim != 1 or len(idf) != len(terms) or idf.dtype.kind != "f" or not np.all(np.isfinite(idf)):
        raise ValueError(f"the idf must be {len(terms)} finite numbers, one per n-gram of the vocabulary")
    low, high = (int(n) for n in config["ngram_range"])
    vectorizer = make_vectorizer((low, high), int(config["min_df"]), phrases)
    if config["fixed_vocabulary"]:
        vectorizer.set_params(vocabulary=terms)  # as fitted: a vocabulary given, not learned
    else:
        vectorizer.vocabulary_ = {gram: j for j, gram in enumerate(terms)}
    vectorizer.idf_ = idf
    return vectorizer


def transform(
    vectorizer: TfidfVectorizer, texts: Iterable[str], kinds: Iterable[str | None] | None = None
) -> sp.csr_matrix:
    """What ``vectorizer.transform(texts)`` returns, without its per-call input checks.

    Those checks cost as much as the features of a one-page posting, and the service
    classifies one posting at a time. Only the configuration ``make_vectorizer`` builds
    is supported (sublinear TF, IDF, L2 rows). ``kinds`` gives "posting", "resume" or
    None ("auto") per text.
    """
    # The analyzer itself rather than build_analyzer()'s wrapper, which passes the text alone.
    analyse = vectorizer.analyzer
    return _tfidf(analyse, vectorizer.vocabulary_, vectorizer.idf_, vectorizer.dtype, texts, kinds)


def tfidf_of_analysed(vocabulary: dict[str, int], idf: np.ndarray, grams: Iterable[list[str]], dtype=np.float64):
    """Sublinear-TF-IDF rows of unit length over ``vocabulary`` of texts already analysed into n-grams."""
    return _tfidf(as_is, vocabulary, idf, dtype, grams)


def as_is(grams: list[str], kind: str | None = None) -> list[str]:
    """The analyzer of texts that arrive analysed (their kind was read when they were)."""
    return grams


class FeatureBlocks:
    """Several vocabularies of n-grams of one analysis, as one transform: each text analysed and each
    n-gram looked up once, in one table of every vocabulary's n-grams.

    ``vectorizers`` are the blocks: the first is a fitted vectorizer of :func:`make_vectorizer`
    (its analyzer reads the texts); the others any fitted models with a ``vocabulary_`` and an
    ``idf_`` of n-grams of the same analysis (a corpus block, the scope model). ``groups`` says
    how many consecutive blocks make each matrix that :meth:`transform_groups` returns (default:
    all of them, one matrix); in a matrix each block's columns follow the previous block's, and
    each row of each block has unit length: the same numbers as ``scipy.sparse.hstack`` of each
    one's ``transform``. ``ordered`` says, per group, whether a row's columns come in order (default:
    every group's); a group read only by a product and by per-row look-ups can skip it.
    """

    def __init__(
        self,
        vectorizers: Sequence,
        groups: Sequence[int] | None = None,
        analyse: LemmaAnalyzer | None = None,
        ordered: Sequence[bool] | None = None,
    ):
        # ``analyse`` may read more than the first block's analyzer (the scope model's opening tokens):
        # a block looks up only the n-grams of its own vocabulary.
        self.analyse = analyse if analyse is not None else vectorizers[0].analyzer
        self.dtype = vectorizers[0].dtype
        # The first block's n-grams take ids in its column order, so that its rows, counted in id order,
        # come out in column order and need no sorting.
        self.ids: dict[str, int] = {}
        for v in vectorizers:
            for gram in sorted(v.vocabulary_, key=v.vocabulary_.__getitem__):
                self.ids.setdefault(gram, len(self.ids))
        self.groups = []
        starts = np.cumsum([0, *(groups or [len(vectorizers)])])
        for blocks in (vectorizers[a:b] for a, b in zip(starts, starts[1:])):
            # Per block, each n-gram id's column in the group's matrix, or -1 where the block lacks it.
            offsets = np.cumsum([0, *(len(v.vocabulary_) for v in blocks)])
            columns = np.full((len(blocks), len(self.ids)), -1, np.int64)
            for row, v, offset in zip(columns, blocks, offsets):
                row[[self.ids[g] for g in v.vocabulary_]] = np.fromiter(v.vocabulary_.values(), np.int64) + offset
            block = np.repeat(np.arange(len(blocks)), np.diff(offsets)) if len(blocks) > 1 else None
            self.groups.append((columns, np.concatenate([v.idf_ for v in blocks]), block))
        self.ordered = list(ordered) if ordered is not None else [True] * len(self.groups)
        if len(self.ordered) != len(self.groups):
            raise ValueError(f"ordered needs one flag per group: {len(self.groups)}, got {len(self.ordered)}")

    def transform(self, texts: Iterable[str], kinds: Iterable[str | None] | None = None) -> sp.csr_matrix:
        """The feature rows of ``texts`` (of ``kinds``), every block's columns in order (one group)."""
        (matrix,) = self.transform_groups(texts, kinds)
        return matrix

    def transform_groups(
        self,
        texts: Iterable[str],
        kinds: Iterable[str | None] | None = None,
        tokens: Iterable[list[str] | None] | None = None,
    ) -> list[sp.csr_matrix]:
        """One matrix of feature rows of ``texts`` (of ``kinds``) per group of blocks (``tokens`` as below)."""
        return self._transform(texts, kinds, False, tokens)[0]

    def transform_groups_and_kinds(
        self,
        texts: Iterable[str],
        kinds: Iterable[str | None] | None = None,
        tokens: Iterable[list[str] | None] | None = None,
    ) -> tuple[list[sp.csr_matrix], list[str]]:
        """``transform_groups``, and the kind of each text: as given, or read off it where None or "auto".

        ``tokens`` may give a text's words as the analyzer cuts them, where they were cut already.
        """
        return self._transform(texts, kinds, True, tokens)

    def _transform(
        self,
        texts: Iterable[str],
        kinds: Iterable[str | None] | None,
        read_kinds: bool = False,
        tokens: Iterable[list[str] | None] | None = None,
    ) -> tuple[list[sp.csr_matrix], list[str]]:
        read: list[str] = []
        none = itertools.repeat(None)

        def analysed() -> Iterator[list[str]]:
            for text, kind, cut in zip(texts, none if kinds is None else kinds, none if tokens is None else tokens):
                if read_kinds:
                    grams, kind = self.analyse.read(text, kind, cut)
                    read.append(kind)
                    yield grams
                else:
                    yield self.analyse(text, kind, cut)

        idx, cnt, ptr = _count(self.ids.get, len(self.ids), analysed())
        out = []
        for (columns, idf, block), ordered in zip(self.groups, self.ordered):
            if block is None and len(ptr) == 2:  # one block, one text: as the service sends them
                col = columns[0, idx]
                keep = col >= 0
                kept = col[keep]
                out.append(_rows((0, len(kept)), kept, cnt[keep], idf, self.dtype, ordered=ordered))
                continue
            # Entries in id order, each n-gram's blocks side by side: a text's entries stay together.
            col = columns[0, idx] if block is None else columns[:, idx].T.ravel()
            keep = col >= 0
            indptr = np.concatenate(([0], np.cumsum(keep)))[ptr * len(columns)]
            counts = (cnt if block is None else np.repeat(cnt, len(columns)))[keep]
            out.append(_rows(indptr, col[keep], counts, idf, self.dtype, block, len(columns), ordered))
        return out, read


def _tfidf(analyse, vocabulary, idf, dtype, texts, kinds=None) -> sp.csr_matrix:
    kinds = itertools.repeat(None) if kinds is None else kinds
    indices, counts, indptr = _count(vocabulary.get, len(vocabulary), map(analyse, texts, kinds))
    return _rows(indptr, indices, counts, idf, dtype)


_MISSING = itertools.repeat(-1)  # what ``get`` gives an n-gram of no vocabulary


def _count(get, n_ids: int, texts: Iterable[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids (of ``n_ids``) that ``get`` finds for each text's n-grams, each once per text with its
    count, in id order, and where each text's entries start (CSR's ``indptr``).

    Each n-gram is looked up in C, and the counting is one sort of the whole batch's (text, id) pairs:
    a counter per text cost a quarter of a prediction, most of it on the n-grams found.
    """
    texts = iter(texts)
    first = next(texts, None)
    second = next(texts, None) if first is not None else None
    if first is not None and second is None:
        # One text, as the service sends them: a counter is cheaper than the batch's array work.
        row = Counter(map(get, first))
        row.pop(None, None)
        idx = np.fromiter(row, np.int64, len(row))
        order = idx.argsort()
        return idx[order], np.fromiter(row.values(), np.int64, len(row))[order], np.array([0, len(row)])
    ids: list[int] = []
    ends = []
    for grams in itertools.chain(() if first is None else (first, second), texts):
        ids.extend(map(get, grams, _MISSING))
        ends.append(len(ids))
    found, sizes = np.asarray(ids, dtype=np.int64), np.diff(np.asarray(ends, dtype=np.int64), prepend=0)
    texts_of = np.repeat(np.arange(len(ends), dtype=np.int64), sizes)
    keep = found >= 0
    keys = texts_of[keep] * n_ids + found[keep]
    keys.sort()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else keys
    counts = np.diff(np.append(starts, len(keys)))
    text, idx = np.divmod(keys[starts], n_ids)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(text, minlength=len(ends)))))
    return idx, counts, indptr


def _rows(indptr, indices, counts, idf, dtype, block=None, n_blocks=1, ordered=True) -> sp.csr_matrix:
    """Sublinear TF-IDF rows from each text's columns and counts, each row of each block to unit length;
    a row's columns in order when ``ordered``, else in the order of the ids they came from, alone or in a
    batch (a row's sums then run in one order both ways, and a text gets the same answer either way)."""
    columns = np.asarray(indices, dtype=np.int64)
    data = (np.log(np.asarray(counts, dtype=np.float64)) + 1.0) * idf[columns]
    if block is None and len(indptr) == 2:  # one text, as the service sends: one norm, sorted here if ordered
        norm = np.sqrt(data @ data)
        order = columns.argsort() if ordered else slice(None)
        data, columns = (data[order] / (norm or 1.0)).astype(dtype), columns[order].astype(np.int32)
        return _one_row(data, columns, len(idf), dtype, ordered)
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    groups = rows if block is None else rows * n_blocks + block[columns]
    norms = np.sqrt(np.bincount(groups, weights=data**2, minlength=(len(indptr) - 1) * n_blocks))
    data /= norms[groups]
    matrix = sp.csr_matrix(
        (data.astype(dtype), columns.astype(np.int32), np.asarray(indptr, dtype=np.int32)),
        shape=(len(indptr) - 1, len(idf)),
    )
    if ordered:
        matrix.sort_indices()
    return matrix


def _one_row(data: np.ndarray, indices: np.ndarray, n_columns: int, dtype, ordered: bool = True) -> sp.csr_matrix:
    """A one-row matrix of ``data`` at ``indices`` (each once; sorted when ``ordered``), built without scipy's checks.

    The constructor checks its index arrays: 8 us a matrix on a quiet machine, twice that in a
    busy server, for the two matrices of every one-text answer. A copy of an empty row of the
    same shape (canonical, as these entries are when ``ordered``; marked unsorted otherwise) takes
    the arrays as they are.
    """
    row = copy.copy(_empty_row(n_columns, np.dtype(dtype)))
    row.data, row.indices, row.indptr = data, indices, np.array([0, len(indices)], dtype=np.int32)
    if not ordered:
        row.has_sorted_indices = False
    return row


@functools.cache
def _empty_row(n_columns: int, dtype: np.dtype) -> sp.csr_matrix:
    return sp.csr_matrix((1, n_columns), dtype=dtype)
