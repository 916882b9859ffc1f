"""How cost grows with the number of rows and the length of texts.

Each size runs in a fresh process (``python -m bench.growth``) so that its peak memory is its
own: the parent reads back one JSON line with the time per call and the memory the model
needed beyond the texts it was given.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.stats import growth_verdict, median, peak_rss_mb, rss_mb, slope, timed


def measure(models: str, pieces_file: str, rows: int, kb: float, repeats: int) -> dict:
    """Time ``predict`` over ``rows`` texts of ``kb`` KB in this process; read its memory."""
    from bench.texts import texts
    from classifier.persist import load_model

    model, _ = load_model(models)
    pieces = json.loads(Path(pieces_file).read_text())
    batch = list(texts(pieces, rows, kb))
    model.predict(batch[:50])  # warm-up: lookup tables, first allocations
    before = rss_mb()
    seconds = median(timed(lambda: model.predict(batch), repeats, warmup=0))
    mb = sum(len(t.encode("utf-8")) for t in batch) / 1e6
    return {
        "rows": rows, "kb": kb, "mb": round(mb, 3), "repeats": repeats, "seconds": seconds,
        "docs_per_s": rows / seconds, "mb_per_s": mb / seconds,
        "rss_with_texts_mb": before, "peak_rss_mb": peak_rss_mb(),
        # What predicting needed on top of the loaded model and its input texts.
        "predict_extra_mb": max(0.0, peak_rss_mb() - before),
    }


def run_child(models: str, pieces_file: str, rows: int, kb: float, repeats: int, timeout: float = 300) -> dict:
    """Run :func:`measure` in a fresh Python process and return its result."""
    cmd = [sys.executable, "-m", "bench.growth", "--models", models, "--pieces", pieces_file,
           "--rows", str(rows), "--kb", str(kb), "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parents[1])
    if done.returncode != 0:
        raise RuntimeError(f"growth run {rows} rows x {kb} KB failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict], by: str) -> dict:
    """Growth exponents of time and memory along ``by``, with verdicts.

    Along ``rows`` the whole call is timed; along ``kb`` (same total bytes at every size) the
    cost per text, which should grow like the text.
    """
    x = [r[by] for r in runs]
    per = [1 if by == "rows" else r["rows"] for r in runs]
    k_time = slope(x, [r["seconds"] / n for r, n in zip(runs, per)])
    # 1 MB floor: memory readings move in pages and a small run may need nothing new.
    k_mem = slope(x, [max(r["predict_extra_mb"], 1.0) / n for r, n in zip(runs, per)])
    return {
        "by": by,
        "runs": runs,
        "time_exponent": k_time,
        "time_verdict": growth_verdict(k_time),
        "memory_exponent": k_mem,
        "memory_verdict": growth_verdict(k_mem),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=measure.__doc__)
    parser.add_argument("--models", required=True)
    parser.add_argument("--pieces", required=True, help="JSON file of text pieces by label")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--kb", type=float, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.models, args.pieces, args.rows, args.kb, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
