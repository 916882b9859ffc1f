"""The scope evaluation (make eval-scope) on texts we wrote: figures, halves and the command line."""

import csv
import json

from tests.conftest import DATA


def _write(path, rows, columns):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def test_eval_scope_reports_auroc_flags_halves_and_a_plot(fresh_models, samples, tmp_path, capsys):
    """eval-scope writes a report with AUROC, flagged shares and role F1 for the whole set and both halves."""
    from training.evaluate_scope import main

    scoped = [json.loads(line) for line in (DATA / "samples" / "scope.jsonl").read_text().splitlines() if line]
    in_rows = [{"id": f"d{i}", "text": s["text"], "label": s["label"]} for i, s in enumerate(samples)]
    other = [
        {"id": f"s{i}", "text": s["text"], "scope": s["scope"]} for i, s in enumerate(scoped) if s["scope"] != "in"
    ]
    _write(tmp_path / "dev.csv", in_rows, ["id", "text", "label"])
    _write(tmp_path / "other.csv", other, ["id", "text", "scope"])
    assert main([str(tmp_path / "dev.csv"), str(tmp_path / "other.csv"), "--model", str(fresh_models)]) == 0
    folder = next((fresh_models / "current" / "eval").glob("scope-other"))
    report = json.loads((folder / "report.json").read_text())
    assert {"all", "half_0", "half_1"} <= set(report)
    whole = report["all"]
    assert whole["n"] == {"in": len(samples), "adjacent": 3, "out": sum(s["scope"] == "out" for s in scoped)}
    assert whole["auroc_out_vs_in"] == 1.0 and whole["out_flagged_at_5pct_in"] == 1.0
    assert whole["answers"]["adjacent"]["adjacent"] == 1.0
    assert whole["in_scope_roles"]["macro_f1_raw"] == 1.0
    assert (folder / "scope_scores.png").stat().st_size > 0
    assert "AUROC" in capsys.readouterr().out


def test_eval_scope_refuses_a_file_without_scope_column(models_dir, tmp_path, capsys):
    """A scope file without a scope column stops with error: and the columns it has, exit 2."""
    from training.evaluate_scope import main

    _write(tmp_path / "dev.csv", [{"text": "Data scientist.", "label": "data_scientist"}], ["text", "label"])
    _write(tmp_path / "other.csv", [{"text": "Nurse.", "kind": "out"}], ["text", "kind"])
    assert main([str(tmp_path / "dev.csv"), str(tmp_path / "other.csv"), "--model", str(models_dir)]) == 2
    assert "error:" in capsys.readouterr().err


def test_eval_scope_reads_csv_gz_and_parquet_in_scope_data_as_csv(fresh_models, samples, tmp_path):
    """In-scope data as .csv.gz or .parquet gives the same report as the same rows as .csv (ids and halves line up)."""
    import pandas as pd

    from training.evaluate_scope import main

    scoped = [json.loads(line) for line in (DATA / "samples" / "scope.jsonl").read_text().splitlines() if line]
    in_rows = [{"id": f"d{i}", "text": s["text"], "label": s["label"]} for i, s in enumerate(samples)]
    other = [
        {"id": f"s{i}", "text": s["text"], "scope": s["scope"]} for i, s in enumerate(scoped) if s["scope"] != "in"
    ]
    _write(tmp_path / "other.csv", other, ["id", "text", "scope"])
    reports = []
    for name in ("dev.csv", "dev.csv.gz", "dev.parquet"):
        frame = pd.DataFrame(in_rows)
        if name.endswith(".parquet"):
            frame.to_parquet(tmp_path / name)
        else:
            frame.to_csv(tmp_path / name, index=False)
        assert main([str(tmp_path / name), str(tmp_path / "other.csv"), "--model-dir", str(fresh_models)]) == 0
        report = json.loads((fresh_models / "current" / "eval" / "scope-other" / "report.json").read_text())
        reports.append({part: report[part]["n"] for part in ("all", "half_0", "half_1")})
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["half_0"]["in"] + reports[0]["half_1"]["in"] == len(samples)
