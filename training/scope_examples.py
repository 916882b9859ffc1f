"""Generated texts of other work, for the scope model: no labelled data, no real postings.

``data/scope/occupations.toml`` describes neighbouring data jobs (``adjacent``) and other
jobs (``out``) as ``roles.toml`` describes the two roles. Their postings and resumes come
from the same frames (``templates.toml``) and the same writer as the role texts, so that
the frames' wording says nothing about scope; the role texts themselves are the ``in`` side.
Two more kinds of ``out`` text teach that words of no job are not DS/ML work: frames with
only their boilerplate lines (benefits, equal opportunity), and strings of made-up words.
Texts of every scope may also carry what a company says about itself (``about``: "we build
AI-powered software..."): companies that sell AI hire software engineers and salespeople too,
so such lines must not count as DS/ML duties.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Sequence
from pathlib import Path

from classifier.lexicon import SHARED, Lexicon, LexiconEntry
from training.examples import Example, Role, _Writer

SCOPE_FILE = Path("scope") / "occupations.toml"
SCOPES = ("adjacent", "out")


def load_occupations(
    path: str | Path,
) -> tuple[dict[str, tuple[str, Role, tuple[str, ...], float]], tuple[str, ...], tuple[str, ...]]:
    """Read ``occupations.toml``: per job its scope, a Role, its phrases and weight; the shared work
    vocabulary; and the lines companies write about themselves."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    shared = tuple(raw.pop("shared", ()))
    about = raw.pop("about", [])
    if not isinstance(about, list) or not all(isinstance(line, str) and line.strip() for line in about):
        raise ValueError(f"{path}: 'about' must be a list of sentences a company writes about itself")
    jobs = {}
    for key, table in raw.items():
        if not isinstance(table, dict):
            raise ValueError(f"{path}: '{key}' must be a table [{key}] describing a job")
        missing = [k for k in ("titles", "focus", "responsibilities", "skills", "phrases") if not table.get(k)]
        if missing:
            raise ValueError(f"{path}: job [{key}] needs non-empty {', '.join(missing)}")
        if table.get("scope") not in SCOPES:
            raise ValueError(f'{path}: job [{key}] needs scope = "adjacent" or "out", got {table.get("scope")!r}')
        role = Role(
            key, table["titles"][0], *(tuple(table[k]) for k in ("titles", "focus", "responsibilities", "skills"))
        )
        weight = table.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise ValueError(f"{path}: job [{key}] needs a weight > 0, got {weight!r}")
        jobs[key] = (table["scope"], role, tuple(table["phrases"]), float(weight))
    if {job[0] for job in jobs.values()} != set(SCOPES):
        raise ValueError(f"{path}: describe at least one job of each scope ({', '.join(SCOPES)})")
    return jobs, shared, tuple(about)


def generate_scope_examples(
    data_dir: str | Path,
    templates: dict,
    roles: dict[str, Role],
    lexicon: Lexicon,
    n: int = 3000,
    seed: int = 0,
    resume_share: float = 0.35,
    borrow_in: float = 0.3,
    borrow_out: float = 0.1,
    about_rate: float = 0.3,
) -> list[Example]:
    """``n`` texts, a third each ``in``, ``adjacent`` and ``out``, from the jobs of ``occupations.toml``.

    Real texts are rarely pure: an ``in`` text borrows on average ``borrow_in`` of its duties
    and skills from another job (a DS/ML posting lists software or reporting work too), and
    an ``adjacent`` or ``out`` text ``borrow_out`` from one of ``roles`` (a software posting at
    a company that sells AI). Jobs of one scope share its texts by their ``weight``; a fifth
    of the ``out`` texts are boilerplate alone or made-up words. A share ``about_rate`` of the
    texts of every scope open or close with a paragraph of one to four of the file's ``about``
    lines (a company that sells AI describing itself), so that these say nothing about scope.

    >>> from collections import Counter
    >>> from training.examples import load_roles, load_templates
    >>> data = Path(__file__).resolve().parents[1] / "data"
    >>> ex = generate_scope_examples(data, load_templates(data / "templates.toml"), load_roles(data / "roles.toml"),
    ...                              Lexicon.from_dir(data / "lexicon"), n=30, seed=1)
    >>> sorted(Counter(e.label for e in ex).items())
    [('adjacent', 10), ('in', 10), ('out', 10)]
    """
    data_dir = Path(data_dir)
    jobs, shared, about = load_occupations(data_dir / SCOPE_FILE)
    rng = random.Random(seed)
    labels = sorted(roles)
    # Words every job uses fill half the {shared} slots of every text, whatever its scope; the other
    # half take words of the text's own kind (the roles' shared phrases, the job's phrases). Listed
    # for one scope's texts only, or more often in them, they would read as signs of that scope.
    writers = {}
    for key, (_, role, phrases, _) in jobs.items():
        # A job's phrases fill its {phrase} slots and, as its own shared words, the other half of {shared}.
        own = Lexicon(
            (
                *(LexiconEntry(p, key, 1.0, "skill") for p in phrases),
                *(LexiconEntry(p, SHARED, 0.0, SHARED) for p in phrases),
            )
        )
        for label in labels:
            writers[key, label] = _Writer(role, roles[label], own, templates, rng, borrow_out, common=shared)
            writers[label, key] = _Writer(roles[label], role, lexicon, templates, rng, borrow_in, common=shared)
    by_scope = {s: [k for k, job in jobs.items() if job[0] == s] for s in SCOPES}
    every = [k for keys in by_scope.values() for k in keys]
    weights = {s: [jobs[k][3] for k in keys] for s, keys in by_scope.items()}
    out: list[Example] = []
    for i in range(n):
        scope = ("in", *SCOPES)[i % 3]
        kind = "resume" if rng.random() < resume_share else "posting"
        label = rng.choice(labels)
        if scope == "in":
            other = rng.choices(every, weights=[jobs[k][3] for k in every])[0]
            text = writers[label, other].document(kind, title_rate=0.5)
        elif scope == "out" and rng.random() < 0.2:
            # No company lines here: with no job words beside them, they would be all the model
            # learns from these texts, and lines that read alike in every scope would mean "out".
            text = _boilerplate(templates, kind, rng) if rng.random() < 0.5 else _made_up_words(rng)
            out.append(Example(text, scope, kind))
            continue
        else:
            job = rng.choices(by_scope[scope], weights=weights[scope])[0]
            text = writers[job, label].document(kind, title_rate=0.6)
        out.append(Example(_with_about(text, about, templates, rng, about_rate), scope, kind))
    return out


