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


def test_adapting_ties_the_batch_vocabulary_to_its_role(base, make_batch):
    """After adapting, a tool named only in the batch's ML postings moves a text towards ML engineer."""
    result = adapt(base, make_batch(120, 120), log=lambda _m: None)
    assert result.adapted and result.reason is None
    probe = ["Our stack runs on Zorbflux and Quenchly.", "Reports go out through Plimsoll."]
    # Against the base model told the same mix, so that only what was learned differs.
    before, after = p_ml(with_mix(base, result.record["mix"]), probe), p_ml(result.model, probe)
    assert after[0] > before[0] + 0.05
    assert after[1] < before[1] - 0.05


@pytest.mark.parametrize("n_ml, n_ds", [(300, 100), (100, 300)])
def test_estimated_mix_follows_the_batch(base, make_batch, n_ml, n_ds):
    """EM on the model's probabilities finds more ML engineer texts in a batch that holds more of them."""
    mix = estimate_mix(base, make_batch(n_ml, n_ds))
    assert sum(mix.values()) == pytest.approx(1.0)
    assert (mix["ml_engineer"] > 0.5) == (n_ml > n_ds)
    assert abs(mix["ml_engineer"] - n_ml / (n_ml + n_ds)) < 0.15


def test_a_mix_moves_probabilities_the_way_bayes_says(base, make_batch):
    """A model told the batch is mostly ML engineer texts gives every text a higher ML engineer probability."""
    texts = make_batch(5, 5)
    shifted = with_mix(base, {"data_scientist": 0.25, "ml_engineer": 0.75})
    assert np.all(p_ml(shifted, texts) > p_ml(base, texts))
    assert base.class_prior["ml_engineer"] == pytest.approx(0.25)  # the base model is left alone


def test_same_batch_same_adapted_model(base, make_batch):
    """Adapting twice to the same batch gives the same probabilities, mix and record."""
    texts = make_batch(100, 100, seed=3)
    first, second = (adapt(base, texts, log=lambda _m: None) for _ in range(2))
    assert first.record == second.record
    assert np.array_equal(first.model.predict_proba(texts), second.model.predict_proba(texts))


UNSUITED = {
    "copies": (lambda make: make(1, 1) * 150, "repeat another text"),
    "one-liners": (
        lambda make: ["Deploy models on Kubernetes.", "Run A/B tests."] * 150 + make(20, 20),
        "fewer than 25",
    ),
    "one role": (lambda make: make(200, 3), "needs at least 50 of each role"),
}


@pytest.mark.parametrize("case", UNSUITED)
def test_unsuited_batches_keep_the_base_model_and_say_why(base, make_batch, case):
    """Copies, one-liners or a batch of one role are labelled with the base model, and the reason says so."""
    build, words = UNSUITED[case]
    result = adapt(base, build(make_batch), log=lambda _m: None)
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


OTHER_WORK = [
    "Care for patients on a busy surgical ward and give medication on time.",
    "Prepare month-end close, reconcile bank accounts and process invoices.",
    "Install and repair heating and air conditioning systems for homes.",
    "Drive deliveries across the region and load the van each morning.",
    "Teach maths to pupils aged eleven to sixteen and mark their homework.",
    "Sell our software to retail chains and grow the accounts you own.",
]


def test_a_batch_mostly_of_other_work_keeps_the_base_model(model):
    """A batch of nursing, accounting and other postings is not adapted to, and the reason names the scope."""
    rng = random.Random(0)
    texts = [" ".join([*rng.sample(OTHER_WORK, 4), f"Shift pattern {k}."]) * 2 for k in range(200)]
    result = adapt(model, texts, log=lambda _m: None)
    assert not result.adapted and "not about data science or ML work" in result.reason
