"""Saving and loading models as folders of JSON and numeric arrays: loading never runs code.

A model folder ``models/<version>/`` holds

- ``model.json``: the estimator's configuration (parameters, lexicon entries, labels,
  vocabularies), as ``RoleClassifier.get_state`` gives it;
- one ``<name>.npy`` per numeric array (idf, coefficients), read with ``allow_pickle=False``;
- ``metadata.json``: format, version, provenance, scores, and the sha256 of every other file;
- ``lexicon_candidates.jsonl`` after self-training (for people to review; hashed, never read
  here) and ``eval/`` once ``rolelens eval`` has written reports there (never read here).

Nothing is unpickled or evaluated, so whatever the files hold, reading them cannot run code;
the hashes only detect damage. Each file is read once, links, FIFOs and devices refused
before it is opened, and the bytes whose sha256 was checked are the bytes parsed. A models
folder's ``current`` model must lie inside that folder. Anything else is refused with a
message that names the file and says what to do.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import os
import platform
import re
import shutil
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = "rolelens-model/3"
STATE_FILE = "model.json"
METADATA_FILE = "metadata.json"
ARRAY_SUFFIX = ".npy"
NOTE_SUFFIX = ".jsonl"  # notes for people, such as lexicon candidates: hashed, never parsed
EVAL_DIR = "eval"  # reports `rolelens eval` writes into the model folder after training
CURRENT = "current"
RETRAIN = "retrain with `make train`"
_ARRAY_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")
_NOTE_NAME = re.compile(r"[a-z][a-z0-9_]*\.jsonl")


class ModelLoadError(RuntimeError):
    """A model folder cannot be used; the message names the file and the fix."""


def runtime_versions() -> dict[str, str]:
    """Versions of the libraries a model was trained with (from package metadata: nothing is imported)."""
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "scikit_learn": version("scikit-learn"),
        "numpy": version("numpy"),
        "spacy": version("spacy"),
        "spacy_lookups_data": version("spacy-lookups-data"),
    }


def save_model(
    model: Any,
    models_dir: str | Path,
    metadata: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    make_current: bool = True,
    reuse: bool = False,
) -> Path:
    """Write ``model`` to a new folder ``models_dir/<version>`` and, unless ``make_current`` is false, make it current.

    ``model`` is anything with ``get_state()`` (a fitted ``RoleClassifier``); ``notes``
    maps a ``<name>.jsonl`` file name to text written beside it. The folder appears whole
    or not at all: it is written under a temporary name, renamed, and only then does the
    ``current`` link switch to it. With ``reuse``, a folder already holding these very
    files is returned instead of a new one, so that the same model keeps one version.
    """
    files = _state_files(*model.get_state())
    for name, text in (notes or {}).items():
        if not _NOTE_NAME.fullmatch(name) or name in files:
            raise ValueError(f"a note's file name must be <name>{NOTE_SUFFIX} in lower case, got {name!r}")
        files[name] = text.encode("utf-8")
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    models_dir = Path(models_dir)
    if reuse:
        same = _folder_with(models_dir, _identity(hashes))
        if same is not None:
            if make_current:
                set_current(models_dir, same.name)
            return same
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=models_dir))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        sha = _identity(hashes)
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
            "files": hashes,
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
    if make_current:
        set_current(models_dir, version)
    return final


def _folder_with(models_dir: Path, sha: str) -> Path | None:
    """A model folder of ``models_dir`` whose files are those of ``sha``, checked, or None."""
    for meta_path in sorted(models_dir.glob(f"*/{METADATA_FILE}")):
        try:
            if json.loads(meta_path.read_text()).get("model_sha256") == sha:
                return check_model(meta_path.parent)[0]
        except (OSError, ValueError, ModelLoadError):
            continue
    return None


def _state_files(config: dict[str, Any], arrays: dict[str, Any]) -> dict[str, bytes]:
    """The files of a model's state: its configuration as JSON, each array as ``.npy``."""
    import numpy as np

    files = {STATE_FILE: json.dumps(config, allow_nan=False, ensure_ascii=False).encode("utf-8")}
    for name, array in arrays.items():
        if not _ARRAY_NAME.fullmatch(name):
            raise ValueError(f"array name {name!r} is not lower-case words joined by dots")
        out = io.BytesIO()
        np.lib.format.write_array(out, np.ascontiguousarray(array), allow_pickle=False)
        files[name + ARRAY_SUFFIX] = out.getvalue()
    return files


def _identity(hashes: dict[str, str]) -> str:
    """One sha256 for the model: of its files' names and hashes, as ``sha256sum`` lists them."""
    listing = "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes))
    return hashlib.sha256(listing.encode()).hexdigest()


