"""Saving and loading models as folders: ``model.joblib`` plus ``metadata.json``.

Loading checks that the folder was written by our training, that the model file's
sha256 is the one recorded, and that the libraries that unpickle it are the versions
that pickled it. Anything else is refused with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = "rolelens-model/2"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CURRENT = "current"
RETRAIN = "retrain with `make train`"


class ModelLoadError(RuntimeError):
    """A model folder cannot be used; the message names the file and the fix."""


def runtime_versions() -> dict[str, str]:
    """Versions of what reads and writes a pickled model (from package metadata: nothing is imported)."""
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "scikit_learn": version("scikit-learn"),
        "numpy": version("numpy"),
        "spacy": version("spacy"),
        "joblib": version("joblib"),
    }


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model: Any, models_dir: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to a new folder ``models_dir/<version>`` and make it current.

    The folder appears whole or not at all: it is written under a temporary name,
    renamed, and only then does the ``current`` link switch to it.
    """
    import joblib

    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=models_dir))
    try:
        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        sha = file_sha256(tmp / MODEL_FILE)
        created = datetime.now(UTC)
        version = base = f"{created:%Y%m%d-%H%M%S}-{sha[:8]}"
        # The same model trained twice within a second: keep both folders.
        for k in itertools.count(2):
            if not (models_dir / version).exists():
                break
            version = f"{base}-{k}"
        meta = {
            "format": FORMAT,
            "model_version": version,
            "created": created.isoformat(timespec="seconds"),
            "versions": runtime_versions(),
            "model_sha256": sha,
            "labels": [str(c) for c in getattr(model, "classes_", [])],
            **(metadata or {}),
        }
        (tmp / METADATA_FILE).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")
        os.chmod(tmp, 0o755)
        final = models_dir / version
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    set_current(models_dir, version)
    return final


def set_current(models_dir: Path, version: str) -> None:
    """Point ``models_dir/current`` at ``version`` in one atomic rename."""
    link = models_dir / f".{CURRENT}-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version)
    os.replace(link, models_dir / CURRENT)


def resolve(path: str | Path) -> Path:
    """The model folder meant by ``path``: itself, or its ``current`` model."""
    path = Path(path)
    if (path / METADATA_FILE).exists() or (path / MODEL_FILE).exists():
        return path
    if (path / CURRENT).exists():
        return (path / CURRENT).resolve()
    raise ModelLoadError(f"no trained model in {path}: {RETRAIN} (or set ROLELENS_MODEL_DIR)")


def read_metadata(folder: str | Path) -> dict[str, Any]:
    """The metadata of a model folder, checked for our format."""
    meta_path = resolve(folder) / METADATA_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise ModelLoadError(
            f"{meta_path} is missing: this folder was not written by RoleLens training; {RETRAIN}"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelLoadError(f"{meta_path} is not valid JSON: {RETRAIN}") from None
    if not isinstance(meta, dict) or not str(meta.get("format", "")).startswith(FORMAT.split("/")[0] + "/"):
        raise ModelLoadError(f"{meta_path} is not RoleLens model metadata ({FORMAT}): {RETRAIN}")
    if meta["format"] != FORMAT:
        raise ModelLoadError(
            f"{meta_path} is a model of format {meta['format']}; this RoleLens reads {FORMAT}: {RETRAIN}"
        )
    return meta


def check_model(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """Check a model folder without unpickling it; return the folder and its metadata.

    Raises ModelLoadError when the metadata is not ours, the file's bytes differ from
    the recorded sha256, or the library versions differ from those that wrote it.
    """
    folder = resolve(path)
    meta = read_metadata(folder)
    model_path = folder / MODEL_FILE
    if not model_path.exists():
        raise ModelLoadError(f"{model_path} is missing: {RETRAIN}")
    if file_sha256(model_path) != meta.get("model_sha256"):
        raise ModelLoadError(
            f"{model_path} does not match the sha256 in {folder / METADATA_FILE}: the file was "
            f"changed or damaged after training; {RETRAIN} or restore the file"
        )
    now, then = runtime_versions(), meta.get("versions", {})
    for lib in ("python", "scikit_learn", "numpy", "spacy"):
        if _release(now[lib], lib) != _release(then.get(lib, "?"), lib):
            raise ModelLoadError(
                f"{model_path} was written with {lib} {then.get(lib, '?')} but this environment has "
                f"{now[lib]}: {RETRAIN} in this environment, or install {lib}=={then.get(lib, '?')}"
            )
    return folder, meta


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a model folder (or the current model of a models folder) after ``check_model``.

    Returns the model and its metadata.
    """
    import joblib

    from classifier.model import RoleClassifier

    folder, meta = check_model(path)
    model = joblib.load(folder / MODEL_FILE)
    if not isinstance(model, RoleClassifier):
        raise ModelLoadError(f"{folder / MODEL_FILE} does not hold a RoleClassifier: {RETRAIN}")
    return model, meta


def _release(version: str, lib: str) -> str:
    # Pickles are portable across patch releases of Python, not across minor ones;
    # scikit-learn and numpy only promise the exact version.
    return ".".join(version.split(".")[:2]) if lib in ("python", "spacy") else version
