"""Resumes: the writer's own titles are evidence, `kind` changes the reading, `auto` tells a resume from a posting."""

import pytest

from classifier.text import detect_kind

CAREER = (
    "Data Scientist, Globex (2016-2019): built churn models and dashboards.\n"
    "ML Engineer, Initech (2019-2024): deployed models to production on Kubernetes, "
    "built CI/CD for retraining and monitored drift."
)
LLM_RESUME = (
    "Priya Raman\nAI Engineer | priya@example.com\n"
    "Acme Health, 2022-2024: built retrieval pipelines over clinical guidelines, shipped tool-calling agents, "
    "wrote an evaluation harness and cut inference cost by serving open models with vLLM.\n"
    "Globex, 2019-2022: trained and deployed ranking models on AWS.\n"
    "Skills: Python, PyTorch, LangGraph, pgvector, Docker."
)
POSTING = (
    "We are hiring an ML engineer. You will deploy models to production and build pipelines. "
    "Our data scientists hand you their prototypes. Apply today."
)


def p_ml(model, text, kind):
    proba = model.predict_proba([text], kinds=[kind])[0]
    return proba[list(model.classes_).index("ml_engineer")]


def test_a_resumes_titles_all_count_for_their_roles(model):
    """Read as a resume, a later job title of the other role counts; read as a posting, it names a colleague."""
    assert p_ml(model, CAREER, "resume") > p_ml(model, CAREER, "posting") + 0.2
    assert model.predict([CAREER], kinds=["resume"])[0] == "ml_engineer"


def test_a_resume_headline_naming_two_roles_is_the_writers_own(model):
    """A resume headed "Data Scientist / ML Engineer" counts both titles; a posting reads the list as colleagues."""
    duties = "\nDeployed models to production and monitored them."
    head = "Jordan Lee\nData Scientist / ML Engineer" + duties
    resume, posting = (model.explain([head], kinds=[k])[0] for k in ("resume", "posting"))
    names = {
        k: [e for e in p.evidence if e.kind in ("role_name", "colleague")] for k, p in (("r", resume), ("p", posting))
    }
    assert [e.kind for e in names["r"]] == ["role_name", "role_name"]
    assert [e.kind for e in names["p"]] == ["colleague", "colleague"]


def test_colleagues_in_a_resume_are_still_colleagues(model):
    """ "Worked with data scientists" in a resume does not count as the writer's title."""
    base = "ML Engineer, Initech (2019-2024): deployed models to production."
    plus = base + " Worked with data scientists on features."
    neutral = base + " Worked with analysts on features."
    assert abs(p_ml(model, plus, "resume") - p_ml(model, neutral, "resume")) < 0.02


def test_auto_reads_a_resume_about_llm_work_as_a_resume(model):
    """A resume of dated jobs in past-tense lines is guessed a resume, and read as one."""
    assert detect_kind(LLM_RESUME) == "resume"
    pred = model.explain([LLM_RESUME])[0]
    assert pred.kind == "resume" and pred.label == "ml_engineer"
    assert p_ml(model, CAREER, "auto") == pytest.approx(p_ml(model, CAREER, detect_kind(CAREER)))


@pytest.mark.parametrize(
    "text, kind",
    [
        (POSTING, "posting"),
        ("Responsibilities: analyse data, run A/B tests. Requirements: SQL. Benefits: pension.", "posting"),
        ("I led the analytics team and built forecasting models. Education: MSc Statistics, 2015.", "resume"),
        ("Curriculum vitae. Work history: 2018-2023 data analyst; 2023-2025 data scientist.", "resume"),
    ],
)
def test_auto_tells_postings_from_resumes(text, kind):
    """Postings speak to the reader; resumes speak of the writer, in the first person or in dated past-tense lines."""
    assert detect_kind(text) == kind


def test_explain_reads_auto_kinds_as_detect_kind_does(model):
    """explain reads "auto" kinds off its own analysis of each text, with detect_kind's answer."""
    texts = [POSTING, CAREER, LLM_RESUME, "Run A/B tests; I built a/b dashboards in 2019, 2020 and 2021.", ""]
    preds = model.explain(texts, kinds=["auto", None, "auto", "auto", "auto"])
    assert [p.kind for p in preds] == [detect_kind(t) for t in texts]
    assert [p.kind for p in preds][:3] == ["posting", "resume", "resume"]
    assert model.explain([POSTING], kinds=["resume"])[0].kind == "resume"


def test_a_posting_is_read_as_before(model):
    """In a posting the first role named is on offer and a later name of the other role is a colleague."""
    assert p_ml(model, POSTING, "posting") == pytest.approx(p_ml(model, POSTING, "auto"))
    evidence = model.explain([POSTING], kinds=["posting"])[0].evidence
    assert [e.kind for e in evidence if e.role == "data_scientist" and e.weight == 0] == ["colleague"]


@pytest.mark.parametrize("kind", ["posting", "resume"])
def test_the_scope_answer_reads_role_names_as_kind_says(model, kind):
    """Scope score, its evidence and the scope model alone read a later title as kind says (colleague in a posting)."""
    pred = model.explain([CAREER], kinds=[kind])[0]
    titles = {f for f, _ in pred.scope_evidence if f.startswith("role_")}
    assert titles == ({"role_data_scientist"} if kind == "posting" else {"role_data_scientist", "role_ml_engineer"})
    alone = model.scope_.p_in_scope(model.scope_.predict_proba([CAREER], [kind]))[0]
    assert pred.p_in_scope == pytest.approx(alone)
