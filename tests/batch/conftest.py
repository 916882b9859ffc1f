"""Small input files for the batch labelling tests, written from the hand-written samples."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


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
