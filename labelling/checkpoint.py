"""What an interrupted job leaves behind so that ``--resume`` can go on from its last chunk.

``OUTPUT.partial/state.json`` is rewritten (atomically) after every chunk that reached
the partial output. It names the job (input file, its size and time, the options and
the model version), so a resume refuses to continue a different job.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labelling.errors import LabelError

FORMAT = "rolelens-label-job/1"
STATE_FILE = "state.json"


def workdir_for(output: Path) -> Path:
    """The folder that holds a job's partial output and state, beside the output."""
    return output.with_name(output.name + ".partial")


def job_identity(input_path: Path, **options: Any) -> dict[str, Any]:
    """What must be the same for a resume to continue a job: the input file and the options."""
    stat = input_path.stat()
    return {
        "input": str(input_path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        **options,
    }


@dataclass
class JobState:
    """Progress of a job: rows and chunks that reached the partial output, and where it ends."""

    identity: dict[str, Any]
    rows_done: int = 0
    chunks_done: int = 0
    position: int = 0  # size of the CSV data file, or number of Parquet parts
    labels: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def save(self, workdir: Path) -> None:
        tmp = workdir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, **asdict(self)}, indent=1))
        os.replace(tmp, workdir / STATE_FILE)


def start(workdir: Path, identity: dict[str, Any], resume: bool, log, restart: bool = False) -> tuple[JobState, bool]:
    """The state to run from, and whether it continues an earlier run.

    With ``resume``, an earlier state for the same job is continued, one for another job
    is refused, and a job with no partial output starts from the beginning. With
    ``restart``, earlier partial output is discarded. With neither, earlier partial output
    that holds labelled rows stops the job: its work is not thrown away unasked.
    """
    saved = _read(workdir)
    if not resume and not restart and saved is not None and saved.get("rows_done", 0) > 0:
        raise LabelError(
            f"an interrupted run left {saved['rows_done']:,} labelled rows in {workdir}: pass --resume to "
            "continue it, or --restart to discard them and start over"
        )
    if resume and saved is not None:
        _check_same_job(workdir, saved, identity)
        state = JobState(**{k: v for k, v in saved.items() if k != "format"})
        log(f"resuming after {state.rows_done:,} rows ({state.chunks_done} chunks) from {workdir}")
        return state, True
    if resume:
        log(f"nothing to resume in {workdir}: starting from the first row")
    elif saved is not None:
        log(f"discarding the partial output of an earlier run in {workdir}")
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    state = JobState(identity)
    state.save(workdir)
    return state, False


def _read(workdir: Path) -> dict[str, Any] | None:
    try:
        saved = json.loads((workdir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) and saved.get("format") == FORMAT else None


def _check_same_job(workdir: Path, saved: dict[str, Any], identity: dict[str, Any]) -> None:
    before = saved.get("identity", {})
    changed = [k for k in sorted(set(before) | set(identity)) if before.get(k) != identity.get(k)]
    if changed:
        what = ", ".join(f"{k} was {before.get(k)!r}, now {identity.get(k)!r}" for k in changed)
        raise LabelError(
            f"cannot resume: the partial output in {workdir} belongs to a different job ({what}); "
            "run again with --restart instead of --resume to start over"
        )
