"""The files people edit in data/ are consistent with each other."""

import re
from pathlib import Path

from classifier.lexicon import SHARED, Lexicon
from training.examples import load_roles, load_templates

DATA = Path(__file__).resolve().parents[2] / "data"
PLACEHOLDERS = {
    "title",
    "company",
    "location",
    "person",
    "person_email",
    "years",
    "focus",
    "duty",
    "skill",
    "phrase",
    "shared",
}


def test_every_role_has_lexicon_phrases_and_names():
    """Each role in roles.toml has lexicon phrases, including names of the role."""
    lexicon, roles = Lexicon.from_dir(DATA / "lexicon"), load_roles(DATA / "roles.toml")
    assert set(lexicon.roles) == set(roles)
    for label in roles:
        kinds = {e.kind for e in lexicon.for_label(label)}
        assert {"role_name", "duty", "skill"} <= kinds, label


def test_no_phrase_supports_both_roles():
    """A phrase sits in one role's lexicon or in shared, never in both roles'."""
    lexicon = Lexicon.from_dir(DATA / "lexicon")
    seen = {}
    for e in lexicon.entries:
        if e.label != SHARED:
            assert seen.setdefault(e.pattern.lower(), e.label) == e.label, e.pattern


def test_templates_use_only_known_placeholders():
    """Every {placeholder} in templates.toml is one the generator fills."""
    text = (DATA / "templates.toml").read_text()
    assert set(re.findall(r"\{(\w+)\}", text)) <= PLACEHOLDERS
    templates = load_templates(DATA / "templates.toml")
    assert {"posting", "resume", "companies", "locations", "people"} <= set(templates)
