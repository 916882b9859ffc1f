"""Shared fixtures: one small model trained once for the whole session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """A models folder holding one small model trained from data/."""
    from training.train import train

    folder = tmp_path_factory.mktemp("models")
    train(DATA, folder, n_per_role=400, seed=0, log=lambda _msg: None)
    return folder


@pytest.fixture(scope="session")
def model(models_dir):
    """The session model, loaded and checked the way the service loads it."""
    from classifier.persist import load_model

    return load_model(models_dir)[0]


@pytest.fixture(scope="session")
def samples() -> list[dict]:
    """Hand-written postings and resumes with the role they were written for."""
    lines = (DATA / "samples" / "texts.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]
