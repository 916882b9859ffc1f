"""Small input files for the batch labelling tests, written from the hand-written samples."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from labelling.progress import Progress


@pytest.fixture(scope="session")
def rows(samples) -> list[dict]:
    """A few dozen rows: every sample several times, with an id, a title and a multi-line text."""
    out = []
    for i in range(30):
        s = samples[i % len(samples)]
        out.append(
            {
                "id": str(1000 + i),
                "title": f'Role {i}, "remote"',
                "text": s["text"] + "\n\nApply today.",
                "role": s["label"],
            }
        )
    return out


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write dict rows as a CSV with a header."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def jobs_csv(tmp_path, rows) -> Path:
    """A clean CSV of postings and resumes."""
    return write_csv(tmp_path / "jobs.csv", rows)


class _StopAfter(Progress):
    """Progress that interrupts the job like Ctrl-C once some rows are done."""

    def __init__(self, rows: int):
        super().__init__(io.StringIO(), tty=False)
        self.rows = rows

    def update(self, rows, rows_this_run, fraction):
        if rows >= self.rows:
            raise KeyboardInterrupt


@pytest.fixture()
def stop_after():
    """A Progress that interrupts a job like Ctrl-C: ``stop_after(rows)``."""
    return _StopAfter