def with_about(
    texts: Sequence[str], data_dir: str | Path, templates: dict, rate: float = 0.3, seed: int = 0
) -> list[str]:
    """``texts`` (the role model's own, the ``in`` side of the scope answer) with company lines at the
    share ``rate``, as :func:`generate_scope_examples` gives the generated texts of every scope.

    >>> data = Path(__file__).resolve().parents[1] / "data"
    >>> from training.examples import load_templates
    >>> out = with_about(["a", "b", "c", "d"], data, load_templates(data / "templates.toml"), rate=1.0)
    >>> all(len(t.splitlines()) > 1 for t in out)
    True
    """
    _, _, about = load_occupations(Path(data_dir) / SCOPE_FILE)
    rng = random.Random(seed)
    return [_with_about(t, about, templates, rng, rate) for t in texts]


def _with_about(text: str, about: tuple[str, ...], templates: dict, rng: random.Random, rate: float) -> str:
    """``text`` with, at the share ``rate`` of calls, a paragraph of one to four ``about`` lines of one
    company at its start or its end, where a real posting says who the company is."""
    if not about or rng.random() >= rate:
        return text
    lines = text.split("\n")
    company = rng.choice(templates["companies"])
    block = [line.replace("{company}", company) for line in rng.sample(about, rng.randint(1, min(4, len(about))))]
    at = rng.choice((0, len(lines)))
    return "\n".join(lines[:at] + block + lines[at:])


def _boilerplate(templates: dict, kind: str, rng: random.Random) -> str:
    """Lines that every posting or resume may carry and that name no work."""
    lines = rng.sample(templates[kind]["neutral"], k=min(len(templates[kind]["neutral"]), rng.randint(1, 4)))
    fill = {
        "{location}": rng.choice(templates["locations"]),
        "{company}": rng.choice(templates["companies"]),
        "{shared}": "teamwork",
    }
    text = " ".join(lines)
    for slot, value in fill.items():
        text = text.replace(slot, value)
    return text


def _made_up_words(rng: random.Random) -> str:
    """Words of random syllables: text in no language, such as a test string or a broken file."""
    syllables = ["lo", "rem", "ip", "sum", "do", "lor", "sit", "am", "et", "qua", "zu", "ki", "bra", "nek", "tor"]
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(rng.randint(3, 80))]
    return " ".join(words).capitalize() + "."


def scope_vocabulary(data_dir: str | Path, lexicon: Lexicon, roles: dict[str, Role]) -> list[str]:
    """The phrases whose n-grams the scope model reads: lexicon phrases and every job's titles, duties and skills."""
    jobs, _, _ = load_occupations(Path(data_dir) / SCOPE_FILE)
    phrases = [e.pattern for e in lexicon.entries]
    for role in [*roles.values(), *(job[1] for job in jobs.values())]:
        phrases += [*role.titles, *role.responsibilities, *role.skills]
    return phrases + [p for job in jobs.values() for p in job[2]]
