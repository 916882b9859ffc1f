"""How cost grows with the number of rows and the length of texts.

All sizes run in one fresh process (``python -m bench.growth``), smallest first, so that the
bench's own memory does not count; before each size the process's peak-memory reading is
reset, so each size's peak is its own. The parent reads back one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
from pathlib import Path

from bench.stats import growth_verdict, median, peak_rss_mb, reset_peak_rss, rss_mb, slope, timed


def measure(model, pieces: dict[str, list[str]], rows: int, kb: float, repeats: int) -> dict:
    """Time ``predict`` over ``rows`` texts of ``kb`` KB; read the memory it needed."""
    from bench.texts import texts

    batch = list(texts(pieces, rows, kb))
    model.predict(batch[:50])  # warm-up: lookup tables, first allocations
    gc.collect()
    before = rss_mb()
    resettable = reset_peak_rss()
    seconds = median(timed(lambda: model.predict(batch), repeats, warmup=0))
    mb = sum(len(t.encode("utf-8")) for t in batch) / 1e6
    peak = peak_rss_mb()
    return {
        "rows": rows,
        "kb": kb,
        "mb": round(mb, 3),
        "repeats": repeats,
        "seconds": seconds,
        "docs_per_s": rows / seconds,
        "mb_per_s": mb / seconds,
        "rss_with_texts_mb": before,
        "peak_rss_mb": peak,
        # What predicting needed on top of the loaded model and its input texts.
        "predict_extra_mb": max(0.0, peak - before) if resettable else None,
    }


def run_child(models: str, pieces_file: str, sizes: list[tuple[int, float, int]], timeout: float = 540) -> list[dict]:
    """Measure each ``(rows, kb, repeats)`` in one fresh Python process, in the order given."""
    cmd = [
        sys.executable,
        "-m",
        "bench.growth",
        "--models",
        models,
        "--pieces",
        pieces_file,
        *(arg for rows, kb, repeats in sizes for arg in ("--size", f"{rows}:{kb}:{repeats}")),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=Path(__file__).parents[1])
    if done.returncode != 0:
        raise RuntimeError(f"growth runs failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict], by: str) -> dict:
    """Growth exponents of time and memory along ``by``, with verdicts.

    Along ``rows`` the whole call is timed; along ``kb`` (same total bytes at every size) the
    cost per text, which should grow like the text.
    """
    x = [r[by] for r in runs]
    per = [1 if by == "rows" else r["rows"] for r in runs]
    k_time = slope(x, [r["seconds"] / n for r, n in zip(runs, per)])
    out = {
        "by": by,
        "runs": runs,
        "time_exponent": k_time,
        "time_verdict": growth_verdict(k_time),
        "memory_exponent": None,
        "memory_verdict": "not measured: peak memory cannot be reset here",
    }
    if all(r["predict_extra_mb"] is not None for r in runs):
        # 1 MB floor: memory readings move in pages and a small run may need nothing new.
        k_mem = slope(x, [max(r["predict_extra_mb"], 1.0) / n for r, n in zip(runs, per)])
        out.update(memory_exponent=k_mem, memory_verdict=growth_verdict(k_mem))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=measure.__doc__)
    parser.add_argument("--models", required=True)
    parser.add_argument("--pieces", required=True, help="JSON file of text pieces by label")
    parser.add_argument("--size", action="append", required=True, metavar="ROWS:KB:REPEATS")
    args = parser.parse_args(argv)
    from classifier.persist import load_model

    model, _ = load_model(args.models)
    pieces = json.loads(Path(args.pieces).read_text())
    out = []
    for size in args.size:
        rows, kb, repeats = size.split(":")
        out.append(measure(model, pieces, int(rows), float(kb), int(repeats)))
        gc.collect()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
