"""What ``make train`` costs: wall time of the whole command and the model's size on disk.

Training writes into a temporary models folder, so the bench never replaces the model that
``make serve`` uses.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import median

ROOT = Path(__file__).resolve().parents[1]


def measure(runs: int, n_per_role: int | None = None) -> dict:
    """Median wall time of ``runs`` forced retrains, and the size of the model they wrote.

    With ``n_per_role`` it runs ``python -m training`` on that many texts instead of
    ``make train`` (a small, fast stand-in for the bench's own test).
    """
    times, model_bytes, folder_bytes, command = [], 0, 0, ""
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="rolelens-bench-train-") as tmp:
            if n_per_role is None:
                cmd = ["make", "-s", "train", "FORCE=1", f"MODELS={tmp}"]
            else:
                cmd = [sys.executable, "-m", "training", "--models", tmp, "--n-per-role", str(n_per_role)]
            command = " ".join(cmd).replace(tmp, "<tmp>")
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{command} failed:\n{done.stderr[-2000:] or done.stdout[-2000:]}")
            folder = (Path(tmp) / "current").resolve()
            # The model's learned data: its JSON and arrays, without metadata.json.
            model_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.name != "metadata.json")
            folder_bytes = sum(p.stat().st_size for p in folder.iterdir())
    return {
        "command": command,
        "seconds": median(times),
        "runs": times,
        "model_mb": model_bytes / 1e6,
        "folder_mb": folder_bytes / 1e6,
    }
