"""Small statistics the bench reports: medians, percentiles, growth slopes, memory readings."""

from __future__ import annotations

import math
import os
import resource
import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks.

    >>> percentile([1, 2, 3, 4, 5], 50), percentile([1, 2, 3, 4, 5], 100)
    (3.0, 5.0)
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def median(values: list[float]) -> float:
    """Median as a float.

    >>> median([3, 1, 2])
    2.0
    """
    return float(statistics.median(values))


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def slope(sizes: list[float], seconds: list[float]) -> float:
    """Exponent ``k`` of ``seconds ~ size**k`` between the two largest sizes (1.0 is linear).

    The largest pair is used because small inputs carry fixed per-call costs that hide the
    growth rate.

    >>> round(slope([1, 10, 100], [0.5, 1.0, 10.0]), 2)
    1.0
    """
    (s1, t1), (s2, t2) = sorted(zip(sizes, seconds))[-2:]
    return math.log(t2 / t1) / math.log(s2 / s1)


def growth_verdict(k: float, tolerance: float = 0.15) -> str:
    """Say whether a growth exponent is linear, worse, or better (fixed costs still dominate).

    >>> growth_verdict(1.04), growth_verdict(1.4), growth_verdict(0.6)
    ('linear', 'super-linear', 'sub-linear')
    """
    if k > 1 + tolerance:
        return "super-linear"
    return "sub-linear" if k < 1 - tolerance else "linear"


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process now, in MB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def peak_rss_mb() -> float:
    """Highest resident memory of this process since start or :func:`reset_peak_rss`, in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Restart this process's peak-memory reading from now (Linux >= 4.0); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants now, in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += rss_mb(p)
        todo.extend(children.get(p, []))
    return total
