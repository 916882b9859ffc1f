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


def test_company_lines_come_as_one_paragraph_at_the_start_or_end():
    """Company lines are added as one block of one to four lines naming one company, before or after the text."""
    from training.scope_examples import load_occupations, with_about

    about = load_occupations(DATA / "scope" / "occupations.toml")[2]
    texts = ["Build REST APIs.\nReview code.\nFix bugs."] * 40
    for text in with_about(texts, DATA, load_templates(DATA / "templates.toml"), rate=1.0, seed=5):
        lines = text.split("\n")
        added = len(lines) - 3
        assert 1 <= added <= 4
        body_at = lines.index("Build REST APIs.")
        assert body_at in (0, added) and lines[body_at : body_at + 3] == texts[0].split("\n")
        block = lines[:added] if body_at else lines[3:]
        assert all(any(line.startswith(a.split("{company}")[0]) for a in about) for line in block)
