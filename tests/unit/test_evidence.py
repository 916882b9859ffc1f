"""Evidence matching: lemma-folded phrases, longest match first, offsets into the text as sent."""

from hypothesis import example, given
from hypothesis import strategies as st

from classifier.explain import EvidenceFinder, cut, feature_tokens, resolve_matches
from classifier.features import LemmaAnalyzer
from classifier.lexicon import Lexicon, LexiconEntry


def finder(*entries: tuple) -> EvidenceFinder:
    """A finder over (pattern, label, weight[, kind]) entries; kind "duty" unless given."""
    return EvidenceFinder(
        Lexicon(tuple(LexiconEntry(*e) if len(e) == 4 else LexiconEntry(*e, "duty") for e in entries))
    )


def found(f: EvidenceFinder, text: str) -> list[tuple[str, int, int, str]]:
    return [(e.phrase, e.start, e.end, e.role) for e in f.find([text])[0]]


def test_longest_phrase_wins_over_the_phrases_inside_it():
    """A phrase inside a longer matched phrase is not reported again; elsewhere it is."""
    f = finder(("data", "data_scientist", 0.5), ("data visualisation", "data_scientist", 2.0))
    text = "Data visualizations and data"
    assert found(f, text) == [("Data visualizations", 0, 19, "data_scientist"), ("data", 24, 28, "data_scientist")]


def test_overlapping_phrases_keep_the_longer_then_the_earlier():
    """Of two overlapping matches the longer is kept; of two as long, the one that starts first."""
    f = finder(
        ("model serving", "ml_engineer", 2.0),
        ("serving infrastructure at scale", "ml_engineer", 2.0),
        ("ab test", "data_scientist", 1.0),
        ("test plan", "data_scientist", 1.0),
    )
    assert [p for p, *_ in found(f, "model serving infrastructure at scale")] == ["serving infrastructure at scale"]
    assert [p for p, *_ in found(f, "ab test plan")] == ["ab test"]


def test_same_lemmas_in_both_lexicons_speak_for_the_heavier_role():
    """A phrase in both roles' lexicons is reported once, for the role that weighs it more."""
    f = finder(("python", "data_scientist", 0.5), ("python", "ml_engineer", 1.0))
    assert found(f, "Python") == [("Python", 0, 6, "ml_engineer")]


def test_offsets_index_the_original_text_when_lowercasing_changes_its_length():
    """Characters that grow when lowercased ("İ") do not shift the offsets of later phrases."""
    f = finder(("deploy model", "ml_engineer", 2.0))
    text = "İİ İstanbul team: DEPLOYED MODELS daily"
    [(phrase, start, end, _)] = found(f, text)
    assert text[start:end] == phrase == "DEPLOYED MODELS"


def test_no_phrase_matches_across_punctuation():
    """Words of a phrase separated by a comma or a full stop are two mentions, not the phrase."""
    f = finder(("deploy model", "ml_engineer", 2.0))
    assert found(f, "We deploy. Models are ours, deploy, model") == []


def test_role_names_the_features_read_as_colleagues_are_shown_with_no_weight():
    """Evidence agrees with the features: a colleague mention is kind "colleague", weight 0; the role on
    offer keeps its weight; a word that only shares a lemma with a role name is no role name."""
    f = finder(
        ("machine learning engineer", "ml_engineer", 3.0, "role_name"),
        ("data scientist", "data_scientist", 3.0, "role_name"),
    )
    text = "We are hiring a Machine Learning Engineer to work with our Data Scientists."
    assert [(e.phrase, e.kind, e.weight) for e in f.find([text])[0]] == [
        ("Machine Learning Engineer", "role_name", 3.0),
        ("Data Scientists", "colleague", 0.0),
    ]
    assert f.find(["Machine learning engineering at scale"]) == [[]]


PIECES = ["a", "/", "b", "A/B", " ", "x", "x-", "-", ".", "_", "+", "é", "İ", "ı", "ﬁ", "\u00a0", "1", "data", "\n"]


