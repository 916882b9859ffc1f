"""The speed targets the issues set, and whether a run meets them.

A target whose measurement is missing is "not measured", with the reason the run recorded
(for instance a feature that is not on main yet); it is never filled in or guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

MET, NOT_MET, NOT_MEASURED = "met", "NOT MET", "not measured"
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt}


@dataclass(frozen=True)
class Target:
    """One goal: ``value(results) op goal``."""

    issue: int
    what: str
    op: str
    goal: float
    unit: str
    value: Callable[[dict], float | None]
    # Where the reason for a missing value is: a dotted path to a "not_measured" note, and
    # after a colon, a key of that node's "missing" notes.
    section: str


def _get(results: dict, *keys: str) -> float | None:
    node = results
    for key in keys:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


TARGETS = (
    Target(
        4,
        "/classify p50 latency, 4 clients",
        "<=",
        8,
        "ms",
        lambda r: _get(r, "http", "classify", "c4", "p50_ms"),
        "http",
    ),
    Target(
        4,
        "/classify p99 latency, 4 clients",
        "<=",
        25,
        "ms",
        lambda r: _get(r, "http", "classify", "c4", "p99_ms"),
        "http",
    ),
    # HTTP and CLI throughputs are set against in-process references taken right around them.
    Target(
        4,
        "/classify explain=false docs/s, 4 clients / predict",
        ">=",
        0.70,
        "x",
        lambda r: _get(r, "http", "classify", "c4_label_only", "vs_predict"),
        "http",
    ),
    Target(
        4,
        "/classify/batch explain=false docs/s, 4 cl. / predict",
        ">=",
        0.70,
        "x",
        lambda r: _get(r, "http", "classify_batch", "c4_label_only", "vs_predict"),
        "http.classify_batch",
    ),
    Target(
        5,
        "label rows/s, 1 worker / bare vectorizer transform",
        ">=",
        0.90,
        "x",
        lambda r: _get(r, "batch_cli", "reference_1", "vs_vectorizer"),
        "batch_cli:vs_vectorizer",
    ),
    Target(
        5,
        "label rows/s, 2 workers / 1 worker",
        ">=",
        1.70,
        "x",
        lambda r: _get(r, "batch_cli", "two_vs_one"),
        "batch_cli:two_vs_one",
    ),
    Target(
        5,
        "label --explain time / without",
        "<=",
        2.0,
        "x",
        lambda r: _get(r, "batch_cli", "explain_cost"),
        "batch_cli:explain_cost",
    ),
    Target(
        11,
        "predict with scope docs/s / predict alone",
        ">=",
        0.85,
        "x",
        lambda r: _get(r, "inprocess", "scope", "vs_predict"),
        "inprocess.scope",
    ),
    Target(
        14,
        "/classify req/s 2 workers / 1 worker",
        ">=",
        1.6,
        "x",
        lambda r: _get(r, "http", "workers", "two_vs_one"),
        "http.workers",
    ),
    Target(
        12,
        "label --adapt time / plain label (100,000 x 4 KB)",
        "<=",
        2.0,
        "x",
        lambda r: _get(r, "batch_cli", "adapt", "cost"),
        "batch_cli:adapt",
    ),
    Target(2, "make train wall time", "<", 60, "s", lambda r: _get(r, "train", "seconds"), "train"),
)


def _reason(results: dict, section: str) -> str:
    path, _, key = section.partition(":")
    node = results
    for part in path.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict) and node.get("not_measured"):
            return str(node["not_measured"])
    if key and isinstance(node, dict) and node.get("missing", {}).get(key):
        return str(node["missing"][key])
    return "no measurement in this run"


def evaluate(results: dict, targets: tuple[Target, ...] = TARGETS) -> list[dict]:
    """Each target with its measured value and status.

    >>> rows = evaluate({"train": {"seconds": 3.2}, "batch_cli": {"not_measured": "not on main"}},
    ...                 tuple(t for t in TARGETS if t.issue in (2, 5))[:2])
    >>> [r["status"] for r in rows], rows[0]["note"]
    (['not measured', 'not measured'], 'not on main')
    >>> evaluate({"train": {"seconds": 3.2}}, TARGETS[-1:])[0]["status"]
    'met'
    """
    out = []
    for t in targets:
        value = t.value(results)
        row = {
            "issue": t.issue,
            "what": t.what,
            "goal": f"{t.op} {t.goal:g} {t.unit}".replace(" x", "x"),
            "unit": t.unit,
            "value": value,
        }
        if value is None:
            row.update(status=NOT_MEASURED, note=_reason(results, t.section))
        else:
            row.update(status=MET if _OPS[t.op](value, t.goal) else NOT_MET)
        out.append(row)
    return out
