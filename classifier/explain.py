"""Evidence: where in a text the lexicon phrases are, and which role each supports.

Phrases are matched on the same lemmas the features use, so "deployed models" matches
the pattern "deploy model"; role names as the features find them, and a role name the
features read as a colleague ("work with our data scientists") is shown as one, with no
weight. Offsets are character offsets into the text exactly as the caller sent it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import accumulate, compress, count, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from classifier.lexicon import SHARED, Lexicon, LexiconEntry
from classifier.text import TOKEN, kind_of_tokens

if TYPE_CHECKING:
    from classifier.features import RoleIndex

# Words as the features see them; every other mark is a token of its own, so that no
# phrase matches across a comma. The group makes ``split`` keep the words.
# The text is lowercased first: IGNORECASE made the split a third slower.
_WORD = re.compile(rf"({TOKEN.pattern}|[^\sa-z0-9])")
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


# The kind of a role name that names a colleague ("work with our data scientists"): it is
# shown, with weight 0, since the model does not count it for that role.
COLLEAGUE = "colleague"


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
        self._starts: frozenset[str] = frozenset()
        self._roles: RoleIndex | None = None
        self._role_entries: dict[str, LexiconEntry] = {}

    def _build(self) -> None:
        """Index the lexicon: role names as the features find them, other phrases in a lemma trie."""
        from classifier.features import lemma_table, lemmatise, role_index

        # Role names are found as the features find them (their words as written, plural and
        # hyphenated forms), not by lemma: "ML engineering" is not the name of a role.
        names = [e for e in self.lexicon.entries if e.kind == "role_name" and e.label != SHARED]
        self._role_entries = {str(i): e for i, e in enumerate(names)}
        self._roles = role_index({key: [e.pattern] for key, e in self._role_entries.items()})
        # The same lemmas may come from two entries ("deploy model", "deployed models") or sit in
        # both roles' lexicons: the heaviest entry speaks for them, the first on a tie.
        heaviest: dict[tuple[str, ...], LexiconEntry] = {}
        for entry in self.lexicon.entries:
            if entry.label == SHARED or entry.kind == "role_name":
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
        # Every written form whose lemma starts a phrase ("deployed" for "deploy model"): the
        # tokens t with table.get(t, t) in the trie.
        table = lemma_table()
        self._starts = frozenset({word for word, lemma in table.items() if lemma in trie}).union(
            root for root in trie if root not in table
        )
        self._trie = trie

    def find(
        self,
        texts: Iterable[str],
        kinds: Iterable[str | None] | None = None,
        cuts: Iterable[list[str]] | None = None,
    ) -> list[list[Evidence]]:
        """Evidence for each text in text order; where matches overlap, the longest wins, then the first.

        ``kinds`` ("posting", "resume", or None to read it off the text) decides, as in the
        features, whether role names after the first can be colleagues. ``cuts`` are the texts'
        :func:`cut`, where they were cut already.
        """
        from classifier.features import lemma_table

        if self._trie is None:
            self._build()
        trie, table = self._trie, lemma_table()
        texts = list(texts)
        cuts = map(cut, texts) if cuts is None else cuts
        results = []
        for text, kind, parts in zip(texts, repeat(None) if kinds is None else kinds, cuts):
            tokens = parts[1::2]
            n = len(tokens)
            found = self._role_names(tokens)  # (-length, start, end, entry)
            # Lemmas are looked up only where a phrase may start and along its walk: most
            # tokens of a posting start none.
            for i in list(compress(count(), map(self._starts.__contains__, tokens))):
                node, j = trie[table.get(tokens[i], tokens[i])], i + 1
                while node is not None:
                    if _END in node:
                        found.append((i - j, i, j, node[_END]))
                    node = node.get(table.get(tokens[j], tokens[j])) if j < n else None
                    j += 1
            results.append(self._evidence(text, parts, tokens, found, kind) if found else [])
        return results

    def _role_names(self, tokens: list[str]) -> list[tuple[int, int, int, LexiconEntry]]:
        """Role names among ``tokens``, matched on their words as ``features.mark_roles`` matches them."""
        from classifier.features import find_roles

        if not self._roles:
            return []
        return [
            (start - end, start, end, self._role_entries[key])
            for start, end, key in find_roles(tokens, self._roles, is_word)
        ]

    @staticmethod
    def _evidence(
        text: str,
        parts: list[str],
        tokens: list[str],
        found: list[tuple[int, int, int, LexiconEntry]],
        kind: str | None = None,
    ) -> list[Evidence]:
        taken, peers = resolve_matches(tokens, found, kind)
        # Token k is parts[2k + 1]: its offset is the length of all the parts before it.
        offsets = [0, *accumulate(map(len, parts))]
        out = []
        for k, (start, end, entry) in enumerate(taken):
            a, b = offsets[2 * start + 1], offsets[2 * end]
            if k in peers:
                out.append(Evidence(text[a:b], a, b, entry.label, 0.0, COLLEAGUE, entry.pattern))
            else:
                out.append(Evidence(text[a:b], a, b, entry.label, entry.weight, entry.kind, entry.pattern))
        return out


def cut(text: str) -> list[str]:
    """The text lowercased (as :func:`_lowered`) and cut into separator, token, separator, ..., separator.

    >>> cut("Run A/B tests.")
    ['', 'run', ' ', 'a', '', '/', '', 'b', ' ', 'tests', '', '.', '']
    """
    return _WORD.split(_lowered(text))


def feature_tokens(text: str, parts: list[str]) -> list[str] | None:
    """The words the features cut from ``text`` (``LemmaAnalyzer``), read off its :func:`cut`; None where
    they might differ, which the features then cut themselves.

    The features find the words of the same pattern in the same lowercase text, so they are the
    cut's tokens less the marks, unless the text changes under NFKC or lowercasing changes its
    length, or an "a/b" to be folded into one word is not the three tokens "a", "/", "b".

    >>> feature_tokens("Ran A/B tests, x-a/b", cut("Ran A/B tests, x-a/b")) is None
    True
    >>> feature_tokens("Ran A/B tests (a/b/n)", cut("Ran A/B tests (a/b/n)"))
    ['ran', 'ab', 'tests', 'ab', 'n']
    """
    from classifier.features import ab_sites, is_word_char

    lowered = text.lower()
    if not text.isascii() and (not unicodedata.is_normalized("NFKC", text) or len(lowered) != len(text)):
        return None
    tokens = parts[1::2]
    sites = len(ab_sites(lowered))
    if sites:
        n = len(tokens)
        for i in _positions(tokens, "/"):
            # A fold is a mark "/" between the words "a" and "b", with no space between and no
            # word character around them (as the features' \b reads it).
            if (
                0 < i < n - 1
                and tokens[i - 1] == "a"
                and tokens[i + 1] == "b"
                and parts[2 * i] == parts[2 * i + 2] == ""
                and (i < 2 or parts[2 * i - 2] or not is_word_char(tokens[i - 2][-1]))
                and (i + 2 == n or parts[2 * i + 4] or not is_word_char(tokens[i + 2][0]))
            ):
                tokens[i - 1] = "ab"
                tokens[i + 1] = "/"  # a mark, which the words below leave out
                sites -= 1
        if sites:  # an "a/b" inside a longer token ("x-a/b"): the features cut such a text themselves
            return None
    return [t for t in tokens if t[0] in _WORD_START]


def _positions(items: list[str], value: str) -> Iterator[int]:
    """The indices of ``value`` in ``items``, each found by ``list.index`` (a scan in C).

    >>> list(_positions(["a", "/", "b", "/"], "/"))
    [1, 3]
    """
    i = -1
    while True:
        try:
            i = items.index(value, i + 1)
        except ValueError:
            return
        yield i


def _lowered(text: str) -> str:
    """The text in lowercase, each character where it was: offsets into it are offsets into ``text``.

    >>> _lowered("İ Python")
    'İ python'
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters lengthen when lowercased ("İ"): those keep their case.
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def resolve_matches(
    tokens: list[str], found: list[tuple[int, int, int, LexiconEntry]], kind: str | None = None
) -> tuple[list[tuple[int, int, LexiconEntry]], set[int]]:
    """The matches kept, as (first token, token after, entry) in text order, and which of them name colleagues.

    ``found`` holds (-length, first token, token after, entry); where matches overlap the
    longest wins, then the first. ``kind`` is read as :meth:`EvidenceFinder.find` reads it.
    """
    # A span has one lemma sequence, so entries are never compared. Two thirds of a posting's
    # matches are one word long: no two of them overlap, so they need no walk of their own, only
    # a look at whether a longer match took their word.
    longer = sorted(match for match in found if match[0] < -1)
    used = bytearray(len(tokens) + 1)
    taken = []
    for _, start, end, entry in longer:
        if used.find(1, start, end) < 0:
            taken.append((start, end, entry))
            used[start:end] = b"\x01" * (end - start)
    taken += [(start, end, entry) for length, start, end, entry in found if length == -1 and not used[start]]
    taken.sort(key=itemgetter(0))
    return taken, _colleague_names(tokens, taken, kind)


def is_word(token: str) -> bool:
    """Whether a token is a word as the features see it (they never see punctuation)."""
    return token[0] in _WORD_START


def _colleague_names(tokens: list[str], taken: list[tuple[int, int, LexiconEntry]], kind: str | None) -> set[int]:
    """Indices in ``taken`` of role names the features read as colleagues, by the same rule."""
    from classifier.features import colleagues, joined, word_before

    names = [k for k, (_, _, entry) in enumerate(taken) if entry.kind == "role_name"]
    if not names:
        return set()
    if kind in (None, "auto") and len({taken[k][2].label for k in names}) > 1:
        kind = kind_of_tokens([t for t in tokens if t[0] in _WORD_START])

    def words(a: int, b: int) -> list[str]:
        # The features see words only: punctuation tokens are passed over.
        return [t for t in tokens[max(a, 0) : b] if t[0] in _WORD_START]

    described = []
    for n, k in enumerate(names):
        start, _, entry = taken[k]
        before = words(start - 12, start)
        follows = n > 0 and joined(words(taken[names[n - 1]][1], start))
        described.append((entry.label, word_before(before, len(before)), follows))
    return {k for k, peer in zip(names, colleagues(described, resume=kind == "resume")) if peer}
