"""Keyword-seeded training texts built from the role descriptions (weak supervision).

Each text is a posting or a resume assembled from the frames in ``templates.toml``,
filled with one role's responsibilities, skills and lexicon phrases, some role-neutral
vocabulary and boilerplate, and a share of the other role's phrases, because real
postings are rarely pure. Every random choice comes from one seeded generator, so the
same data and seed give the same texts.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import tomllib
from collections import Counter
from collections.abc import Sequence
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
    prior: float | None = None


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
            label,
            table["title"],
            *(tuple(table[k]) for k in ("titles", "focus", "responsibilities", "skills")),
            prior=table.get("prior"),
        )
    if len(roles) != 2:
        raise ValueError(f"{path}: RoleLens tells two roles apart; found {len(roles)}")
    priors = [r.prior for r in roles.values()]
    if any(p is not None for p in priors) and (
        None in priors or not all(0 < p < 1 for p in priors) or abs(sum(priors) - 1) > 1e-6
    ):
        raise ValueError(f"{path}: give every role a prior between 0 and 1, adding up to 1 (or none)")
    return roles


def class_prior(roles: dict[str, Role]) -> dict[str, float] | None:
    """The roles' priors as the classifier's ``class_prior``, or None when not given."""
    if any(r.prior is None for r in roles.values()):
        return None
    return {label: float(r.prior) for label, r in roles.items()}


def load_templates(path: str | Path) -> dict:
    """Read ``templates.toml``."""
    with open(path, "rb") as f:
        return tomllib.load(f)


class _Writer:
    """Fills frames for one role with a seeded generator."""

    def __init__(
        self,
        role: Role,
        other: Role,
        lexicon: Lexicon,
        templates: dict,
        rng: random.Random,
        other_share: float,
        common: Sequence[str] = (),
    ):
        """A {shared} slot takes one of the lexicon's shared phrases or, half the time when ``common``
        is given, one of those words every job uses."""
        self.role, self.other, self.t, self.rng = role, other, templates, rng
        self.base_share = self.other_share = other_share
        # A phrase's weight is read as a log-likelihood ratio: a phrase of weight w is
        # e**w times as likely in a text of its own role as in one of the other role.
        pool = [e for r in (role, other) for e in lexicon.for_label(r.label) if e.kind != "role_name"]
        self.pool = [e.pattern for e in pool]
        # Each role's phrases share one unit of mass, however many it has: summed instead,
        # the role with the longer lexicon would dilute its own phrases and make the other
        # role's look rarer in its texts than their weights say, tilting both ways at once.
        size = Counter(e.label for e in pool)
        self.own = [(math.exp(e.weight) if e.label == role.label else 1.0) / size[e.label] for e in pool]
        self.foreign = [e.label != role.label for e in pool]
        self.shared = [e.pattern for e in lexicon.for_label(SHARED)] or ["data"]
        self.common = list(common)

    def _source(self) -> Role:
        return self.other if self.rng.random() < self.other_share else self.role

    def _shared(self) -> str:
        if self.common and self.rng.random() < 0.5:
            return self.rng.choice(self.common)
        return self.rng.choice(self.shared)

    def _phrase(self) -> str:
        if not self.pool:
            return self.rng.choice(self.shared)
        return self.rng.choices(self.pool, cum_weights=self.cum)[0]

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
            "shared": self._shared,
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
        named = rng.random() < title_rate
        title = rng.choice(self.role.titles) if named else rng.choice(NEUTRAL_TITLES)
        # How much of the other role a text borrows varies from text to text. A text
        # that names its role may borrow more: the name then has to carry the label,
        # as it does in real postings that list both roles' skills.
        self.other_share = rng.uniform(0, 2 * self.base_share * (2 if named else 1))
        # Texts differ in how much they borrow: scale the other role's phrases per text.
        borrow = rng.uniform(0.25, 1.75) * (2 if named else 1)
        self.cum = list(itertools.accumulate(w * borrow if f else w for w, f in zip(self.own, self.foreign)))
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

    ``title_rate`` is the share of texts that name their role; ``other_share`` the mean
    share of phrases borrowed from the other role by a text that does not.

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
    for _ in range(n_per_role):
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
