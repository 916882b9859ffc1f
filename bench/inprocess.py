"""In-process costs of a loaded model: throughput, single-text latency, explanation cost.

Each comparison is paired: the two things compared run one after the other in every round,
and the ratio is the median of the rounds' ratios, so that load from other users of the
machine, which comes and goes, weighs on both sides alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.stats import median, percentile


def _rounds(fns: tuple[Callable[[], object], ...], repeats: int) -> list[list[float]]:
    """Seconds of each function in each of ``repeats`` rounds, after one warm-up round.

    Every other round runs the functions in reverse order, so that whatever the first (or
    last) of a round pays for does not always fall on the same one.
    """
    for fn in fns:
        fn()  # warm-up: caches, lazily built pipelines, lookup tables
    times: list[list[float]] = [[] for _ in fns]
    for i in range(repeats):
        order = list(zip(fns, times))
        for fn, out in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def _paired(name: str, over: list[float], under: list[float]) -> dict:
    """The median and range of ``over / under``, round by round, as ``name`` and ``name_range``.

    >>> _paired("r", [2.0, 3.0, 4.0], [1.0, 1.0, 2.0])
    {'r': 2.0, 'r_range': [2.0, 3.0]}
    """
    ratios = [a / b for a, b in zip(over, under)]
    return {name: median(ratios), f"{name}_range": [min(ratios), max(ratios)]}


def throughput(model, texts: list[str], repeats: int) -> dict:
    """``predict`` against the bare fitted vectorizer's ``transform`` on the same texts."""
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    vec, pred = _rounds((lambda: model.vectorizer_.transform(texts), lambda: model.predict(texts)), repeats)
    n = len(texts)
    return {
        "docs": n,
        "mb": round(mb, 3),
        "repeats": repeats,
        "vectorizer_docs_per_s": n / median(vec),
        "vectorizer_mb_per_s": mb / median(vec),
        "predict_docs_per_s": n / median(pred),
        "predict_mb_per_s": mb / median(pred),
        # Throughput ratio predict / transform.
        **_paired("predict_vs_vectorizer", vec, pred),
    }


def latency(model, texts: list[str], warmup: int = 20) -> dict:
    """Milliseconds of one-text ``predict`` and ``explain`` calls, as a service makes them."""
    out = {}
    for name, fn in (("predict", lambda t: model.predict([t])), ("explain", lambda t: model.explain([t]))):
        for t in texts[:warmup]:
            fn(t)
        ms = []
        for t in texts:
            start = time.perf_counter()
            fn(t)
            ms.append((time.perf_counter() - start) * 1e3)
        out[name] = {
            "n": len(ms),
            "p50_ms": percentile(ms, 50),
            "p99_ms": percentile(ms, 99),
            "per_s": 1e3 * len(ms) / sum(ms),
        }
    return out


def explain_cost(model, texts: list[str], repeats: int) -> dict:
    """What ``explain`` costs over ``predict`` on the same texts, and how much of it is evidence."""
    from classifier.explain import EvidenceFinder

    finder = EvidenceFinder(model.lexicon_)
    pred, expl, evidence = _rounds(
        (lambda: model.predict(texts), lambda: model.explain(texts), lambda: finder.find(texts)), repeats
    )
    n = len(texts)
    return {
        "docs": n,
        "repeats": repeats,
        "predict_docs_per_s": n / median(pred),
        "explain_docs_per_s": n / median(expl),
        **_paired("explain_vs_predict", expl, pred),
        # Evidence (lexicon phrases found in the text) as a share of the whole explain call.
        "evidence_share": median([v / e for v, e in zip(evidence, expl)]),
    }


def scope_cost(model, texts: list[str], repeats: int) -> dict:
    """``predict`` with the scope answer (``assess``: role and scope from one analysis) against ``predict`` alone."""
    if not getattr(model, "has_scope", False):
        return {"not_measured": "the model has no scope answer: retrain it with `make train`"}
    pred, both = _rounds((lambda: model.predict(texts), lambda: model.assess(texts)), repeats)
    n = len(texts)
    return {
        "docs": n,
        "repeats": repeats,
        "predict_docs_per_s": n / median(pred),
        "with_scope_docs_per_s": n / median(both),
        # Throughput ratio: 0.9 means the scope answer costs 10 %.
        **_paired("vs_predict", pred, both),
    }


def reference(model, texts: list[str], singles: int, batch_size: int, repeats: int = 3) -> dict:
    """Quick in-process throughputs, taken right before and after an out-of-process measurement.

    Load from other users of the machine changes over minutes; a ratio between a server or a
    command and the in-process model is only fair when both were measured close together.
    """
    vec, pred = _rounds((lambda: model.vectorizer_.transform(texts), lambda: model.predict(texts)), repeats)
    one, batch = texts[:singles], texts[:batch_size]
    one_by_one, batched = _rounds((lambda: [model.explain([t]) for t in one], lambda: model.explain(batch)), repeats)
    return {
        "vectorizer_docs_per_s": len(texts) / median(vec),
        "predict_docs_per_s": len(texts) / median(pred),
        "explain_one_by_one_per_s": len(one) / median(one_by_one),
        "explain_batched_docs_per_s": len(batch) / median(batched),
    }


def between(before: dict, after: dict) -> dict:
    """The mean of two references, key by key.

    >>> between({"a": 1.0}, {"a": 3.0})
    {'a': 2.0}
    """
    return {k: (before[k] + after[k]) / 2 for k in before}
