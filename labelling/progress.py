"""Progress of a running job: a live line on a terminal, plain periodic lines in a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """Reports rows done, rows per second and the time left.

    Parameters
    ----------
    stream : file
        Where to write (standard error by default).
    every : float or None
        Seconds between reports: 0.2 on a terminal, 10 otherwise, unless given.
    tty : bool or None
        Redraw one line in place; by default when ``stream`` is a terminal.

    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress(out, every=0, tty=False)
    >>> p.begin(); p.update(500, 500, 0.5); p.close()
    >>> out.getvalue().startswith("labelling: 500 rows")
    True
    """

    def __init__(self, stream: TextIO | None = None, every: float | None = None, tty: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = every if every is not None else (0.2 if self.tty else 10.0)
        self._started = time.monotonic()
        self._last = float("-inf")
        self._from = 0.0
        self._drawn = False

    def begin(self, fraction: float = 0.0) -> None:
        """Start the clock; ``fraction`` of the input was done before (a resumed job)."""
        self._started, self._from = time.monotonic(), fraction

    def update(self, rows: int, rows_this_run: int, fraction: float) -> None:
        """Report ``rows`` done in all, ``rows_this_run`` of them now, ``fraction`` of the input read."""
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        moved = fraction - self._from
        if fraction >= 1:  # all read (a small file is at once): only the chunks in flight are left
            eta = "finishing"
        else:
            eta = "ETA " + (_clock(elapsed / moved * (1 - fraction)) if moved > 0 else "?")
        line = f"{rows:,} rows, {rows_this_run / elapsed:,.0f} rows/s, {fraction:.0%} read, {eta}"
        if self.tty:
            self.stream.write(f"\r\033[K{line}")
            self._drawn = True
        else:
            self.stream.write(f"labelling: {line}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the live line so that what follows starts on a line of its own."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
