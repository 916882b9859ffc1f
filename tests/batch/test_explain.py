"""Batch explanations read off the feature matrix agree with the model's own explain."""

from labelling.explain import BatchExplainer


def test_batch_evidence_finds_every_phrase_the_model_explain_finds(model, samples):
    """Each lexicon phrase model.explain finds in a sample is in the batch evidence (same lemmas)."""
    texts = [s["text"] for s in samples]
    analyse = model.vectorizer_.build_analyzer()
    evidence, _ = BatchExplainer(model, top_k=100).describe(model.features(texts))
    for text, batch, pred in zip(texts, evidence, model.explain(texts)):
        found = {tuple(analyse(item.rsplit(" (", 1)[0])) for item in batch.split("; ") if item}
        expected = {tuple(analyse(e.pattern)) for e in pred.evidence}
        assert expected and expected <= found, text[:60]


def test_top_features_name_the_role_each_feature_pushes_towards(model, samples):
    """The heaviest feature of a plain posting of a role points to that role."""
    texts = [s["text"] for s in samples]
    _, top = BatchExplainer(model).describe(model.features(texts))
    for sample, line in zip(samples, top):
        assert f"({sample['label']} " in line.split("; ")[0]
