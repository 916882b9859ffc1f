import json
import os

import pytest

from classifier.persist import METADATA_FILE, MODEL_FILE, ModelLoadError, load_model, save_model


def copy_model(models_dir, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree((models_dir / "current").resolve(), target)
    return target


def test_save_makes_a_folder_with_metadata_and_switches_current(models_dir, model, tmp_path):
    """Saving writes model.joblib and metadata.json to a new folder that becomes current."""
    first = save_model(model, tmp_path, {"note": "one"})
    meta = json.loads((first / METADATA_FILE).read_text())
    assert (first / MODEL_FILE).exists()
    assert meta["labels"] == ["data_scientist", "ml_engineer"]
    assert {"python", "scikit_learn", "spacy"} <= set(meta["versions"])
    assert (tmp_path / "current").resolve() == first.resolve()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_changed_bytes_are_refused_naming_file_and_fix(models_dir, tmp_path):
    """A model file whose bytes changed is refused with its path and how to fix it."""
    folder = copy_model(models_dir, tmp_path)
    blob = bytearray((folder / MODEL_FILE).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelLoadError) as err:
        load_model(folder)
    assert str(folder / MODEL_FILE) in str(err.value)
    assert "sha256" in str(err.value) and "make train" in str(err.value)


def test_other_library_version_is_refused(models_dir, tmp_path):
    """A model pickled by another scikit-learn version is refused with the versions named."""
    folder = copy_model(models_dir, tmp_path)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["versions"]["scikit_learn"] = "0.1.0"
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"scikit_learn 0\.1\.0.*make train"):
        load_model(folder)


def test_folder_not_written_by_training_is_refused(tmp_path):
    """A folder without our metadata is refused, not unpickled."""
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="not written by RoleLens training"):
        load_model(tmp_path)


def test_empty_models_dir_says_to_train(tmp_path):
    """Loading from a folder with no model says to run make train."""
    with pytest.raises(ModelLoadError, match="make train"):
        load_model(tmp_path)


def test_loads_current_model_through_link(models_dir):
    """The models folder resolves to its current model."""
    model, meta = load_model(models_dir)
    assert meta["model_version"] == os.readlink(models_dir / "current")
    assert list(model.classes_) == ["data_scientist", "ml_engineer"]


def test_checking_a_model_imports_no_model_library(models_dir):
    """check_model verifies a folder without importing scikit-learn or spaCy (batch parents stay small)."""
    import subprocess
    import sys

    code = (
        "import sys; from classifier.persist import check_model; "
        f"check_model({str(models_dir)!r}); "
        "print(sorted(m for m in ('sklearn', 'spacy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_model_of_an_older_format_says_to_retrain(models_dir, tmp_path):
    """A model folder written in an older format is refused, naming both formats and the fix."""
    folder = copy_model(models_dir, tmp_path)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["format"] = "rolelens-model/1"
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match=r"format rolelens-model/1; this RoleLens reads rolelens-model/2.*train"):
        load_model(folder)


def test_the_same_model_saved_twice_in_a_second_gets_two_folders(model, tmp_path):
    """Saving the same model twice at once keeps both folders, each with its own version, the last current."""
    first, second = save_model(model, tmp_path), save_model(model, tmp_path)
    assert first != second and first.exists() and second.exists()
    assert json.loads((second / METADATA_FILE).read_text())["model_version"] == second.name
    assert (tmp_path / "current").resolve() == second.resolve()
