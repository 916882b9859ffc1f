from pathlib import Path

from classifier.lexicon import Lexicon
from training.examples import generate_examples, load_roles, load_templates

DATA = Path(__file__).resolve().parents[2] / "data"


def generate(seed, n=20):
    return generate_examples(
        load_roles(DATA / "roles.toml"),
        Lexicon.from_dir(DATA / "lexicon"),
        load_templates(DATA / "templates.toml"),
        n_per_role=n,
        seed=seed,
    )


def test_same_seed_same_texts():
    """Generation is reproducible: the same seed gives the same examples."""
    assert generate(7) == generate(7)
    assert generate(7) != generate(8)


def test_balanced_roles_and_both_kinds():
    """Each role gets the asked number of texts, as postings and as resumes."""
    examples = generate(1, n=60)
    assert sum(e.label == "ml_engineer" for e in examples) == 60
    assert sum(e.label == "data_scientist" for e in examples) == 60
    assert {e.kind for e in examples} == {"posting", "resume"}


def test_no_placeholder_left_unfilled():
    """Every frame placeholder is replaced in the generated text."""
    assert not any("{" in e.text or "}" in e.text for e in generate(3, n=100))
