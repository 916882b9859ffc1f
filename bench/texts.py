"""Posting-like texts of a chosen size, made by our own generator (or read from the dev set).

Pieces come from ``training.examples`` with a seed that training does not use, so the
bench never classifies the texts a model was fitted on. A text of ``kb`` kilobytes is a
run of one role's pieces cut at a word boundary just below the size: every text reads like
one long posting and leans one way, as real postings do.
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DEV_CSV = ROOT.parent / "shared" / "eval" / "dev.csv"
SEED = 6006  # training uses seed 0 by default; any other seed gives texts it never saw


def generated_pieces(data_dir: Path = DATA, n_per_role: int = 600, seed: int = SEED) -> dict[str, list[str]]:
    """Generated posting texts (about 1 KB each) by role label.

    >>> pieces = generated_pieces(n_per_role=4)
    >>> sorted(pieces), all(p for ps in pieces.values() for p in ps)
    (['data_scientist', 'ml_engineer'], True)
    """
    from classifier.lexicon import Lexicon
    from training.examples import generate_examples, load_roles, load_templates

    examples = generate_examples(
        load_roles(data_dir / "roles.toml"),
        Lexicon.from_dir(data_dir / "lexicon"),
        load_templates(data_dir / "templates.toml"),
        n_per_role=n_per_role,
        seed=seed,
        resume_share=0.0,
    )
    pieces: dict[str, list[str]] = {}
    for e in examples:
        pieces.setdefault(e.label, []).append(e.text)
    return pieces


def dev_pieces(path: Path = DEV_CSV) -> dict[str, list[str]]:
    """Real postings of the evaluation set by label (only with ``DEV=1``; never copied)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: DEV=1 needs the shared evaluation set; run without DEV=1")
    csv.field_size_limit(sys.maxsize)
    pieces: dict[str, list[str]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("text", "").strip():
                pieces.setdefault(row["label"], []).append(row["text"])
    return pieces


def cut(text: str, size: int) -> str:
    """The longest prefix of ``text`` of at most ``size`` UTF-8 bytes that ends at a word boundary.

    >>> cut("deploy models to production", 20)
    'deploy models to'
    """
    raw = text.encode("utf-8")
    if len(raw) <= size:
        return text
    head = raw[:size].decode("utf-8", errors="ignore")
    space = head.rfind(" ", 0, len(head))
    newline = head.rfind("\n", 0, len(head))
    end = max(space, newline)
    return head[:end] if end > 0 else head


def texts(pieces: dict[str, list[str]], n: int, kb: float, seed: int = SEED) -> Iterator[str]:
    """``n`` texts of about ``kb`` kilobytes, roles alternating, each a seeded mix of pieces.

    >>> pool = {"a": ["alpha beta gamma"], "b": ["delta epsilon"]}
    >>> [len(t.encode()) <= 40 for t in texts(pool, 3, 40 / 1024)]
    [True, True, True]
    """
    rng = random.Random(seed)
    labels = sorted(pieces)
    size = int(kb * 1024)
    for i in range(n):
        pool = pieces[labels[i % len(labels)]]
        parts, length = [], 0
        while length < size:
            part = rng.choice(pool)
            parts.append(part)
            length += len(part) + 2
        yield cut("\n\n".join(parts), size)
