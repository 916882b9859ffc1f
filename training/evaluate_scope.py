"""How well the scope answer tells DS/ML texts from other work, on real postings: ``make eval-scope``.

The in-scope texts are a labelled role file (``dev.csv``); the others a file with a
``scope`` column (``out`` or ``adjacent``, as ``scope_dev.csv``). Reported, for the whole
sets and for two halves (by the parity of a hash of each row's id, so that a figure that
holds on one half only shows): the AUROC of ``p_in_scope`` (``out`` against in-scope), the
share of ``out`` texts flagged at the threshold that flags at most 5 % of in-scope texts,
what the model's own thresholds answer for each group, the ``adjacent`` texts' breakdown,
and the role macro-F1 on the in-scope texts (raw and role names masked) with its leans.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from training.evaluate import mask_role_names, model_and_columns, read_labelled

GROUPS = ("in", "adjacent", "out")


def read_scoped(
    path: str | Path, text_col: str = "text", scope_col: str = "scope"
) -> tuple[list[str], list[str], list[str]]:
    """Texts, scopes and ids of a CSV of texts that are not DS/ML work; ValueError names the columns that exist."""
    csv.field_size_limit(1 << 26)
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (text_col, scope_col) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path} has no column {', '.join(map(repr, missing))}; its columns are {reader.fieldnames}"
            )
        rows = [(r[text_col] or "", r[scope_col], r.get("id") or str(i)) for i, r in enumerate(reader)]
    bad = sorted({s for _, s, _ in rows} - {"out", "adjacent"})
    if bad:
        raise ValueError(f"{path}: column {scope_col!r} must hold 'out' or 'adjacent', found {bad}")
    return [t for t, _, _ in rows], [s for _, s, _ in rows], [i for _, _, i in rows]


def _ids(path: str | Path) -> list[str]:
    """The ``id`` of each row of a labelled file, read as ``read_labelled`` reads its rows (CSV, CSV.gz or
    Parquet), so that the two lists line up; a row without an id is named by its number."""
    import pandas as pd

    path = Path(path)
    if path.name.lower().endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        if "id" not in pq.read_schema(path).names:
            return [str(i) for i in range(pq.read_metadata(path).num_rows)]
        values = pd.read_parquet(path, columns=["id"])["id"].tolist()
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace")
        values = frame["id"].tolist() if "id" in frame.columns else [None] * len(frame)
    return [str(v) if v is not None and str(v) != "" else str(i) for i, v in enumerate(values)]


def half_of(row_id: str) -> int:
    """0 or 1: which half a row belongs to, from a hash of its id (stable across runs and files).

    >>> half_of("a"), half_of("e")
    (0, 1)
    """
    return hashlib.sha256(row_id.encode()).digest()[0] % 2


def scope_figures(p_in: dict[str, np.ndarray], answers: dict[str, np.ndarray], share: float = 0.05) -> dict[str, Any]:
    """AUROC of ``out`` against ``in``, the flagged share at a ``share`` false-flag rate, and each group's answers.

    >>> scores = {"in": np.array([0.9, 0.8]), "out": np.array([0.1, 0.85]), "adjacent": np.array([0.5])}
    >>> answers = {"in": np.array(["in", "in"]), "out": np.array(["out", "in"]), "adjacent": np.array(["adjacent"])}
    >>> f = scope_figures(scores, answers)
    >>> f["auroc_out_vs_in"], f["out_flagged_at_5pct_in"]
    (0.75, 0.5)
    """
    pin, pout = p_in["in"], p_in["out"]
    truth = np.r_[np.ones(len(pin)), np.zeros(len(pout))]
    threshold = float(np.quantile(pin, share, method="lower"))
    out = {
        "n": {g: int(len(p_in[g])) for g in GROUPS},
        "auroc_out_vs_in": round(float(roc_auc_score(truth, np.r_[pin, pout])), 4),
        "threshold_at_5pct_in": round(threshold, 4),
        "in_flagged_at_threshold": round(float((pin < threshold).mean()), 4),
        "out_flagged_at_5pct_in": round(float((pout < threshold).mean()), 4),
        "answers": {
            g: {a: round(float((answers[g] == a).mean()), 4) for a in GROUPS} for g in GROUPS if len(answers[g])
        },
    }
    return out


def evaluate_scope(model, in_texts, in_labels, in_ids, other_texts, other_scopes, other_ids) -> dict[str, Any]:
    """Every figure of ``make eval-scope``, for the whole sets and for both halves."""
    if not getattr(model, "has_scope", False):
        raise ValueError("this model has no scope answer: retrain it with `make train`")
    proba, scope, p_in = model.assess(in_texts)
    masked_proba = model.assess([mask_role_names(t) for t in in_texts])[0]
    o_proba, o_scope, o_p_in = model.assess(other_texts)
    classes = np.asarray([str(c) for c in model.classes_])
    labels = np.asarray(in_labels)
    other_scopes = np.asarray(other_scopes)
    halves_in = np.array([half_of(i) for i in in_ids])
    halves_other = np.array([half_of(i) for i in other_ids])

    def part(sel_in: np.ndarray, sel_other: np.ndarray) -> dict[str, Any]:
        group = {
            "in": sel_in,
            "out": sel_other & (other_scopes == "out"),
            "adjacent": sel_other & (other_scopes == "adjacent"),
        }
        scores = {"in": p_in[sel_in], **{g: o_p_in[group[g]] for g in ("out", "adjacent")}}
        answers = {"in": scope[sel_in], **{g: o_scope[group[g]] for g in ("out", "adjacent")}}
        figures = scope_figures(scores, answers)
        pred, masked = classes[proba[sel_in].argmax(1)], classes[masked_proba[sel_in].argmax(1)]
        winner = proba[sel_in].max(1)
        figures["in_scope_roles"] = {
            "macro_f1_raw": round(float(f1_score(labels[sel_in], pred, average="macro")), 4),
            "macro_f1_masked": round(float(f1_score(labels[sel_in], masked, average="macro")), 4),
            "leans_without_scope": dict(Counter(model.lean_of(float(p)) for p in winner)),
            "leans_with_scope": dict(Counter(model.lean_of(float(p), s) for p, s in zip(winner, scope[sel_in]))),
        }
        adj = group["adjacent"]
        figures["adjacent_roles"] = dict(Counter(map(str, classes[o_proba[adj].argmax(1)])))
        o_winner = o_proba[group["out"]].max(1)
        figures["out_leans"] = {
            "without_scope": dict(Counter(model.lean_of(float(p)) for p in o_winner)),
            "with_scope": dict(Counter(model.lean_of(float(p), s) for p, s in zip(o_winner, o_scope[group["out"]]))),
        }
        return figures

    report = {"all": part(halves_in >= 0, halves_other >= 0)}
    for h in (0, 1):
        report[f"half_{h}"] = part(halves_in == h, halves_other == h)
    report["_scores"] = {
        "in": p_in.tolist(),
        "out": o_p_in[other_scopes == "out"].tolist(),
        "adjacent": o_p_in[other_scopes == "adjacent"].tolist(),
    }
    return report


def plot(report: dict[str, Any], path: Path, title: str) -> Path:
    """Histograms of ``p_in_scope`` for each group, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1, 41)
    for group, colour in (("in", "tab:blue"), ("adjacent", "tab:orange"), ("out", "tab:red")):
        scores = np.asarray(report["_scores"][group])
        ax.hist(
            scores, bins=bins, histtype="step", lw=2, color=colour, density=True, label=f"{group} (n={len(scores)})"
        )
    ax.axvline(report["all"]["threshold_at_5pct_in"], color="k", ls="--", label="flags 5 % of in-scope")
    ax.set_xlabel("p_in_scope")
    ax.set_ylabel("density")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The report as a few lines a person reads in a terminal."""
    lines = []
    for part in ("all", "half_0", "half_1"):
        s = report[part]
        r = s["in_scope_roles"]
        lines += [
            f"{part:>6}: AUROC {s['auroc_out_vs_in']:.3f}  out flagged {s['out_flagged_at_5pct_in']:.1%} at "
            f"p_in_scope < {s['threshold_at_5pct_in']:.3f} (flags {s['in_flagged_at_threshold']:.1%} of in-scope)  "
            f"n={s['n']}",
            "        model's answers: "
            + "; ".join(f"{g}: " + ", ".join(f"{a} {v:.1%}" for a, v in s["answers"][g].items()) for g in s["answers"]),
            f"        in-scope roles: macro-F1 raw {r['macro_f1_raw']:.3f} masked {r['macro_f1_masked']:.3f} (scope "
            f"leaves labels alone); leans {r['leans_without_scope']} -> {r['leans_with_scope']}",
            f"        adjacent texts lean: {s['adjacent_roles']}; out texts' leans {s['out_leans']['without_scope']} "
            f"-> {s['out_leans']['with_scope']}",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rolelens eval-scope", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="CSV of in-scope texts with role labels (e.g. ../shared/eval/dev.csv)")
    parser.add_argument("scope_data", help="CSV of other texts with a scope column (e.g. ../shared/eval/scope_dev.csv)")
    model_and_columns(parser)
    args = parser.parse_args(argv)

    from classifier.persist import ModelLoadError, load_model, resolve

    try:
        model, meta = load_model(args.model_dir)
        texts, labels = read_labelled(args.data, args.text_column, args.label_column)
        others, scopes, other_ids = read_scoped(args.scope_data, args.text_column)
        report = evaluate_scope(model, texts, labels, _ids(args.data), others, scopes, other_ids)
    except (ModelLoadError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out_dir = resolve(args.model_dir) / "eval" / f"scope-{Path(args.scope_data).stem}"
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot(report, out_dir / "scope_scores.png", f"p_in_scope, model {meta['model_version']}")
    scores = report.pop("_scores")
    report = {
        "data": str(args.data),
        "scope_data": str(args.scope_data),
        "model_version": meta["model_version"],
        **report,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "scores.json").write_text(json.dumps(scores) + "\n")
    print(f"model {meta['model_version']}: {args.data} as in scope, {args.scope_data} as the rest")
    print("\n".join(summary_lines(report)))
    print(f"wrote {out_dir / 'report.json'}, {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
