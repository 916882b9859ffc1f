"""Self-training: learn the vocabulary of real postings from an unlabelled corpus.

The seeded model reads the user's texts; those it labels with confidence become the
training set of a second block of features (every n-gram they hold, see
``RoleClassifier.fit_corpus``), blended with the seeded model. The blended model labels
the corpus again, and this repeats until the labels stop changing. The seeded block
stays in every round, so that the lexicon keeps anchoring what each role means; its
role names, which the seeded model reads well in real text, are where most of the
corpus labels come from, and the corpus block learns which duties and skills go with them.
"""

from __future__ import annotations

import codecs
import copy
import csv
import gzip
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.features import PEER, ROLE, TOKEN, find_roles, lemma_spans, role_index
from classifier.model import RoleClassifier


def read_unlabeled(
    path: str | Path, text_col: str = "text", encoding: str = "utf-8"
) -> tuple[list[str], dict[str, Any]]:
    """Non-empty texts of a column of a CSV, CSV.gz or Parquet file, and counts of what was read and skipped."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give UNLABELED one .csv, .csv.gz or .parquet file")
    if not path.is_file():
        raise ValueError(f"{path} does not exist: check the path given as UNLABELED")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}: give one Python knows, such as utf-8 or latin-1") from None
    name = path.name.lower()
    if name.endswith(".parquet"):
        rows, columns, undecodable = _parquet_column(path, text_col, encoding)
    elif name.endswith((".csv", ".csv.gz")):
        rows, columns, undecodable = _csv_column(path, text_col, encoding)
    else:
        raise ValueError(f"{path}: UNLABELED must be a .csv, .csv.gz or .parquet file")
    if rows is None:
        raise ValueError(f"{path} has no column {text_col!r}; its columns are {columns}: set TEXT_COL=...")
    if not rows:
        raise ValueError(f"{path} has a header but no rows: give a corpus of real postings or resumes")
    texts = [t for t in rows if t.strip()]
    info = {
        "path": str(path),
        "sha256": file_sha256(path),
        "rows": len(rows),
        "empty_skipped": len(rows) - len(texts),
        "undecodable_rows": undecodable,
        "encoding": encoding,
    }
    return texts, info


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks: a corpus or a batch may be larger than memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv_column(path: Path, text_col: str, encoding: str) -> tuple[list[str] | None, list[str], int]:
    csv.field_size_limit(1 << 26)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    try:
        with opener(path, "rt", newline="", encoding=encoding) as f:
            return _column(csv.DictReader(f), path, text_col) + (0,)
    except UnicodeDecodeError:
        # Read again with U+FFFD in place of what does not decode, and say how many rows had some.
        with opener(path, "rt", newline="", encoding=encoding, errors="replace") as f:
            rows, columns = _column(csv.DictReader(f), path, text_col)
        return rows, columns, sum("\ufffd" in t for t in rows or [])
    except gzip.BadGzipFile:
        raise ValueError(f"{path} is not gzip-compressed: name it .csv if it is plain text") from None


def _column(reader: csv.DictReader, path: Path, text_col: str) -> tuple[list[str] | None, list[str]]:
    if reader.fieldnames is None:
        raise ValueError(f"{path} is empty: give a CSV with a header row and a column named {text_col!r}")
    if text_col not in reader.fieldnames:
        return None, list(reader.fieldnames)
    return [(r.get(text_col) or "") for r in reader], list(reader.fieldnames)


def _parquet_column(path: Path, text_col: str, encoding: str) -> tuple[list[str] | None, list[str], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as err:  # pyarrow raises several kinds for a file that is not Parquet
        raise ValueError(f"{path} is not a readable Parquet file ({err})") from None
    if text_col not in schema.names:
        return None, schema.names, 0
    kind = schema.field(text_col).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)):
        raise ValueError(f"{path}: column {text_col!r} holds {kind}, not text: set TEXT_COL to the text column")
    values = pq.read_table(path, columns=[text_col]).column(0).to_pylist()
    if pa.types.is_binary(kind):
        values = [None if v is None else v.decode(encoding, errors="replace") for v in values]
    rows = ["" if v is None else v for v in values]
    return rows, schema.names, sum("\ufffd" in t for t in rows) if pa.types.is_binary(kind) else 0


# A corpus teaches nothing when most of it is copies or one-liners; a share of them only
# weighs a few texts more. Above the first figure self-training is refused, above the second warned about.
REFUSE_SHARE, WARN_SHARE = 0.5, 0.2
SHORT_WORDS = 25  # fewer words than a posting's title and one duty line
# Texts that all open with a role name (one per row, formulaic): the corpus block can only
# learn the name back, which the seeded model already reads.
OPENING_CHARS, OPENING_SHARE = 80, 0.9


def check_corpus(texts: Sequence[str], role_names: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """What makes ``texts`` unfit to self-train on (problems) or doubtful (warnings), each said with its fix.

    Looks for copies of the same text, texts of a line or two, and texts that all open
    with a role name (``role_names`` maps each role to its names).
    """
    problems: list[str] = []
    warnings: list[str] = []
    n = len(texts)
    if not n:
        return ["there are no texts to learn from"], []

    def judge(count: int, what: str, fix: str) -> None:
        message = f"{count} of the {n} texts {what}: {fix}"
        if count > REFUSE_SHARE * n:
            problems.append(message)
        elif count > WARN_SHARE * n:
            warnings.append(message)

    unique = len({" ".join(t.lower().split()) for t in texts})
    judge(n - unique, "repeat another text", "remove the copies first")
    short = sum(len(t.split()) < SHORT_WORDS for t in texts)
    judge(short, f"have fewer than {SHORT_WORDS} words", "give whole postings or resumes, not titles or snippets")
    index = role_index(role_names)
    opening = sum(bool(find_roles(TOKEN.findall(t[:OPENING_CHARS].lower()), index)) for t in texts)
    if n >= 20 and opening > OPENING_SHARE * n:
        warnings.append(
            f"{opening} of the {n} texts open with a role name, as generated or templated texts do; "
            "self-training learns most from real postings"
        )
    return problems, warnings


def self_train(
    seed_model: RoleClassifier,
    corpus: Sequence[str],
    *,
    confidence: float = 0.6,
    weight: float = 0.5,
    max_rounds: int = 3,
    stop_below: float = 0.01,
    min_per_role: int = 50,
    log: Callable[[str], None] = print,
    first_proba: np.ndarray | None = None,
) -> tuple[RoleClassifier, dict[str, Any]]:
    """Rounds of labelling ``corpus`` and fitting the corpus block; returns the last model and a record.

    A text is learned from when its winning probability is at least ``confidence``; the
    corpus block carries ``weight`` of the blended log-odds. Stops when fewer than
    ``stop_below`` of the corpus changed label, or after ``max_rounds``. Fewer than
    ``min_per_role`` confident texts of a role is an error. ``seed_model`` is left as it was.
    ``first_proba``, the seed model's probabilities of ``corpus`` when already computed,
    saves reading the corpus once more.
    """
    if not 0 < weight <= 1 or not 0.5 <= confidence < 1 or max_rounds < 1:
        raise ValueError("self-training needs 0 < weight <= 1, 0.5 <= confidence < 1 and max_rounds >= 1")
    corpus = list(corpus)
    model, labels = copy.deepcopy(seed_model), None
    rounds: list[dict[str, Any]] = []
    for r in range(1, max_rounds + 1):
        proba = first_proba if r == 1 and first_proba is not None else model.predict_proba(corpus)
        new = model.classes_[proba.argmax(axis=1)]
        changed = None if labels is None else float((new != labels).mean())
        labels = new
        if changed is not None and changed < stop_below:
            log(f"self-training: {changed:.1%} of labels changed in round {r - 1}, stopping")
            break
        keep = np.flatnonzero(proba.max(axis=1) >= confidence)
        sure = {str(c): int((labels[keep] == c).sum()) for c in model.classes_}
        if min(sure.values()) < min_per_role:
            raise ValueError(
                f"of the {len(corpus)} corpus texts, {sure} were labelled with probability >= {confidence}; "
                f"self-training needs at least {min_per_role} of each role: give a larger corpus with "
                "postings or resumes of both roles"
            )
        model.fit_corpus([corpus[i] for i in keep], labels[keep], weight=weight, min_per_role=min_per_role)
        counts = model.corpus_["kept"]
        rounds.append(
            {
                "round": r,
                "kept": counts,
                "changed_before": changed,
                "corpus_features": len(model.corpus_["vectorizer"].vocabulary_),
            }
        )
        log(
            f"self-training round {r}: learned {rounds[-1]['corpus_features']} n-grams "
            f"from {counts} of {len(corpus)} texts"
        )
    return model, {
        "rounds": rounds,
        "confidence": confidence,
        "weight": weight,
        "corpus_texts": len(corpus),
        "calibration_scale": model.corpus_["scale"],
    }


CANDIDATES_FILE = "lexicon_candidates.jsonl"


def lexicon_candidates(model: RoleClassifier, corpus: Sequence[str], per_role: int = 30) -> list[dict[str, Any]]:
    """The corpus block's strongest n-grams for each role that the lexicon lacks, as lexicon lines.

    They are for a person to review: a line worth keeping goes into ``data/lexicon/<role>.jsonl``
    (``kind`` and ``weight`` set by hand), so that the seeded model knows it without a corpus.
    Each ``pattern`` is the wording the corpus used most for the n-gram; pairs that only meet
    across punctuation ("location, remote") are left out. ``score`` is the n-gram's weight in
    the corpus block, ``texts`` how many corpus texts hold it.
    """
    block = model.corpus_
    if block is None:
        return []
    vectorizer = block["vectorizer"]
    names = vectorizer.get_feature_names_out()
    # idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn smooths it
    n = sum(block["kept"].values())
    texts = np.rint((1 + n) / np.exp(vectorizer.idf_ - 1) - 1).astype(int)
    known = model.vectorizer_.vocabulary_
    # Leave out what the lexicon has, role names, pieces of contractions ("ll" of "we'll"),
    # numbers ("401k", "2023"), and words that both roles' texts use alike ("advanced",
    # "support"): a lexicon phrase has to say which role a text leans to.
    usable = np.array(
        [
            g not in known and ROLE not in g and PEER not in g and not _FRAGMENT.fullmatch(g) and not _DIGIT.search(g)
            for g in names
        ]
    ) & _role_specific(model, vectorizer, corpus)
    ranked = {}
    for sign, label in ((-1, model.classes_[0]), (1, model.classes_[1])):
        scores = sign * block["coef"]
        ranked[str(label)] = [(j, float(scores[j])) for j in np.argsort(-scores) if usable[j] and scores[j] > 0]
    wording = _wordings(
        {str(names[j]) for r in ranked.values() for j, _ in r[: 3 * per_role]}, corpus, vectorizer.build_analyzer()
    )
    out = []
    for label, order in ranked.items():
        found = [(j, score) for j, score in order[: 3 * per_role] if str(names[j]) in wording][:per_role]
        out += [
            {
                "label": label,
                "pattern": wording[str(names[j])],
                "weight": 1.0,
                "kind": "skill",
                "score": round(score, 3),
                "texts": int(texts[j]),
            }
            for j, score in found
        ]
    return out


# An n-gram is a candidate for a role when the share of that role's texts holding it is at
# least this many times the share of the other role's texts that do.
SPECIFIC = 2.0


def _role_specific(model: RoleClassifier, vectorizer, corpus: Sequence[str]) -> np.ndarray:
    """Per column of the corpus block: whether one role's texts (as the model labels them) hold it far more often."""
    held = vectorizer.transform(list(corpus)) > 0
    labels = model.predict(list(corpus))
    shares = []
    for c in model.classes_:
        rows = labels == c
        # Add-one smoothing: a word in 1 of 3 texts of a role is no evidence.
        shares.append((np.asarray(held[rows].sum(axis=0)).ravel() + 1) / (rows.sum() + 2))
    ratio = shares[0] / shares[1]
    return (ratio >= SPECIFIC) | (ratio <= 1 / SPECIFIC)