def set_current(models_dir: Path, version: str) -> None:
    """Point ``models_dir/current`` at ``version`` in one atomic rename."""
    link = models_dir / f".{CURRENT}-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(version)
    os.replace(link, models_dir / CURRENT)


def resolve(path: str | Path) -> Path:
    """The model folder meant by ``path``: itself, or the ``current`` model of a models folder.

    A folder holding ``metadata.json`` was named on purpose and is used as it is. A models
    folder's ``current`` must lead to a folder inside it: a link pointing elsewhere (a
    temporary folder, another user's files) is refused.
    """
    path = Path(path)
    if os.path.lexists(path / METADATA_FILE) or os.path.lexists(path / STATE_FILE):
        return path
    link = path / CURRENT
    if not os.path.lexists(link):
        raise ModelLoadError(f"no trained model in {path}: {RETRAIN} (or set ROLELENS_MODEL_DIR)")
    root, target = path.resolve(), link.resolve()
    if target == root or not target.is_relative_to(root):
        raise ModelLoadError(
            f"{link} points to {target}, outside {root}: a model is loaded only from the models folder it is "
            f"configured with. {RETRAIN[0].upper()}{RETRAIN[1:]} to write one there, or, if you trust that model, "
            "name its folder itself (ROLELENS_MODEL_DIR, --model-dir or --model)"
        )
    if not target.is_dir():
        raise ModelLoadError(f"{link} points to {target}, which is not a model folder: {RETRAIN}")
    return target


def read_metadata(folder: str | Path, any_format: bool = False) -> dict[str, Any]:
    """The metadata of a model folder (or of a models folder's current model), checked for our format.

    ``any_format=True`` accepts any JSON object, whatever its format (to read what an older
    model learned from); it is never enough to load that model.
    """
    meta_path = resolve(folder) / METADATA_FILE
    if not os.path.lexists(meta_path):
        raise ModelLoadError(f"{meta_path} is missing: this folder was not written by RoleLens training; {RETRAIN}")
    try:
        meta = json.loads(_read_file(meta_path))
    except (ValueError, RecursionError):  # JSON and UTF-8 errors are ValueErrors
        raise ModelLoadError(f"{meta_path} is not valid JSON: {RETRAIN}") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{meta_path} is not RoleLens model metadata ({FORMAT}): {RETRAIN}")
    if any_format:
        return meta
    if not str(meta.get("format", "")).startswith(FORMAT.split("/")[0] + "/"):
        raise ModelLoadError(f"{meta_path} is not RoleLens model metadata ({FORMAT}): {RETRAIN}")
    if meta["format"] != FORMAT:
        raise ModelLoadError(
            f"{meta_path} is a model of format {meta['format']}; this RoleLens reads {FORMAT} "
            f"(JSON and arrays, no pickle): {RETRAIN}"
        )
    return meta


