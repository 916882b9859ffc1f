"""Keyword-seeded training texts built from the role descriptions (weak supervision).

Each text is a posting or a resume assembled from the frames in ``templates.toml``,
filled with one role's responsibilities, skills and lexicon phrases, some role-neutral
vocabulary and boilerplate, and a share of the other role's phrases, because real
postings are rarely pure. Every random choice comes from one seeded generator, so the
same data and seed give the same texts.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path

from classifier.lexicon import SHARED, Lexicon

NEUTRAL_TITLES = ("new colleague", "team member", "specialist", "professional")


@dataclass(frozen=True)
class Role:
    """One role as described in ``data/roles.toml``."""

    label: str
    title: str
    titles: tuple[str, ...]
    focus: tuple[str, ...]
    responsibilities: tuple[str, ...]
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Example:
    """A generated, labelled text."""

    text: str
    label: str
    kind: str


def load_roles(path: str | Path) -> dict[str, Role]:
    """Read ``roles.toml``: one table per role, each with the lists the generator needs."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    roles = {}
    for key, table in raw.items():
        missing = [k for k in ("title", "titles", "focus", "responsibilities", "skills") if not table.get(k)]
        if missing:
            raise ValueError(f"{path}: role [{key}] needs non-empty {', '.join(missing)}")
        label = table.get("label", key)
        roles[label] = Role(
            label, table["title"], *(tuple(table[k]) for k in ("titles", "focus", "responsibilities", "skills"))
        )
    if len(roles) != 2:
        raise ValueError(f"{path}: RoleLens tells two roles apart; found {len(roles)}")
    return roles


def load_templates(path: str | Path) -> dict:
    """Read ``templates.toml``."""
    with open(path, "rb") as f:
        return tomllib.load(f)


class _Writer:
    """Fills frames for one role with a seeded generator."""

    def __init__(self, role: Role, other: Role, lexicon: Lexicon, templates: dict,
                 rng: random.Random, other_share: float):
        self.role, self.other, self.t, self.rng = role, other, templates, rng
        self.other_share = other_share
        self.phrases = {r.label: [e for e in lexicon.for_label(r.label) if e.kind != "role_name"]
                        for r in (role, other)}
        self.shared = [e.pattern for e in lexicon.for_label(SHARED)] or ["data"]

    def _source(self) -> Role:
        return self.other if self.rng.random() < self.other_share else self.role

    def _phrase(self) -> str:
        entries = self.phrases[self._source().label]
        if not entries:
            return self.rng.choice(self.shared)
        return self.rng.choices(entries, weights=[e.weight + 0.5 for e in entries])[0].pattern

    def fill(self, frame: str, title: str) -> str:
        rng = self.rng
        values = {
            "title": lambda: title,
            "company": lambda: rng.choice(self.t["companies"]),
            "location": lambda: rng.choice(self.t["locations"]),
            "person": lambda: rng.choice(self.t["people"]),
            "person_email": lambda: f"{rng.choice(self.t['people']).split()[0].lower()}@example.com",
            "years": lambda: str(rng.randint(1, 12)),
            "focus": lambda: rng.choice(self._source().focus),
            "duty": lambda: rng.choice(self._source().responsibilities),
            "skill": lambda: rng.choice(self._source().skills),
            "phrase": self._phrase,
            "shared": lambda: rng.choice(self.shared),
        }
        out, rest = [], frame
        while "{" in rest:
            head, _, tail = rest.partition("{")
            name, _, rest = tail.partition("}")
            out.append(head)
            out.append(values[name]())
        out.append(rest)
        text = "".join(out)
        return text[0].upper() + text[1:] if text else text

    def lines(self, frames: list[str], n: int, title: str) -> list[str]:
        return [self.fill(self.rng.choice(frames), title) for _ in range(n)]

    def document(self, kind: str, title_rate: float) -> str:
        rng, t = self.rng, self.t[kind]
        title = rng.choice(self.role.titles) if rng.random() < title_rate else rng.choice(NEUTRAL_TITLES)
        blocks = [self.fill(rng.choice(t["openings"]), title)]
        if kind == "resume":
            blocks.append(self.fill(rng.choice(t["summaries"]), title))
            blocks.append(rng.choice(t["section_duties"]))
            for _ in range(rng.randint(1, 3)):
                blocks.append(self.fill(rng.choice(t["jobs"]), title))
                blocks.extend(self.lines(t["duty_lines"], rng.randint(2, 5), title))
        else:
            blocks.append(rng.choice(t["section_duties"]))
            blocks.extend(self.lines(t["duty_lines"], rng.randint(3, 8), title))
        blocks.append(rng.choice(t["section_skills"]))
        blocks.extend(self.lines(t["skill_lines"], rng.randint(2, 7), title))
        neutral = self.lines(t["neutral"], rng.randint(0, 4), title)
        for line in neutral:
            blocks.insert(rng.randint(1, len(blocks)), line)
        return "\n".join(blocks)


def generate_examples(
    roles: dict[str, Role],
    lexicon: Lexicon,
    templates: dict,
    n_per_role: int = 2000,
    seed: int = 0,
    resume_share: float = 0.35,
    title_rate: float = 0.5,
    other_share: float = 0.12,
) -> list[Example]:
    """Generate ``n_per_role`` texts for each role, postings and resumes mixed.

    >>> from pathlib import Path
    >>> data = Path(__file__).resolve().parents[1] / "data"
    >>> ex = generate_examples(load_roles(data / "roles.toml"), Lexicon.from_dir(data / "lexicon"),
    ...                        load_templates(data / "templates.toml"), n_per_role=3, seed=1)
    >>> len(ex), sorted({e.label for e in ex})
    (6, ['data_scientist', 'ml_engineer'])
    """
    rng = random.Random(seed)
    labels = sorted(roles)
    writers = {
        label: _Writer(roles[label], roles[other], lexicon, templates, rng, other_share)
        for label, other in zip(labels, labels[::-1])
    }
    examples = []
    for i in range(n_per_role):
        for label in labels:
            kind = "resume" if rng.random() < resume_share else "posting"
            examples.append(Example(writers[label].document(kind, title_rate), label, kind))
    return examples


def examples_sha256(examples: list[Example]) -> str:
    """A hash of the generated texts and labels, recorded in the model's metadata."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.label}\t{e.kind}\t{e.text}\x00".encode())
    return digest.hexdigest()
