"""Behavioural tests of the trained model: minimum functionality, invariance, direction."""

import pytest

POSTING_ML = (
    "Acme is hiring. You will deploy machine learning models to production, build scalable "
    "inference services on Kubernetes and monitor model performance. Python, PyTorch, AWS."
)
POSTING_DS = (
    "Acme is hiring. You will analyse customer data to find trends, run A/B tests, build "
    "statistical models and present insights to stakeholders in Tableau dashboards. SQL, R."
)


def p_ml(model, text):
    proba = model.predict_proba([text])[0]
    return proba[list(model.classes_).index("ml_engineer")]


def test_hand_written_samples_get_their_role(model, samples):
    """Each hand-written posting and resume is labelled with the role it was written for."""
    predicted = model.predict([s["text"] for s in samples])
    assert list(predicted) == [s["label"] for s in samples]


@pytest.mark.parametrize("text, label", [(POSTING_ML, "ml_engineer"), (POSTING_DS, "data_scientist")])
def test_plain_posting_of_each_role(model, text, label):
    """A plain posting of each role is labelled with that role."""
    assert model.predict([text])[0] == label


@pytest.mark.parametrize("text", [POSTING_ML, POSTING_DS])
@pytest.mark.parametrize("company", ["Globex", "Zhao & Partners", "Müller GmbH"])
def test_company_name_does_not_move_the_label(model, text, company):
    """Changing the company name leaves the label alone and barely moves the probability."""
    changed = text.replace("Acme", company)
    assert model.predict([changed])[0] == model.predict([text])[0]
    assert abs(p_ml(model, changed) - p_ml(model, text)) < 0.05


def test_deployment_duties_move_lean_towards_ml_engineer(model):
    """Adding deployment duties raises the ML engineer probability."""
    more = POSTING_DS + " You will also deploy the models to production and automate their retraining."
    assert p_ml(model, more) > p_ml(model, POSTING_DS)


def test_experiment_duties_move_lean_towards_data_scientist(model):
    """Adding experimentation and insight duties lowers the ML engineer probability."""
    more = POSTING_ML + " You will also run A/B tests and present insights to business stakeholders."
    assert p_ml(model, more) < p_ml(model, POSTING_ML)


def test_explain_evidence_points_into_the_text(model):
    """Every evidence item's offsets cut out the phrase it reports, with the role it supports."""
    pred = model.explain([POSTING_ML])[0]
    assert pred.evidence
    for e in pred.evidence:
        assert POSTING_ML[e.start : e.end] == e.phrase
        assert e.role in model.classes_
    assert any(e.role == "ml_engineer" and "deploy" in e.phrase for e in pred.evidence)
    assert abs(sum(pred.probabilities.values()) - 1) < 1e-6
    assert pred.lean in ("slight", "moderate", "strong")


def test_lean_follows_thresholds(model):
    """Lean strength comes from the model's thresholds, not fixed numbers."""
    assert model.lean_of(0.55) == "slight"
    assert model.lean_of(model.moderate_at) == "moderate"
    assert model.lean_of(model.strong_at) == "strong"


def test_unfitted_model_refuses_to_predict():
    """An unfitted classifier raises NotFittedError instead of guessing."""
    from sklearn.exceptions import NotFittedError

    from classifier.model import RoleClassifier

    with pytest.raises(NotFittedError):
        RoleClassifier().predict(["text"])


RESUME_ML = (
    "Jordan Lee, Berlin. Experience: deployed recommendation models to production behind a REST API, "
    "built Docker images and Kubernetes jobs for model serving, added monitoring for model drift. "
    "Skills: Python, C++, PyTorch, AWS."
)
RESUME_DS = (
    "Jordan Lee, Berlin. Experience: analysed customer data to find churn trends, designed A/B tests, "
    "built regression and forecasting models, presented recommendations to stakeholders. "
    "Skills: statistics, R, SQL, Tableau."
)


@pytest.mark.parametrize("text, label", [(RESUME_ML, "ml_engineer"), (RESUME_DS, "data_scientist")])
def test_plain_resume_of_each_role(model, text, label):
    """A short resume of each role is labelled with that role."""
    assert model.predict([text])[0] == label


@pytest.mark.parametrize("text", [RESUME_ML, RESUME_DS])
@pytest.mark.parametrize(
    "old, new",
    [("Jordan Lee", "Oluwaseun Adeyemi"), ("Jordan Lee", "Zhang Wei"), ("Berlin", "Chennai"), ("Berlin", "Austin, TX")],
)
def test_person_and_location_do_not_move_the_label(model, text, old, new):
    """Changing a person's name or a location leaves the label and, nearly, the probability alone."""
    changed = text.replace(old, new)
    assert model.predict([changed])[0] == model.predict([text])[0]
    assert abs(p_ml(model, changed) - p_ml(model, text)) < 0.05


def test_mixed_role_text_gets_a_slight_lean(model):
    """A text made of a plain posting of each role leans only slightly."""
    assert model.explain([POSTING_ML + " " + POSTING_DS])[0].lean == "slight"