def check_model(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """Check a model folder without building the model; return the folder and its metadata.

    Every file is read and parsed as loading would, so a folder that passes can be loaded;
    scikit-learn and spaCy are not imported.

    Raises
    ------
    ModelLoadError
        When ``current`` leads outside the models folder, the metadata is not ours, a file is
        missing, unexpected, not a regular file or differs from its recorded sha256, or the
        text-analysis libraries differ from those the model was trained with.
    """
    folder, meta, _, _ = _read_model(path)
    return folder, meta


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a model folder (or the current model of a models folder) after the checks of ``check_model``.

    Returns the model and its metadata.
    """
    from classifier.model import RoleClassifier

    folder, meta, config, arrays = _read_model(path)
    try:
        model = RoleClassifier.from_state(config, arrays)
    except ValueError as err:
        raise ModelLoadError(f"{folder / STATE_FILE} does not describe a usable model ({err}): {RETRAIN}") from None
    if [str(c) for c in model.classes_] != meta.get("labels"):
        raise ModelLoadError(f"{folder / STATE_FILE} and {folder / METADATA_FILE} name other labels: {RETRAIN}")
    return model, meta


def _read_model(path: str | Path) -> tuple[Path, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The checked folder, its metadata, and the model's configuration and arrays, parsed."""
    folder = resolve(path)
    meta = read_metadata(folder)
    listed = meta.get("files")
    if not isinstance(listed, dict) or STATE_FILE not in listed:
        raise ModelLoadError(f"{folder / METADATA_FILE} does not list the model's files: {RETRAIN}")
    for name in listed:
        if not (name == STATE_FILE or _NOTE_NAME.fullmatch(name) or _is_array_file(name)):
            raise ModelLoadError(
                f"{folder / METADATA_FILE} lists {name!r}, which is not a file of a RoleLens model: {RETRAIN}"
            )
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name in listed or entry.name == METADATA_FILE:
                continue
            if entry.name == EVAL_DIR and entry.is_dir(follow_symlinks=False):
                continue
            raise ModelLoadError(
                f"{folder / entry.name} is not one of the files training wrote (those listed in "
                f"{METADATA_FILE}): remove it, or {RETRAIN}"
            )
    contents = {}
    for name, expected in listed.items():
        data = _read_file(folder / name)
        if hashlib.sha256(data).hexdigest() != expected:
            raise ModelLoadError(
                f"{folder / name} does not match the sha256 in {folder / METADATA_FILE}: the file was "
                f"changed or damaged after training; {RETRAIN} or restore the file"
            )
        contents[name] = data
    if meta.get("model_sha256") != _identity(listed):
        raise ModelLoadError(f"{folder / METADATA_FILE} was changed after training (model_sha256): {RETRAIN}")
    _check_versions(folder, meta)
    try:
        config = json.loads(contents[STATE_FILE])
    except (ValueError, RecursionError):
        raise ModelLoadError(f"{folder / STATE_FILE} is not valid JSON: {RETRAIN}") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{folder / STATE_FILE} is not a model's configuration: {RETRAIN}")
    arrays = {
        name.removesuffix(ARRAY_SUFFIX): _array(folder / name, data)
        for name, data in contents.items()
        if _is_array_file(name)
    }
    return folder, meta, config, arrays


def _is_array_file(name: str) -> bool:
    return name.endswith(ARRAY_SUFFIX) and bool(_ARRAY_NAME.fullmatch(name.removesuffix(ARRAY_SUFFIX)))


def _array(path: Path, data: bytes):
    """A numeric array from ``.npy`` bytes: the header read as data, then exactly the bytes it announces.

    Pickled objects, structured types and sizes that disagree with the bytes are refused before
    anything is allocated (``np.load`` would first allocate whatever shape a header claims).
    """
    import numpy as np

    fmt = np.lib.format
    buf = io.BytesIO(data)
    try:
        version = fmt.read_magic(buf)
        header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}[version]
        shape, fortran, dtype = header(buf)
    except (ValueError, KeyError, OSError, EOFError, SyntaxError, TypeError):
        dtype = None
    if dtype is None or dtype.kind not in "biuf" or len(data) - buf.tell() != dtype.itemsize * math.prod(shape):
        raise ModelLoadError(f"{path} is not an array of numbers (.npy): {RETRAIN}")
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=buf.tell())
    return flat.reshape(shape, order="F" if fortran else "C").copy()


def _read_file(path: Path) -> bytes:
    """The bytes of a regular file. Links, FIFOs, devices and folders are refused before opening,
    so that none can block the reader or lead it out of the model folder."""
    try:
        kind = os.lstat(path).st_mode
    except FileNotFoundError:
        raise ModelLoadError(f"{path} is missing: {RETRAIN}") from None
    if not stat.S_ISREG(kind):
        raise ModelLoadError(
            f"{path} is {_kind(kind)}, not a regular file: a model folder holds only the files training "
            f"wrote; {RETRAIN}"
        )
    try:
        # Replaced between lstat and open, it still neither follows a link nor waits on a FIFO.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ModelLoadError(f"{path} is not a regular file: {RETRAIN}")
            return f.read()
    except OSError as err:
        raise ModelLoadError(f"{path} cannot be read ({err.strerror}): check its permissions, or {RETRAIN}") from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO")):
        if test(mode):
            return name
    return "a device or socket"


def _check_versions(folder: Path, meta: dict[str, Any]) -> None:
    # Loading reads plain data, so the Python, scikit-learn and numpy versions no longer matter.
    # The features do: spaCy's stop words and the lemma tables of spacy-lookups-data decide which
    # n-grams a text yields, and another release could silently miss the vocabulary the model
    # learned. Stop words change only in minor spaCy releases; any data release may change lemmas.
    now, then = runtime_versions(), meta.get("versions", {})
    for lib in ("spacy", "spacy_lookups_data"):
        ours, theirs = now[lib], str(then.get(lib, "?"))
        if lib == "spacy":
            ours, theirs = (".".join(v.split(".")[:2]) for v in (ours, theirs))
        if ours != theirs:
            install = lib.replace("_", "-")
            raise ModelLoadError(
                f"{folder} was trained with {lib} {then.get(lib, '?')} but this environment has {now[lib]}: "
                f"{RETRAIN} in this environment, or install {install}=={then.get(lib, '?')}"
            )
