"""The OpenAPI document is the contract: schemathesis, driven by /openapi.json, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TOKEN = "contract-token"


def test_schemathesis_finds_no_mismatch(start_server, models_dir, tmp_path):
    """Every check of schemathesis passes on every operation: no 5xx, every answer's status and body
    as documented, schema-valid requests accepted and schema-invalid ones refused (bounded examples)."""
    base = start_server(models_dir, admin_token=TOKEN, max_text_chars="5000")
    hooks = Path(__file__).with_name("schemathesis_hooks.py")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": hooks.stem, "PYTHONPATH": str(hooks.parent)}
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{base}/openapi.json",
            "--checks=all",
            "--max-examples=40",
            "--workers=1",
            "--seed=14",
            "--request-timeout=30",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or " passed" in run.stdout
