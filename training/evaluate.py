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
import os
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
# Names of the two roles as the evaluation protocol defines them (shared/eval/README.md), and the
# LLM-era names of ML engineers that the lexicon reads as role names ("LLM engineer", "GenAI engineer",
# "AI platform engineer"): left unmasked, the masked score would credit the model for spotting them.
_ENGINEER = (
    r"(?:machine[\s-]*learning|ml|mlops|ml\s*ops|ai|a\.i\.|nlp|computer\s+vision|deep[\s-]*learning"
    r"|llms?|gen[\s-]*ai|ai\s+platform)\s+engineers?"
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
    >>> mask_role_names("LLM Engineer, GenAI engineers, an AI platform engineer, a generative AI engineer")
    '[ROLE], [ROLE], an [ROLE], a generative [ROLE]'
    """
    return ROLE_NAMES.sub(MASK, text)


def read_labelled(path: str | Path, text_col: str = "text", label_col: str = "label") -> tuple[list[str], list[str]]:
    """Texts and labels of a CSV (``.csv``, ``.csv.gz``) or Parquet file; ValueError saying what to fix.

    CSV values are read as written (bytes that are not UTF-8 as U+FFFD); empty texts stay empty strings.
    """
    import pandas as pd
    import pyarrow as pa

    path = Path(path)
    if path.is_dir() or not path.exists():
        raise ValueError(f"{path} {'is a folder' if path.is_dir() else 'does not exist'}: give a labelled .csv, "
                         ".csv.gz or .parquet file (make eval DATA=path/to/file.csv)")  # fmt: skip
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            columns = pq.read_schema(path).names
            _check_columns(path, columns, text_col, label_col)
            frame = pd.read_parquet(path, columns=[text_col, label_col])
        elif name.endswith((".csv", ".csv.gz")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="replace")
            _check_columns(path, list(frame.columns), text_col, label_col)
        else:
            raise ValueError(f"{path}: evaluation data must be a .csv, .csv.gz or .parquet file")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, pa.ArrowException) as err:
        raise ValueError(f"cannot read {path}: {err}") from None
    texts = frame[text_col]
    if texts.map(lambda t: t is not None and not isinstance(t, str)).any():
        raise ValueError(f"{path}: column {text_col!r} does not hold text: set TEXT_COL to the text column")
    return texts.fillna("").tolist(), frame[label_col].astype(str).tolist()


def _check_columns(path: Path, columns: list[str], text_col: str, label_col: str) -> None:
    missing = [c for c in (text_col, label_col) if c not in columns]
    if missing:
        raise ValueError(
            f"{path} has no column {', '.join(map(repr, missing))}; its columns are {columns}: "
            "set TEXT_COL=... and LABEL_COL=... (rolelens eval --text-column ... --label-column ...)"
        )
    for name in (text_col, label_col):
        if columns.count(name) > 1:
            raise ValueError(f"{path} has {columns.count(name)} columns named {name!r}: rename all but one")


def wrong_rows(model, texts: Sequence[str], labels: Sequence[str]) -> list[dict[str, Any]]:
    """The rows the model labels wrongly (raw text): row number, true and predicted role, probabilities, text."""
    classes = [str(c) for c in model.classes_]
    proba = model.predict_proba(list(texts))
    rows = []
    for i, (text, label, p) in enumerate(zip(texts, labels, proba)):
        predicted = classes[int(p.argmax())]
        if predicted != label:
            probs = {f"p_{c}": round(float(x), 4) for c, x in zip(classes, p)}
            rows.append({"row": i + 1, "label": label, "predicted": predicted, **probs, "text": text})
    return rows


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

    fig = reliability_figure(report, title)
    paths.append(out_dir / "reliability.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def reliability_figure(report: dict[str, Any], title: str):
    """The reliability diagram (raw and masked) above a bar chart of how many texts fall in each bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, counts) = plt.subplots(
        2, 1, figsize=(5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}, layout="constrained"
    )
    ax.plot([0.5, 1], [0.5, 1], "k--", label="perfectly calibrated")
    for k, (variant, style) in enumerate((("raw", "o-"), ("masked", "s-"))):
        bins = report[variant]["reliability"]
        ax.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            style,
            label=f"{variant} (ECE {report[variant]['ece']:.3f})",
        )
        width = (bins[0]["high"] - bins[0]["low"]) / 2 if bins else 0.025
        counts.bar([b["low"] + width * k for b in bins], [b["n"] for b in bins], width, align="edge", label=variant)
    ax.set_ylabel("share correct")
    ax.set_xlim(0.5, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right")
    ax.set_title(f"Reliability - {title}")
    counts.set_xlabel("confidence of the winning role")
    counts.set_ylabel("texts")
    counts.legend(loc="upper left")
    return fig


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


def build_parser() -> argparse.ArgumentParser:
    """The options of ``rolelens eval`` (the spellings of ``rolelens label``; older ones still work)."""
    parser = argparse.ArgumentParser(prog="rolelens eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="labelled texts: a .csv, .csv.gz or .parquet file")
    model_and_columns(parser)
    parser.add_argument("--errors", metavar="CSV", help="also write the rows the model got wrong to this CSV file")
    return parser


def model_and_columns(parser: argparse.ArgumentParser) -> None:
    """Add the options every evaluation command takes: the model and the text and label columns."""
    parser.add_argument(
        "--model-dir",
        default=os.environ.get("ROLELENS_MODEL_DIR", "models"),
        help="a models folder (its current model) or one model folder (default: $ROLELENS_MODEL_DIR or models)",
    )
    parser.add_argument("--text-column", default="text", help="the column holding the texts (default: text)")
    parser.add_argument("--label-column", default="label", help="the column holding the true roles (default: label)")
    # Spellings of earlier releases, kept for one release and not listed.
    old_names = (("--model", "model_dir"), ("--models", "model_dir"), ("--text-col", "text_column"))
    for old, new in (*old_names, ("--label-col", "label_column")):
        parser.add_argument(old, dest=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    """``rolelens eval``: score a saved model on labelled texts; returns the exit status."""
    args = build_parser().parse_args(argv)

    from classifier.persist import ModelLoadError, load_model, resolve

    try:
        model, meta = load_model(args.model_dir)
        texts, labels = read_labelled(args.data, args.text_column, args.label_column)
        report = evaluate(model, texts, labels)
        if args.errors:
            wrong = wrong_rows(model, texts, labels)
            _write_rows(Path(args.errors), wrong, [f"p_{c}" for c in model.classes_])
    except (ModelLoadError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
    name = Path(args.data).name.removesuffix(".gz").removesuffix(".csv").removesuffix(".parquet")
    out_dir = resolve(args.model_dir) / "eval" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"data": str(args.data), "model_version": meta["model_version"], **report}
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    pngs = plot(report, out_dir, f"{name}, model {meta['model_version']}")
    print(f"model {meta['model_version']} on {args.data}")
    print("\n".join(summary_lines(report)))
    print(f"wrote {out_dir / 'report.json'}, " + ", ".join(str(p) for p in pngs))
    if args.errors:
        print(f"wrote the {len(wrong)} rows labelled wrongly (raw text) to {args.errors}")
    return 0


def _write_rows(path: Path, rows: list[dict[str, Any]], probs: list[str]) -> None:
    if path.is_dir():
        raise ValueError(f"--errors {path} is a folder: give a file name such as {path / 'wrong.csv'}")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["row", "label", "predicted", *probs, "text"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
