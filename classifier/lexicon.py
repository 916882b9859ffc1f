"""Keyword lexicons: phrases, the role each supports and how strongly.

A lexicon is a folder of JSON Lines files in spaCy's SpanRuler pattern format,
one phrase a line, with two extra keys of ours::

    {"label": "ml_engineer", "pattern": "model serving", "weight": 2.0, "kind": "duty"}

``label`` is a role, or ``shared`` for vocabulary that says nothing about the role
(weight 0). People edit these files; the model stores the parsed entries so that a
saved model explains itself with the lexicon it was trained with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

SHARED = "shared"
KINDS = frozenset({"role_name", "duty", "skill", "shared"})


class LexiconError(ValueError):
    """A lexicon file is missing or has a line we cannot use."""


@dataclass(frozen=True)
class LexiconEntry:
    """One phrase of a lexicon."""

    pattern: str
    label: str
    weight: float
    kind: str


@dataclass(frozen=True)
class Lexicon:
    """The parsed entries of every lexicon file, in file order.

    >>> lex = Lexicon((LexiconEntry("model serving", "ml_engineer", 2.0, "duty"),
    ...                LexiconEntry("python", "shared", 0.0, "shared")))
    >>> lex.roles
    ('ml_engineer',)
    >>> [e.pattern for e in lex.for_label("shared")]
    ['python']
    """

    entries: tuple[LexiconEntry, ...]

    @classmethod
    def from_dir(cls, path: str | Path) -> Lexicon:
        """Read every ``*.jsonl`` file of ``path``; raise LexiconError naming file and line."""
        folder = Path(path)
        files = sorted(folder.glob("*.jsonl"))
        if not files:
            raise LexiconError(
                f"no lexicon files (*.jsonl) in {folder}: point to the folder that holds "
                "ml_engineer.jsonl, data_scientist.jsonl and shared.jsonl"
            )
        entries: list[LexiconEntry] = []
        seen: dict[tuple[str, str], str] = {}
        for file in files:
            for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                where = f"{file}:{lineno}"
                entry = _parse_line(line, where)
                # Two lines for one phrase and role would leave it unclear which weight counts.
                key = (entry.label, " ".join(entry.pattern.lower().split()))
                if key in seen:
                    raise LexiconError(
                        f"{where}: '{entry.pattern}' for {entry.label} is already at {seen[key]}: "
                        "keep one line and set the weight there"
                    )
                seen[key] = where
                entries.append(entry)
        return cls(tuple(entries))

    @property
    def roles(self) -> tuple[str, ...]:
        """Role labels in first-seen order, without the shared vocabulary."""
        return tuple(dict.fromkeys(e.label for e in self.entries if e.label != SHARED))

    def for_label(self, label: str) -> tuple[LexiconEntry, ...]:
        """Entries that support ``label`` (or ``shared``)."""
        return tuple(e for e in self.entries if e.label == label)

    def sha256(self) -> str:
        """A hash of the content, stable under file layout and whitespace."""
        canonical = json.dumps(sorted((e.pattern, e.label, e.weight, e.kind) for e in self.entries)).encode()
        return hashlib.sha256(canonical).hexdigest()


_KEYS = frozenset({"label", "pattern", "weight", "kind"})
# Notes, not settings: lines copied from a model's lexicon_candidates.jsonl carry score and
# texts; spaCy's pattern files, which these lines resemble, allow an id.
_CANDIDATE_KEYS = frozenset({"score", "texts", "id"})


def _parse_line(line: str, where: str) -> LexiconEntry:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise LexiconError(f"{where}: not valid JSON ({err.msg}); each line must be one JSON object") from None
    return entry_from_row(row, where)


def entry_from_row(row: object, where: str) -> LexiconEntry:
    """One lexicon line's object, checked, as an entry; LexiconError names ``where`` and what is wrong.

    A saved model's lexicon is read back through here too, so it is held to the same rules.
    """
    if not isinstance(row, dict):
        raise LexiconError(f"{where}: expected a JSON object with label, pattern, weight and kind")
    unknown = sorted(set(row) - _KEYS - _CANDIDATE_KEYS)
    if unknown:
        raise LexiconError(
            f"{where}: unknown key(s) {unknown}; a line has label, pattern, weight and kind (check the spelling)"
        )
    pattern, label = row.get("pattern"), row.get("label")
    if not isinstance(pattern, str) or not pattern.strip():
        raise LexiconError(f"{where}: 'pattern' must be a non-empty phrase")
    if not isinstance(label, str) or not label:
        raise LexiconError(f"{where}: 'label' must name a role, or be 'shared'")
    weight = row.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise LexiconError(f"{where}: 'weight' must be a number >= 0, got {weight!r}")
    kind = row.get("kind", SHARED if label == SHARED else "skill")
    if kind not in KINDS:
        raise LexiconError(f"{where}: 'kind' must be one of {sorted(KINDS)}, got {kind!r}")
    if label == SHARED and weight:
        raise LexiconError(f"{where}: shared vocabulary says nothing about a role, so its weight must be 0")
    return LexiconEntry(pattern.strip(), label, float(weight), kind)
