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


def run_measured(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float, float, subprocess.CompletedProcess]:
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


def label(base: list[str], src: Path, dst: Path, rows: int, kb: float, mb: float, workers: int,
          explain: bool, models: str, what: str) -> dict:
    """One timed run of the CLI, checked for a complete output."""
    cmd = [*base, "label", str(src), "-o", str(dst), "--text-column", "text", "--id-column", "id",
           "--workers", str(workers), *(["--explain"] if explain else [])]
    env = {**os.environ, "ROLELENS_MODEL_DIR": models}
    seconds, peak, done = run_measured(cmd, env, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    got, header = count_rows(dst)
    if got != rows or "label" not in header:
        raise RuntimeError(f"{dst} has {got} rows (expected {rows}) and columns {header}")
    dst.unlink()
    return {"label": what, "rows": rows, "kb": kb, "workers": workers, "explain": explain, "seconds": seconds,
            "rows_per_s": rows / seconds, "mb_per_s": mb / seconds, "peak_rss_mb": peak}


def measure(workdir: Path, pieces: dict[str, list[str]], rows: int, explain_rows: int, models: str) -> dict:
    """Rows/s with 1 and 2 workers on ``rows`` rows; ``--explain`` cost on ``explain_rows`` rows."""
    base = command()
    if base is None:
        return {"not_measured": NOT_ON_MAIN}
    big, small = workdir / "rows.csv", workdir / "rows-small.csv"
    big_mb = write_csv(big, pieces, rows, 4)
    small_mb = write_csv(small, pieces, explain_rows, 4)
    out = workdir / "labelled.csv"
    result = {
        "input_mb": big_mb,
        "workers_1": label(base, big, out, rows, 4, big_mb, 1, False, models, "1 worker"),
        "workers_2": label(base, big, out, rows, 4, big_mb, 2, False, models, "2 workers"),
        "plain_1": label(base, small, out, explain_rows, 4, small_mb, 1, False, models, "1 worker, no --explain"),
        "explain_1": label(base, small, out, explain_rows, 4, small_mb, 1, True, models, "1 worker, --explain"),
    }
    result["explain_cost"] = result["explain_1"]["seconds"] / result["plain_1"]["seconds"]
    big.unlink()
    return result
