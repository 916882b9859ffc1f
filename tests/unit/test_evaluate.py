import csv
import json

import numpy as np
import pandas as pd
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
    assert main([str(data), "--model-dir", str(models_dir), "--text-column", "body", "--label-column", "role"]) == 0
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
    assert main([str(data), "--model-dir", str(models_dir)]) == 2
    err = capsys.readouterr().err
    assert "'text'" in err and "['body', 'role']" in err and "TEXT_COL" in err


def labelled(samples, prefix: str = "") -> pd.DataFrame:
    """The samples as a labelled table with columns body and role, one label flipped (a row to get wrong)."""
    frame = pd.DataFrame({"body": [s["text"] for s in samples], "role": [s["label"] for s in samples]})
    frame.loc[0, "role"] = "ml_engineer" if frame.loc[0, "role"] == "data_scientist" else "data_scientist"
    return frame


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_eval_reads_what_label_reads(models_dir, samples, tmp_path, suffix):
    """CSV, gzip CSV and Parquet files read as the same texts and labels."""
    from training.evaluate import read_labelled

    frame = labelled(samples)
    path = tmp_path / f"mine{suffix}"
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    texts, labels = read_labelled(path, "body", "role")
    assert texts == frame["body"].tolist() and labels == frame["role"].tolist()


def test_eval_writes_the_rows_it_got_wrong(models_dir, samples, tmp_path, capsys):
    """--errors writes each wrongly labelled row with its number, both roles, probabilities and text."""
    path = tmp_path / "mine.parquet"
    labelled(samples).to_parquet(path)
    wrong = tmp_path / "wrong.csv"
    args = [str(path), "--model-dir", str(models_dir), "--text-column", "body", "--label-column", "role"]
    assert main([*args, "--errors", str(wrong)]) == 0
    rows = pd.read_csv(wrong, keep_default_na=False)
    assert rows["row"].tolist() == [1] and rows["text"][0] == samples[0]["text"]
    assert rows["predicted"][0] == samples[0]["label"] != rows["label"][0]
    assert list(rows.columns) == ["row", "label", "predicted", "p_data_scientist", "p_ml_engineer", "text"]
    assert "wrote the 1 rows labelled wrongly" in capsys.readouterr().out


def test_old_option_spellings_still_work(models_dir, samples, tmp_path):
    """--model, --text-col and --label-col (earlier releases) still work, unlisted in --help."""
    from training.evaluate import build_parser

    path = tmp_path / "mine.csv"
    labelled(samples).to_csv(path, index=False)
    assert main([str(path), "--model", str(models_dir), "--text-col", "body", "--label-col", "role"]) == 0
    shown = build_parser().format_help()
    assert "--text-column" in shown and "--text-col " not in shown and "--model " not in shown


def test_a_missing_file_is_named_with_what_to_do(models_dir, tmp_path, capsys):
    """rolelens eval missing.csv says the file does not exist and how to give one, not a bare errno."""
    assert main([str(tmp_path / "missing.csv"), "--model-dir", str(models_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.csv does not exist" in err and "DATA=" in err


def test_reliability_plot_shows_how_many_texts_fall_in_each_bin():
    """Under the reliability curve, bars give the number of texts of each bin, raw and masked."""
    from training.evaluate import reliability_figure

    bins = [{"low": 0.5, "high": 0.55, "n": 3, "confidence": 0.52, "accuracy": 0.6},
            {"low": 0.9, "high": 0.95, "n": 40, "confidence": 0.93, "accuracy": 0.9}]  # fmt: skip
    report = {v: {"reliability": bins, "ece": 0.01} for v in ("raw", "masked")}
    fig = reliability_figure(report, "test")
    heights = [p.get_height() for p in fig.axes[1].patches]
    assert heights == [3, 40, 3, 40] and fig.axes[1].get_ylabel() == "texts"


@pytest.mark.parametrize(
    "name", ["LLM Engineer", "LLM engineers", "GenAI Engineer", "Gen AI engineer", "AI Platform Engineer"]
)
def test_masking_hides_the_llm_era_role_names_the_lexicon_reads(name):
    """The masked score hides every ML-engineer name the lexicon reads as a role name, LLM-era ones included."""
    from training.evaluate import MASK, mask_role_names, role_name_rule

    assert mask_role_names(f"We are hiring an {name} to ship agents.") == f"We are hiring an {MASK} to ship agents."
    assert role_name_rule([f"We are hiring an {name}."], "data_scientist")[0] == ["ml_engineer"]
