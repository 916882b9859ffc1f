"""The batch command line (``rolelens label``, issue 5): rows/s with 1 and 2 workers, peak memory.

The input is a generated CSV of 4 KB postings. Every run is the whole command, started as a
user starts it, timed from launch to exit; its peak memory is that of the process and all its
workers together, sampled while it runs. A run counts only when the output has as many rows
as the input.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.stats import tree_rss_mb

ROOT = Path(__file__).resolve().parents[1]
NOT_ON_MAIN = "feature not on main yet (rolelens label, issue 5)"
FEW = 20  # rows of the file whose run time is the command's fixed cost


def command() -> list[str] | None:
    """How to run the batch CLI in this environment, or None where it does not exist yet."""
    script = shutil.which("rolelens", path=str(Path(sys.executable).parent))
    return [script] if script else None


def write_csv(path: Path, pieces: dict[str, list[str]], rows: int, kb: float) -> float:
    """Write ``rows`` generated texts as ``id,text``; return the file's size in MB."""
    from bench.texts import texts

    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "text"])
        for i, text in enumerate(texts(pieces, rows, kb)):
            out.writerow([f"r{i}", text])
    return path.stat().st_size / 1e6


def count_rows(path: Path) -> tuple[int, list[str]]:
    """Data rows and header of a CSV file."""
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        return sum(1 for _ in reader), header


def run_measured(
    cmd: list[str], env: dict[str, str], timeout: float
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``cmd``; return its wall seconds and the peak RSS (MB) of its process tree."""
    peak = 0.0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd)} did not finish within {timeout:.0f} s") from None
    finally:
        done.set()
        sampler.join()
    return time.perf_counter() - start, peak, subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def label(
    base: list[str],
    src: Path,
    dst: Path,
    rows: int,
    kb: float,
    mb: float,
    workers: int,
    explain: bool,
    models: str,
    what: str,
    adapt: bool = False,
) -> dict:
    """One timed run of the CLI, checked for a complete output."""
    cmd = [
        *base,
        "label",
        str(src),
        "-o",
        str(dst),
        "--text-column",
        "text",
        "--id-column",
        "id",
        "--workers",
        str(workers),
        "--model-dir",
        models,
        *(["--explain"] if explain else []),
        *(["--adapt"] if adapt else []),
    ]
    seconds, peak, done = run_measured(cmd, dict(os.environ), timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    got, header = count_rows(dst)
    if got != rows or "label" not in header:
        raise RuntimeError(f"{dst} has {got} rows (expected {rows}) and columns {header}")
    dst.unlink()
    return {
        "label": what,
        "rows": rows,
        "kb": kb,
        "workers": workers,
        "explain": explain,
        "adapt": adapt,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "mb_per_s": mb / seconds,
        "peak_rss_mb": peak,
    }


def _steady(run: dict, fixed: dict) -> None:
    """Add the rows/s of a run once its fixed cost (start-up, model load) is taken off.

    The fixed cost is the time of the same command on a file of a few rows. Where a run is too
    short to tell the two apart, the steady rate is left out rather than guessed.
    """
    labelling = run["seconds"] - fixed["seconds"]
    run["fixed_seconds"] = fixed["seconds"]
    run["steady_rows_per_s"] = run["rows"] / labelling if labelling > 0.1 * run["seconds"] else None


def measure(workdir: Path, pieces: dict[str, list[str]], plan, models: str, reference) -> dict:
    """One worker against the bare vectorizer, ``--explain``, then rows/s and peak RSS by workers.

    ``plan`` gives the sizes: ``cli_ref_rows`` rows of 4 KB, labelled by one worker without and
    with ``--explain``; then ``cli_rows`` rows of ``cli_kb`` KB with 1 and 2 workers (left out
    when 0). ``reference()`` measures the in-process model right before and after the run it
    is compared with. Ratios use steady rates (see :func:`_steady`); wall-clock rates are
    reported beside them.
    """
    from bench.inprocess import between

    base = command()
    if base is None:
        return {"not_measured": NOT_ON_MAIN}
    out = workdir / "labelled.csv"
    result: dict = {}

    src = workdir / "rows-few.csv"
    mb = write_csv(src, pieces, FEW, 4)
    workers = (1, 2) if plan.cli_rows else (1,)
    fixed = {
        w: label(base, src, out, FEW, 4, mb, w, False, models, f"{w} worker(s), {FEW} rows: fixed cost")
        for w in workers
    }
    for w in workers:
        result[f"fixed_{w}"] = fixed[w]

    src = workdir / "rows-4kb.csv"
    mb = write_csv(src, pieces, plan.cli_ref_rows, 4)
    before = reference()
    run = label(base, src, out, plan.cli_ref_rows, 4, mb, 1, False, models, "1 worker")
    run["reference"] = between(before, reference())
    _steady(run, fixed[1])
    if run["steady_rows_per_s"]:
        run["vs_vectorizer"] = run["steady_rows_per_s"] / run["reference"]["vectorizer_docs_per_s"]
    result["reference_1"] = run
    short = "a run was too short to tell labelling from the command's fixed cost"
    missing: dict[str, str] = {}
    if not run.get("vs_vectorizer"):
        missing["vs_vectorizer"] = short
    if plan.cli_explain:
        result["explain_1"] = label(base, src, out, plan.cli_ref_rows, 4, mb, 1, True, models, "1 worker, --explain")
        _steady(result["explain_1"], fixed[1])
        plain, expl = run["steady_rows_per_s"], result["explain_1"]["steady_rows_per_s"]
        result["explain_cost"] = plain / expl if plain and expl else None
        result["explain_cost_wall"] = result["explain_1"]["seconds"] / run["seconds"]
        if result["explain_cost"] is None:
            missing["explain_cost"] = short
    else:
        missing["explain_cost"] = f"--explain left out in {plan.name} mode; make bench measures it"
    src.unlink()

    if plan.cli_rows:
        src = workdir / "rows.csv"
        mb = write_csv(src, pieces, plan.cli_rows, plan.cli_kb)
        result["input_mb"] = mb
        for w in workers:
            what = f"{w} worker{'s' if w > 1 else ''}"
            run = label(base, src, out, plan.cli_rows, plan.cli_kb, mb, w, False, models, what)
            _steady(run, fixed[w])
            result[f"workers_{w}"] = run
        src.unlink()
        one, two = result["workers_1"]["steady_rows_per_s"], result["workers_2"]["steady_rows_per_s"]
        result["two_vs_one"] = two / one if one and two else None
        if result["two_vs_one"] is None:
            missing["two_vs_one"] = short
    else:
        missing["two_vs_one"] = f"worker counts left out in {plan.name} mode; make bench measures them"
    if plan.cli_adapt_rows:
        # Issue 12: --adapt's whole cost (reading a sample, learning, labelling with the adapted
        # model) against a plain run of the same file, both on every core, wall time.
        src = workdir / "rows-adapt.csv"
        mb = write_csv(src, pieces, plan.cli_adapt_rows, 4)
        cores = max(workers)
        plain = label(base, src, out, plan.cli_adapt_rows, 4, mb, cores, False, models, f"{cores} workers")
        adapted = label(
            base, src, out, plan.cli_adapt_rows, 4, mb, cores, False, models, f"{cores} workers, --adapt", adapt=True
        )
        src.unlink()
        result["adapt"] = {"plain": plain, "adapted": adapted, "cost": adapted["seconds"] / plain["seconds"]}
    else:
        missing["adapt"] = f"--adapt left out in {plan.name} mode; make bench measures it"
    result["missing"] = missing
    return result