_DIGIT = re.compile(r"\d")
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}|•\n]")
_FRAGMENT = re.compile(r"[a-z]|ll|ve|re")


def _wordings(grams: set[str], corpus: Sequence[str], analyse: Callable[[str], list[str]]) -> dict[str, str]:
    """The corpus's most used wording of each of ``grams`` (lemma unigrams and bigrams) that the
    model's analyzer turns back into that n-gram; grams without one are left out."""
    seen: dict[str, Counter] = {}
    for text in corpus:
        low, words = lemma_spans(text)
        for i, (start, end, lemma) in enumerate(words):
            if lemma in grams:
                seen.setdefault(lemma, Counter())[low[start:end]] += 1
            if i + 1 < len(words):
                next_start, next_end, next_lemma = words[i + 1]
                pair = f"{lemma} {next_lemma}"
                if pair in grams and not _CLAUSE_BREAK.search(low, end, next_start):
                    seen.setdefault(pair, Counter())[low[start:next_end]] += 1
    out = {}
    for gram, counts in seen.items():
        # Role names are joined into one token by the analyzer, not by lemma_spans: "ml engineering"
        # and "ML engineer" share the lemma pair, but only the first reads back as it.
        wording = next((w for w, _ in counts.most_common() if _reads_back(analyse(w), gram)), None)
        if wording is not None:
            out[gram] = wording
    return out


def _reads_back(grams: list[str], gram: str) -> bool:
    return gram in grams and not any(t.startswith((ROLE, PEER)) for g in grams for t in g.split())
