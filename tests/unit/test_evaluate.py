import csv
import json

import numpy as np
import pytest

from training.evaluate import expected_calibration_error, main, mask_role_names, role_name_rule


def test_masking_removes_every_role_name():
    """Role names of both roles, singular, plural and spelled variously, become the neutral token."""
    text = (
        "Data Scientists, a data science team, an ML Engineer, MLOps engineers, "
        "a Machine-Learning Engineer, NLP engineer"
    )
    masked = mask_role_names(text)
    assert "scien" not in masked.lower() and "engineer" not in masked.lower()
    assert masked.count("[ROLE]") == 6


def test_role_name_rule_decides_only_when_counts_differ():
    """The role-name reference rule follows the more-named role and reports ties as undecided."""
    labels, decided = role_name_rule(["an ML engineer", "a data scientist", "no names here"], default="data_scientist")
    assert labels == ["ml_engineer", "data_scientist", "data_scientist"]
    assert decided.tolist() == [True, True, False]


def test_ece_is_zero_when_confidence_matches_accuracy():
    """A model right 75% of the time at 75% confidence has no calibration error."""
    proba = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(["a", "a", "a", "b"], proba, ["a", "b"]) == pytest.approx(0.0)


def test_eval_command_writes_report_and_pictures(models_dir, samples, tmp_path, capsys):
    """make eval's command scores a labelled CSV and writes JSON and PNG files beside the model."""
    data = tmp_path / "mine.csv"
    with open(data, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["body", "role"])
        writer.writeheader()
        writer.writerows({"body": s["text"], "role": s["label"]} for s in samples)
    assert main([str(data), "--model", str(models_dir), "--text-col", "body", "--label-col", "role"]) == 0
    out_dir = (models_dir / "current").resolve() / "eval" / "mine"
    report = json.loads((out_dir / "report.json").read_text())
    assert report["raw"]["macro_f1"] == 1.0 and report["raw"]["n"] == len(samples)
    assert {"masked", "raw"} <= set(report) and "lexicon_rule" in report["masked"]["baselines"]
    assert (out_dir / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert (out_dir / "reliability.png").exists()
    assert "macro-F1 1.000" in capsys.readouterr().out


def test_eval_command_names_existing_columns(models_dir, tmp_path, capsys):
    """A missing text column stops evaluation with the columns that do exist."""
    data = tmp_path / "bad.csv"
    data.write_text("body,role\nhello,ml_engineer\n")
    assert main([str(data), "--model", str(models_dir)]) == 2
    err = capsys.readouterr().err
    assert "'text'" in err and "['body', 'role']" in err and "TEXT_COL" in err