@example("x-a/b _a/b")
@example("a/b_ x-a/b")
@example("a /b x-a/b")
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_the_finders_cut_gives_the_features_words_or_none(text):
    """Where feature_tokens answers from the finder's cut, it is the features' own cut of the text."""
    tokens = feature_tokens(text, cut(text))
    if tokens is not None:
        assert tokens == LemmaAnalyzer._tokens(text)
    elif text.isascii():  # only a stray "a/b" sends a plain text back to the features' own cut
        assert "a/b" in text.lower()


def test_explain_answers_the_same_whichever_cut_the_features_read(model):
    """Texts whose words the features cut themselves (NFKC, a stray a/b) get the answers the shared cut gives."""
    shared = "We deploy models with Kubernetes and run A/B tests."
    ligature = shared.replace("with", "for ﬁnance with")  # NFKC reads the ligature as "fi"
    stray = shared.replace("tests", "tests on x-a/b")
    assert feature_tokens(shared, cut(shared)) is not None
    assert feature_tokens(ligature, cut(ligature)) is None and feature_tokens(stray, cut(stray)) is None
    for text in (shared, ligature, stray):
        pred = model.explain([text])[0]
        alone = model.explain([text], reasons=False)[0]
        assert pred.probabilities == alone.probabilities and pred.p_in_scope == alone.p_in_scope
        assert [e.phrase for e in pred.evidence] == [e.phrase for e in model._finder().find([text])[0]]


def test_find_takes_any_iterable_of_texts():
    """Texts given as a generator each get their own evidence."""
    f = finder(("deploy model", "ml_engineer", 2.0))
    texts = ["Nothing to see here at all", "We deploy models"]
    assert f.find(t for t in texts) == f.find(texts) == [[], f.find(texts[1:])[0][:1]]
    assert f.find(t for t in texts)[1][0].phrase == "deploy models"


def test_letters_outside_a_to_z_are_marks_to_the_finder_as_to_the_features():
    """Dotless i, long s and dotted capital I end a word: the phrase before them is found, as the features read it."""
    f = finder(("deploy model", "ml_engineer", 2.0), ("pytorch", "ml_engineer", 1.0, "tool"))
    assert found(f, "pytorchı") == [("pytorch", 0, 7, "ml_engineer")]
    assert found(f, "We deploy modelſ daily") == [("deploy model", 3, 15, "ml_engineer")]
    assert found(f, "İ deploy models") == [("deploy models", 2, 15, "ml_engineer")]


def test_one_text_alone_gets_the_rows_and_evidence_it_gets_in_a_batch(model):
    """One text alone (its own fast path) gets the probabilities, scope and evidence a batch gives it; rows sorted."""
    texts = [
        "We deploy models with Kubernetes and run A/B tests.",
        "Data scientist: build dashboards in Tableau, run experiments, present to the business.",
        "Nurse wanted for night shifts.",
    ]
    batch = model.explain(texts)
    for i, text in enumerate(texts):
        one = model.explain([text])[0]
        assert one.probabilities == batch[i].probabilities and one.p_in_scope == batch[i].p_in_scope
        assert one.evidence == batch[i].evidence and one.scope_evidence == batch[i].scope_evidence
        rows, _, _ = model.features_and_scope([text])
        assert list(rows.indices) == sorted(set(rows.indices))


@given(st.lists(st.tuples(st.integers(0, 11), st.integers(1, 4)), max_size=30, unique_by=lambda s: s))
def test_matches_kept_are_those_the_longest_first_walk_keeps(spans):
    """Where matches overlap the longest is kept, then the earliest: one-word matches only where no longer one is."""
    entries = {span: LexiconEntry(f"p{span}", "ml_engineer", 1.0, "duty") for span in spans}
    found = [(-length, start, start + length, entries[start, length]) for start, length in spans]
    used, expected = set(), []
    for _, start, end, entry in sorted(found, key=lambda m: m[:3]):
        if not used & set(range(start, end)):
            used |= set(range(start, end))
            expected.append((start, end, entry))
    taken, _ = resolve_matches(["w"] * 16, list(reversed(found)))
    assert taken == sorted(expected, key=lambda m: m[0])
