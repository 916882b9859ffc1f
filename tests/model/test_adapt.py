"""Adapting the model to the batch it labels: self-training on the batch's texts and its mix of roles."""

import random
from pathlib import Path

import numpy as np
import pytest

from classifier.lexicon import Lexicon
from classifier.model import RoleClassifier
from training.adapt import adapt, estimate_mix, reservoir, with_mix
from training.examples import class_prior, generate_examples, load_roles, load_templates

DATA = Path(__file__).resolve().parents[2] / "data"

# Sentences of postings we wrote; each role's texts also name a tool no lexicon knows,
# so that only learning from the batch can tie the tool to the role.
SENTENCES = {
    "ml_engineer": [
        "You will deploy models to production and keep them running.",
        "Build inference services on Kubernetes with low latency.",
        "Automate training and release pipelines with CI/CD.",
        "Monitor model drift and retrain when the data changes.",
        "Package models as APIs and scale them on AWS.",
        "Write well-tested Python and optimise GPU serving.",
    ],
    "data_scientist": [
        "You will analyse customer data and find trends.",
        "Design and run A/B tests and read their results.",
        "Build statistical models and forecasts for the business.",
        "Present insights to stakeholders with Tableau dashboards.",
        "Write SQL to pull data and explore it in notebooks.",
        "Advise leaders on pricing with careful analysis.",
    ],
}
TOOL = {"ml_engineer": "Our stack runs on Zorbflux and Quenchly.", "data_scientist": "Reports go out through Plimsoll."}
FILLER = (
    "We offer a friendly team, a learning budget and flexible hours in a growing company with offices in two cities."
)


def batch(n_ml: int, n_ds: int, seed: int = 0) -> list[str]:
    """Postings of each role, four of its sentences in a random order, its tool and some boilerplate."""
    rng = random.Random(seed)
    out = []
    for label, n in (("ml_engineer", n_ml), ("data_scientist", n_ds)):
        out += [" ".join([*rng.sample(SENTENCES[label], 4), TOOL[label], FILLER]) for _ in range(n)]
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def base():
    """A seeded model with the roles' prior, as make train builds it (fewer generated texts)."""
    roles = load_roles(DATA / "roles.toml")
    lexicon = Lexicon.from_dir(DATA / "lexicon")
    examples = generate_examples(roles, lexicon, load_templates(DATA / "templates.toml"), n_per_role=300, seed=0)
    return RoleClassifier(lexicon=lexicon, class_prior=class_prior(roles)).fit(
        [e.text for e in examples], [e.label for e in examples]
    )


def p_ml(model, texts):
    return model.predict_proba(texts)[:, list(model.classes_).index("ml_engineer")]


def test_adapting_ties_the_batch_vocabulary_to_its_role(base):
    """After adapting, a tool named only in the batch's ML postings moves a text towards ML engineer."""
    result = adapt(base, batch(120, 120), log=lambda _m: None)
    assert result.adapted and result.reason is None
    probe = ["Our stack runs on Zorbflux and Quenchly.", "Reports go out through Plimsoll."]
    # Against the base model told the same mix, so that only what was learned differs.
    before, after = p_ml(with_mix(base, result.record["mix"]), probe), p_ml(result.model, probe)
    assert after[0] > before[0] + 0.05
    assert after[1] < before[1] - 0.05


@pytest.mark.parametrize("n_ml, n_ds", [(300, 100), (100, 300)])
def test_estimated_mix_follows_the_batch(base, n_ml, n_ds):
    """EM on the model's probabilities finds more ML engineer texts in a batch that holds more of them."""
    mix = estimate_mix(base, batch(n_ml, n_ds))
    assert sum(mix.values()) == pytest.approx(1.0)
    assert (mix["ml_engineer"] > 0.5) == (n_ml > n_ds)
    assert abs(mix["ml_engineer"] - n_ml / (n_ml + n_ds)) < 0.15


def test_a_mix_moves_probabilities_the_way_bayes_says(base):
    """A model told the batch is mostly ML engineer texts gives every text a higher ML engineer probability."""
    texts = batch(5, 5)
    shifted = with_mix(base, {"data_scientist": 0.25, "ml_engineer": 0.75})
    assert np.all(p_ml(shifted, texts) > p_ml(base, texts))
    assert base.class_prior["ml_engineer"] == pytest.approx(0.25)  # the base model is left alone


def test_same_batch_same_adapted_model(base):
    """Adapting twice to the same batch gives the same probabilities, mix and record."""
    texts = batch(100, 100, seed=3)
    first, second = (adapt(base, texts, log=lambda _m: None) for _ in range(2))
    assert first.record == second.record
    assert np.array_equal(first.model.predict_proba(texts), second.model.predict_proba(texts))


@pytest.mark.parametrize(
    "texts, words",
    [
        (batch(1, 1) * 150, "repeat another text"),
        (["Deploy models on Kubernetes.", "Run A/B tests."] * 150 + batch(20, 20), "fewer than 25 words"),
        (batch(200, 3), "needs at least 50 of each role"),
    ],
    ids=["copies", "one-liners", "one role"],
)
def test_unsuited_batches_keep_the_base_model_and_say_why(base, texts, words):
    """Copies, one-liners or a batch of one role are labelled with the base model, and the reason says so."""
    result = adapt(base, texts, log=lambda _m: None)
    assert not result.adapted and result.model is base
    assert words in result.reason
    assert words in result.summary()


def test_reservoir_is_a_fixed_uniform_sample():
    """The sample of a stream is the same each time, has the size asked for, and reaches its end."""
    stream = [f"text {i}" for i in range(10_000)]
    first, n = reservoir(iter(stream), k=500, seed=0)
    assert n == 10_000 and len(first) == 500 == len(set(first))
    assert reservoir(iter(stream), k=500, seed=0)[0] == first
    assert max(int(t.split()[1]) for t in first) > 9_000
