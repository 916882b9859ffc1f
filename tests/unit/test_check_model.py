"""`rolelens check-model`, the commands that load a model, and `make train` noticing a damaged model."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rolelens.cli import main

ROOT = Path(__file__).resolve().parents[2]


def damaged_models(models_dir, tmp_path) -> Path:
    """A models folder whose current model has a flipped byte in its coefficients."""
    models = tmp_path / "models"
    shutil.copytree(models_dir, models, symlinks=True)
    coef = (models / "current").resolve() / "seeded.coef.npy"
    blob = bytearray(coef.read_bytes())
    blob[-1] ^= 0xFF
    coef.write_bytes(bytes(blob))
    return models


def escaping_models(models_dir, tmp_path) -> Path:
    """A models folder whose `current` leads to a model outside it."""
    outside, models = tmp_path / "elsewhere", tmp_path / "models"
    shutil.copytree((models_dir / "current").resolve(), outside)
    models.mkdir()
    (models / "current").symlink_to(outside)
    return models


def test_check_model_passes_an_intact_model(models_dir, capsys):
    """check-model exits 0 on a good model and names it; --quiet prints nothing."""
    assert main(["check-model", str(models_dir)]) == 0
    assert os.readlink(models_dir / "current") in capsys.readouterr().out
    assert main(["check-model", "--quiet", str(models_dir)]) == 0
    assert main(["check-model", "--quiet", "--model-dir", str(models_dir)]) == 0


def test_check_model_takes_one_folder_only(models_dir, tmp_path, capsys):
    """A folder given both as the argument and with --model-dir, differently, is refused with status 2."""
    assert main(["check-model", str(models_dir), "--model-dir", str(tmp_path)]) == 2
    assert "name the model folder once" in capsys.readouterr().err
    assert capsys.readouterr() == ("", "")


def test_check_model_names_the_damaged_file_and_the_fix(models_dir, tmp_path, capsys):
    """check-model exits 2 on a damaged model, naming the file and `make train`."""
    models = damaged_models(models_dir, tmp_path)
    assert main(["check-model", str(models)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "seeded.coef.npy" in err and "retrain with `make train`" in err


@pytest.mark.parametrize(
    "command",
    [
        ["classify", "We deploy models.", "--model-dir"],
        ["label", "IN", "-o", "OUT", "--text-column", "text", "--model-dir"],
        ["label", "IN", "-o", "OUT", "--text-column", "text", "--engine", "dask", "--model-dir"],
        ["eval", "IN", "--model"],
    ],
    ids=["classify", "label", "label-dask", "eval"],
)
def test_commands_refuse_a_current_link_out_of_the_models_folder(models_dir, tmp_path, capsys, command):
    """classify, label (both engines) and eval refuse a `current` outside the models folder: exit 2, what to do."""
    models = escaping_models(models_dir, tmp_path)
    given = tmp_path / "in.csv"
    given.write_text("text,label\nWe deploy models on Kubernetes.,ml_engineer\n")
    args = [{"IN": str(given), "OUT": str(tmp_path / "out.csv")}.get(a, a) for a in command]
    assert main([*args, str(models)]) == 2
    err = capsys.readouterr().err
    assert "outside" in err and "make train" in err and "--model" in err
    assert not (tmp_path / "out.csv").exists()


def make_train_dry_run(models: Path, tmp_path: Path, **env: str) -> str:
    """What `make -n train` would run in a copy of the Makefile whose models folder is ``models``."""
    work = tmp_path / "checkout"
    work.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, work / name)
    venv = Path(sys.executable).parent.parent
    done = subprocess.run(
        ["make", "-n", "train", f"MODELS={models}", f"VENV={venv}"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_train_retrains_a_damaged_model(models_dir, tmp_path):
    """`make train` with nothing changed retrains when the current model is damaged, and says why."""
    models = tmp_path / "intact"
    shutil.copytree(models_dir, models, symlinks=True)
    # The check's exit status decides: Python's import trace on stderr is no reason to retrain.
    assert "rolelens train" not in make_train_dry_run(models, tmp_path / "a", PYTHONVERBOSE="1")
    planned = make_train_dry_run(damaged_models(models_dir, tmp_path), tmp_path / "b")
    assert "retraining: the current model cannot be used" in planned and "seeded.coef.npy" in planned
    assert "rolelens train" in planned


def test_make_train_takes_unlabelled_spelt_as_the_readme_spells_it(models_dir, tmp_path):
    """`make train UNLABELLED=corpus.csv` self-trains on the corpus instead of ignoring the variable."""
    models = tmp_path / "intact"
    shutil.copytree(models_dir, models, symlinks=True)
    planned = make_train_dry_run(models, tmp_path / "a", UNLABELLED="corpus.csv")
    assert '--unlabeled "corpus.csv"' in planned


def test_make_eval_that_retrains_scores_data_by_its_own_columns(models_dir, tmp_path):
    """The training `make eval DATA=... TEXT_COL=body LABEL_COL=role` may run first scores DATA by those columns."""
    planned = make_train_dry_run(
        models_dir, tmp_path / "a", FORCE="1", DATA="mine.csv", TEXT_COL="body", LABEL_COL="role"
    )
    assert '--eval "mine.csv" --eval-label-column "role" --eval-text-column "body"' in planned
    # With a corpus, TEXT_COL names the corpus's column, not the evaluation data's.
    planned = make_train_dry_run(
        models_dir, tmp_path / "b", FORCE="1", DATA="mine.csv", UNLABELED="c.csv", TEXT_COL="body"
    )
    assert '--eval "mine.csv" --eval-label-column "label"' in planned and "--eval-text-column" not in planned
    assert '--unlabeled "c.csv" --text-column "body"' in planned
