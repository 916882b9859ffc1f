"""The bench machinery end to end, in its tiny mode: it runs and writes a well-formed result file.

Timing goals live in `make bench`; nothing here asserts how fast anything is.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATUSES = {"met", "NOT MET", "not measured"}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tiny_run(models_dir, tmp_path_factory):
    """One tiny bench run against the session model: its exit status, table and JSON result."""
    out = tmp_path_factory.mktemp("bench") / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--mode", "tiny", "--models", str(models_dir), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(out.read_text())


def test_result_file_holds_every_section_and_target(tiny_run):
    """The JSON names its commit and mode, and has a result or a 'not measured' reason per section."""
    _, result = tiny_run
    assert result["schema"] == "rolelens-bench/1"
    assert result["meta"]["mode"] == "tiny" and len(result["meta"]["commit"]) >= 7
    for section in ("inprocess", "growth", "train", "startup", "http", "batch_cli"):
        node = result["results"][section]
        assert node, section
        assert not str(node.get("not_measured", "")).startswith("failed"), node
    for target in result["targets"]:
        assert target["status"] in STATUSES
        if target["status"] == "not measured":
            assert target["value"] is None and target["note"]
        else:
            assert target["value"] > 0


def test_measurements_are_real_counts_from_this_run(tiny_run):
    """Throughputs are positive, HTTP answers were all correct, growth has one run per size."""
    _, result = tiny_run
    r = result["results"]
    tp = r["inprocess"]["throughput"]
    assert tp["docs"] == result["meta"]["plan"]["throughput_docs"]
    assert tp["predict_docs_per_s"] > 0 and tp["vectorizer_docs_per_s"] > 0
    assert [run["rows"] for run in r["growth"]["rows"]["runs"]] == result["meta"]["plan"]["growth_rows"]
    assert r["growth"]["rows"]["time_verdict"] in {"linear", "super-linear", "sub-linear"}
    for clients in ("c1", "c4"):
        m = r["http"]["classify"][clients]
        assert m["errors"] == 0 and m["requests"] > 0 and m["p99_ms"] >= m["p50_ms"] > 0
    assert r["train"]["model_mb"] > 0
    workers = r["http"]["workers"]  # issue 14: the same /classify load on 1 and on 2 server processes
    assert workers["one"]["errors"] == workers["two"]["errors"] == 0 and workers["two"]["requests"] > 0
    assert workers["two_vs_one"] == workers["two"]["per_s"] / workers["one"]["per_s"]


def test_table_shows_each_target_with_its_status(tiny_run):
    """The printed table lists every target next to its status."""
    table, result = tiny_run
    for target in result["targets"]:
        line = next(line for line in table.splitlines() if target["what"] in line)
        assert target["status"] in line