def test_text_without_lexicon_phrases_says_so(model):
    """A text with no lexicon phrase reports no evidence instead of inventing some."""
    pred = model.explain(["We are hiring in Leeds. Send your CV today."])[0]
    assert pred.evidence == [] and not pred.lexicon_matched
    assert pred.lean == "slight"


def test_top_features_come_from_the_text_and_point_their_way(model):
    """Top features are n-grams of the text, each credited to the role its contribution favours."""
    pred = model.explain([POSTING_ML])[0]
    grams = set(model.vectorizer_.build_analyzer()(POSTING_ML))
    assert pred.top_features
    for feature, role, contribution in pred.top_features:
        assert feature in grams
        assert role == ("ml_engineer" if contribution > 0 else "data_scientist")


def test_role_names_count_for_their_role_but_colleagues_do_not(model):
    """Naming the role pushes towards it; naming the other role as colleagues does not."""
    base = "You will build models and pipelines with Python."
    assert p_ml(model, "Machine Learning Engineer. " + base) > p_ml(model, base)
    assert p_ml(model, "Data Scientist. " + base) < p_ml(model, base)
    assert abs(p_ml(model, base + " You will work with data scientists.") - p_ml(model, base)) < 0.02


def test_explain_without_reasons_keeps_the_lean(model, samples):
    """reasons=False gives the same labels, probabilities, kinds and scope, and no evidence or features."""
    texts = [s["text"] for s in samples]
    full, short = model.explain(texts), model.explain(texts, reasons=False)
    for f, s in zip(full, short):
        assert (f.label, f.probabilities, f.lean, f.kind) == (s.label, s.probabilities, s.lean, s.kind)
        assert (f.scope, f.p_in_scope) == (s.scope, s.p_in_scope)
        assert f.explained and not s.explained and s.evidence == [] and s.top_features == [] and s.scope_evidence == []
        assert set(s.to_dict()) == {"label", "probabilities", "lean", "kind", "scope", "p_in_scope"}


def test_the_first_role_named_is_the_one_on_offer(model):
    """After a posting names its role, mentions of the other role count as colleagues, not as its role."""
    base = "We are hiring a Machine Learning Engineer. You will build models and pipelines with Python."
    later = base + " Our data scientists hand you their prototypes."
    # Against the same sentence without a role name, so that only the name's weight is measured.
    neutral = base + " Our colleagues hand you their prototypes."
    assert abs(p_ml(model, later) - p_ml(model, neutral)) < 0.02
    assert p_ml(model, "Data Scientist. Our ML engineers ship what you build.") < 0.5


def test_a_list_of_roles_names_colleagues_not_the_role_on_offer(model):
    """Role names joined in a list ("data scientists and ML engineers", "A / B") do not decide the lean."""
    base = "We are hiring a Machine Learning Engineer. You will build models and pipelines with Python."
    team = "Join a team of data scientists and ML engineers. " + base
    assert abs(p_ml(model, team) - p_ml(model, base)) < 0.02
    duties = "You will build and deploy models with Python."
    assert abs(p_ml(model, "Data Scientist / Machine Learning Engineer. " + duties) - p_ml(model, duties)) < 0.02


@pytest.mark.parametrize(
    "colleagues",
    [
        "Our data scientists need help.",
        "You will report to the Head of Data Science and mentor junior data scientists.",
    ],
)
def test_colleagues_named_before_the_role_on_offer_do_not_take_its_place(model, colleagues):
    """Data scientists named as existing staff before the role on offer leave an ML posting an ML posting."""
    posting = "We are hiring a Machine Learning Engineer. You will build models and pipelines with Python."
    assert p_ml(model, posting) > 0.8 and p_ml(model, f"{colleagues} {posting}") > 0.8
    grams = model.vectorizer_.build_analyzer()(f"{colleagues} {posting}")
    names = [g for g in grams if g.startswith(("role_", "peer_")) and " " not in g]
    assert names[-1] == "role_ml_engineer" and all(n == "peer_data_scientist" for n in names[:-1])


AI_ENGINEER_POSTINGS = [
    "We are building an assistant for our support team on top of large language models. You will build "
    "retrieval pipelines over our help-centre articles, store embeddings in pgvector, write an evaluation "
    "harness that scores answers before each release and add guardrails against hallucinations.",
    "Help us ship AI agents that call tools to book travel. You will design agent workflows with LangGraph, "
    "fine-tune open models with LoRA, serve them with vLLM and keep inference cost and token latency low.",
]


@pytest.mark.parametrize("text", AI_ENGINEER_POSTINGS)
def test_ai_engineer_postings_lean_ml_engineer(model, text):
    """A posting about LLM applications, RAG, agents, evals or inference serving leans towards ML engineer."""
    assert model.predict([text])[0] == "ml_engineer"
    assert p_ml(model, text) > 0.8


def test_llm_work_moves_a_data_science_posting_towards_ml_engineer(model):
    """Adding RAG and LLM serving duties to a data science posting raises the ML engineer probability."""
    more = POSTING_DS + " You will also build a RAG assistant over our documents and serve it with vLLM."
    assert p_ml(model, more) > p_ml(model, POSTING_DS)
