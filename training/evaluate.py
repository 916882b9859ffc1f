"""Evaluate a saved model on labelled real texts: ``make eval`` / ``python -m training.evaluate``.

Every figure is reported twice, on the raw text and with role names masked, because
real postings usually name the role and a model can score well by spotting the name
alone. Two reference rules are scored on the same rows: the lexicon alone (weighted
phrase counts) and the role-name rule. The slice of texts where no lexicon phrase
matched shows whether the model learned more than its own lexicon.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from classifier.explain import EvidenceFinder
from classifier.lexicon import Lexicon

MASK = "[ROLE]"
# Names of the two roles as the evaluation protocol defines them (shared/eval/README.md).
_ENGINEER = (
    r"(?:machine[\s-]*learning|ml|mlops|ml\s*ops|ai|a\.i\.|nlp|computer\s+vision|deep[\s-]*learning)\s+engineers?"
)
_SCIENTIST = r"data\s+scien(?:tists?|ce)"
ROLE_NAMES = re.compile(rf"\b(?:{_ENGINEER}|{_SCIENTIST})\b", re.IGNORECASE)
_ROLE_OF = (
    ("ml_engineer", re.compile(rf"\b{_ENGINEER}\b", re.I)),
    ("data_scientist", re.compile(rf"\b{_SCIENTIST}\b", re.I)),
)


def mask_role_names(text: str) -> str:
    """Replace names of the two roles with a neutral token.

    >>> mask_role_names("Our Data Scientists and ML engineers; data science team")
    'Our [ROLE] and [ROLE]; [ROLE] team'
    """
    return ROLE_NAMES.sub(MASK, text)


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label") -> tuple[list[str], list[str]]:
    """Texts and labels of a CSV; raise ValueError naming the columns that exist."""
    csv.field_size_limit(1 << 26)
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        missing = [c for c in (text_col, label_col) if c not in columns]
        if missing:
            raise ValueError(
                f"{path} has no column {', '.join(map(repr, missing))}; its columns are {columns}: "
                "set TEXT_COL=... and LABEL_COL=..."
            )
        rows = [(r[text_col] or "", r[label_col]) for r in reader]
    return [t for t, _ in rows], [lab for _, lab in rows]


def expected_calibration_error(
    y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], bins: int = 10
) -> float:
    """ECE over equal-width bins of the winning probability.

    >>> round(expected_calibration_error(["a", "b"], np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"]), 3)
    0.15
    """
    conf = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    edges = np.linspace(0.5 if proba.shape[1] == 2 else 0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def reliability(y_true, proba, classes, bins: int = 10) -> list[dict[str, float]]:
    """Per-bin mean confidence and accuracy, for the reliability diagram."""
    conf = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    return [
        {
            "low": float(edges[b]),
            "high": float(edges[b + 1]),
            "n": int((which == b).sum()),
            "confidence": float(conf[which == b].mean()),
            "accuracy": float(correct[which == b].mean()),
        }
        for b in range(bins)
        if (which == b).any()
    ]


def scores(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=list(labels), zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float((y_true == y_pred).mean()), 4) if len(y_true) else None,
        "macro_f1": round(float(f.mean()), 4),
        "per_class": {
            lab: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion_matrix": {
            "labels": list(labels),
            "rows_true_cols_pred": confusion_matrix(y_true, y_pred, labels=list(labels)).tolist(),
        },
    }


def lexicon_rule(evidence: list[list], labels: Sequence[str], default: str) -> list[str]:
    """Reference rule: the role with the larger sum of matched phrase weights (ties go to ``default``)."""
    out = []
    for found in evidence:
        totals = {lab: sum(e.weight for e in found if e.role == lab) for lab in labels}
        best = max(totals.values())
        winners = [lab for lab, v in totals.items() if v == best]
        out.append(winners[0] if len(winners) == 1 else default)
    return out


def role_name_rule(texts: Sequence[str], default: str) -> tuple[list[str], np.ndarray]:
    """Reference rule: the role named more often; returns labels and which texts it decided."""
    out, decided = [], []
    for text in texts:
        counts = {lab: len(rx.findall(text)) for lab, rx in _ROLE_OF}
        ml, ds = counts["ml_engineer"], counts["data_scientist"]
        decided.append(ml != ds)
        out.append(default if ml == ds else ("ml_engineer" if ml > ds else "data_scientist"))
    return out, np.asarray(decided)


def evaluate(model, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Every figure of the report for a fitted model on labelled texts."""
    classes = [str(c) for c in model.classes_]
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(
            f"labels {unknown} are not roles of this model: the label column must hold {' or '.join(classes)}"
        )
    default = "data_scientist"
    finder = EvidenceFinder(getattr(model, "lexicon_", Lexicon(())))
    report: dict[str, Any] = {}
    for variant, xs in (("raw", list(texts)), ("masked", [mask_role_names(t) for t in texts])):
        proba = model.predict_proba(xs)
        pred = np.asarray(classes)[proba.argmax(axis=1)]
        evidence = finder.find(xs)
        no_match = np.array([not found for found in evidence])
        section = scores(labels, pred, classes)
        section["ece"] = round(expected_calibration_error(labels, proba, classes), 4)
        section["reliability"] = reliability(labels, proba, classes)
        y = np.asarray(labels)
        section["no_lexicon_match"] = {
            "n": int(no_match.sum()),
            **(
                {k: v for k, v in scores(y[no_match], pred[no_match], classes).items() if k in ("accuracy", "macro_f1")}
                if no_match.any()
                else {}
            ),
        }
        rule = scores(labels, lexicon_rule(evidence, classes, default), classes)
        names, decided = role_name_rule(xs, default)
        section["baselines"] = {
            "lexicon_rule": {k: rule[k] for k in ("accuracy", "macro_f1")},
            "role_name_rule": {
                **{k: v for k, v in scores(labels, names, classes).items() if k in ("accuracy", "macro_f1")},
                "decided_share": round(float(decided.mean()), 4),
            },
        }
        report[variant] = section
    return report


def plot(report: dict[str, Any], out_dir: Path, title: str) -> list[Path]:
    """Confusion matrices and reliability diagrams (raw and masked) as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, variant in zip(axes, ("raw", "masked")):
        cm = np.array(report[variant]["confusion_matrix"]["rows_true_cols_pred"])
        labels = report[variant]["confusion_matrix"]["labels"]
        ax.imshow(cm, cmap="Blues")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{variant}: macro-F1 {report[variant]['macro_f1']:.3f}")
    fig.suptitle(f"Confusion matrix - {title}")
    fig.tight_layout()
    paths.append(out_dir / "confusion_matrix.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0.5, 1], [0.5, 1], "k--", label="perfectly calibrated")
    for variant, style in (("raw", "o-"), ("masked", "s-")):
        bins = report[variant]["reliability"]
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            style,
            label=f"{variant} (ECE {report[variant]['ece']:.3f})",
        )
    ax.set_xlabel("confidence of the winning role")
    ax.set_ylabel("share correct")
    ax.set_xlim(0.5, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    ax.set_title(f"Reliability - {title}")
    fig.tight_layout()
    paths.append(out_dir / "reliability.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The report as a few lines a person reads in a terminal."""
    lines = []
    for variant in ("raw", "masked"):
        s = report[variant]
        pc = "  ".join(
            f"{lab} P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}" for lab, v in s["per_class"].items()
        )
        lexicon, names = s["baselines"]["lexicon_rule"], s["baselines"]["role_name_rule"]
        nm, cm = s["no_lexicon_match"], s["confusion_matrix"]
        lines += [
            f"{variant:>6}: macro-F1 {s['macro_f1']:.3f}  accuracy {s['accuracy']:.3f}  "
            f"ECE {s['ece']:.3f}  (n={s['n']})",
            f"        {pc}",
            f"        confusion (rows true, cols predicted {cm['labels']}): {cm['rows_true_cols_pred']}",
            f"        no lexicon match: {nm['n']} texts" + (f", macro-F1 {nm['macro_f1']:.3f}" if nm["n"] else ""),
            f"        reference rules: lexicon alone macro-F1 {lexicon['macro_f1']:.3f}; "
            f"role names alone {names['macro_f1']:.3f} (decides {names['decided_share']:.0%})",
        ]
    return lines


def model_and_columns(parser: argparse.ArgumentParser) -> None:
    """Add the options every evaluation command takes: the model and the CSV's text and label columns."""
    parser.add_argument("--model", default="models", help="a model folder or a models folder (default: models)")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="label")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rolelens eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="CSV of labelled texts")
    model_and_columns(parser)
    args = parser.parse_args(argv)

    from classifier.persist import ModelLoadError, load_model, resolve

    try:
        model, meta = load_model(args.model)
        texts, labels = read_labelled(args.data, args.text_col, args.label_col)
        report = evaluate(model, texts, labels)
    except (ModelLoadError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    name = Path(args.data).stem
    out_dir = resolve(args.model) / "eval" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"data": str(args.data), "model_version": meta["model_version"], **report}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    pngs = plot(report, out_dir, f"{name}, model {meta['model_version']}")
    print(f"model {meta['model_version']} on {args.data}")
    print("\n".join(summary_lines(report)))
    print(f"wrote {out_dir / 'report.json'}, " + ", ".join(str(p) for p in pngs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
