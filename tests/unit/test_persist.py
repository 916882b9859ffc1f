"""Model folders: JSON and arrays that load into the same model, and every way a folder is refused."""

import io
import json
import os
import pickle
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from classifier.persist import METADATA_FILE, STATE_FILE, ModelLoadError, check_model, load_model, save_model

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def fitted():
    """A seeded model fitted here (with a prior and a temperature), and a copy self-trained with fit_corpus."""
    import copy

    from classifier.lexicon import Lexicon
    from classifier.model import RoleClassifier
    from training.examples import generate_examples, load_roles, load_templates

    lexicon = Lexicon.from_dir(DATA / "lexicon")
    inputs = (load_roles(DATA / "roles.toml"), lexicon, load_templates(DATA / "templates.toml"))
    seed_texts = generate_examples(*inputs, n_per_role=150, seed=0)
    prior = {"ml_engineer": 0.3, "data_scientist": 0.7}
    seeded = RoleClassifier(lexicon=lexicon, class_prior=prior, temperature=1.5)
    seeded.fit([e.text for e in seed_texts], [e.label for e in seed_texts])
    corpus = generate_examples(*inputs, n_per_role=60, seed=7)
    self_trained = copy.deepcopy(seeded).fit_corpus([e.text for e in corpus], [e.label for e in corpus])
    return {"seeded": seeded, "self_trained": self_trained}


def probe_texts(samples):
    """Our sample texts, and texts with no lexicon phrase or no word at all."""
    return [s["text"] for s in samples] + ["Lorem ipsum dolor.", "", "We build pipelines and dashboards."]


def copy_model(models_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree((models_dir / "current").resolve(), target)
    return target


def refused(folder, *words):
    """Loading ``folder`` raises ModelLoadError whose message holds every one of ``words``; returns it."""
    with pytest.raises(ModelLoadError) as err:
        load_model(folder)
    for word in words:
        assert word in str(err.value), (word, str(err.value))
    return str(err.value)


def test_save_writes_json_and_arrays_each_with_its_sha256(fitted, tmp_path):
    """A saved model is JSON plus .npy arrays that read without pickle, every file's sha256 in metadata.json."""
    folder = save_model(fitted["seeded"], tmp_path, {"note": "one"})
    meta = json.loads((folder / METADATA_FILE).read_text())
    assert sorted(p.name for p in folder.iterdir()) == [
        METADATA_FILE,
        STATE_FILE,
        "seeded.coef.npy",
        "seeded.idf.npy",
        "seeded.intercept.npy",
    ]
    assert set(meta["files"]) == {STATE_FILE, "seeded.coef.npy", "seeded.idf.npy", "seeded.intercept.npy"}
    assert meta["format"] == "rolelens-model/3" and meta["note"] == "one"
    assert meta["labels"] == ["data_scientist", "ml_engineer"]
    assert {"python", "scikit_learn", "spacy", "spacy_lookups_data"} <= set(meta["versions"])
    json.loads((folder / STATE_FILE).read_text())
    for name in ("seeded.coef.npy", "seeded.idf.npy"):
        assert np.load(folder / name, allow_pickle=False).dtype.kind == "f"
    assert (tmp_path / "current").resolve() == folder.resolve()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("which", ["seeded", "self_trained"])
def test_round_trip_gives_the_same_probabilities_and_explanations(fitted, samples, tmp_path, which):
    """A loaded model gives the fitted model's probabilities, evidence and top features, seeded or self-trained."""
    model = fitted[which]
    loaded, _ = load_model(save_model(model, tmp_path))
    texts = probe_texts(samples)
    ours, theirs = loaded.predict_proba(texts), model.predict_proba(texts)
    assert ours.dtype == theirs.dtype and np.allclose(ours, theirs, rtol=0, atol=1e-12)
    assert list(loaded.predict(texts)) == list(model.predict(texts))
    for ours, theirs in zip(loaded.explain(texts), model.explain(texts)):
        assert (ours.label, ours.lean, ours.kind, ours.evidence) == (
            theirs.label,
            theirs.lean,
            theirs.kind,
            theirs.evidence,
        )
        assert [f[:2] for f in ours.top_features] == [f[:2] for f in theirs.top_features]
        assert np.allclose([f[2] for f in ours.top_features], [f[2] for f in theirs.top_features], rtol=0, atol=1e-12)
    assert loaded.get_params().keys() == model.get_params().keys()
    assert loaded.class_prior == model.class_prior and loaded.temperature == model.temperature
    if which == "self_trained":
        assert (tmp_path / "current" / "corpus.coef.npy").exists()
        assert {k: loaded.corpus_[k] for k in ("kept", "scale", "weight")} == {
            k: model.corpus_[k] for k in ("kept", "scale", "weight")
        }


def test_the_same_model_saved_twice_in_a_second_gets_two_folders_of_one_identity(model, tmp_path):
    """Saving one model twice at once keeps both folders, the last current, with the same model_sha256."""
    first, second = save_model(model, tmp_path), save_model(model, tmp_path)
    assert first != second and first.exists() and second.exists()
    metas = [json.loads((f / METADATA_FILE).read_text()) for f in (first, second)]
    assert metas[1]["model_version"] == second.name and metas[0]["model_sha256"] == metas[1]["model_sha256"]
    assert (tmp_path / "current").resolve() == second.resolve()


def test_a_scope_model_is_saved_under_its_prefix(fitted, tmp_path):
    """A role model holding a scope model saves the scope's configuration under "scope" and its arrays as scope.*."""
    import copy

    class Scope:
        def get_state(self):
            return {"threshold": 0.5}, {"coef": np.array([1.0, -2.0])}

    model = copy.deepcopy(fitted["seeded"])
    assert "scope" not in model.get_state()[0]
    model.scope_ = Scope()
    config, arrays = model.get_state()
    assert config["scope"] == {"threshold": 0.5} and list(arrays["scope.coef"]) == [1.0, -2.0]
    folder = save_model(model, tmp_path)
    assert np.load(folder / "scope.coef.npy", allow_pickle=False).tolist() == [1.0, -2.0]


def test_the_crafted_payload_runs_code_when_unpickled(tamper, tmp_path):
    """The payload of the refusal tests is live: unpickling it creates its marker (so those tests can fail)."""
    marker, in_npy = tmp_path / "ran", tmp_path / "ran-npy"
    pickle.loads(tamper.payload(marker))
    np.load(io.BytesIO(tamper.npy_payload(in_npy)), allow_pickle=True)
    assert marker.exists() and in_npy.exists()


@pytest.mark.parametrize(
    "name, reason",
    [
        ("seeded.coef.npy", "is not an array of numbers"),
        ("seeded.coef.npy as-npy", "is not an array of numbers"),
        ("seeded.idf.npy", "is not an array of numbers"),
        (STATE_FILE, "is not valid JSON"),
        (METADATA_FILE, "is not valid JSON"),
        ("model.joblib", "not one of the files training wrote"),
        ("model.joblib listed", "is not a file of a RoleLens model"),
    ],
)
def test_a_pickle_in_any_file_is_refused_and_never_run(models_dir, tmp_path, tamper, name, reason):
    """A pickle that would run a command, put in any file with every hash recomputed, is refused and never run."""
    folder, marker = copy_model(models_dir, tmp_path), tmp_path / "ran"
    file, listed = name.split()[0], list(json.loads((folder / METADATA_FILE).read_text())["files"])
    (folder / file).write_bytes(tamper.npy_payload(marker) if "as-npy" in name else tamper.payload(marker))
    if file != METADATA_FILE:
        # An extra model.joblib is left out of the listing, or listed with the others.
        tamper.rehash(folder, listed if name == "model.joblib" else None)
    refused(folder, reason, "make train")
    with pytest.raises(ModelLoadError):
        check_model(folder)
    assert not marker.exists()


def test_a_model_of_an_older_format_is_refused_without_reading_it(models_dir, tmp_path, tamper):
    """A rolelens-model/2 folder (a pickled model.joblib) is refused by its format and its pickle never read."""
    import hashlib

    folder, marker = tmp_path / "old", tmp_path / "ran"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(tamper.payload(marker))
    sha = hashlib.sha256((folder / "model.joblib").read_bytes()).hexdigest()
    meta = {**json.loads((models_dir / "current" / METADATA_FILE).read_text()), "format": "rolelens-model/2"}
    (folder / METADATA_FILE).write_text(json.dumps({**meta, "model_sha256": sha}))
    refused(folder, "format rolelens-model/2; this RoleLens reads rolelens-model/3", "retrain with `make train`")
    assert not marker.exists()


@pytest.mark.parametrize("name", [STATE_FILE, "seeded.coef.npy", "seeded.idf.npy"])
def test_a_flipped_byte_is_refused_naming_the_file_and_the_fix(models_dir, tmp_path, name):
    """A file whose bytes changed is refused with its path, the sha256 and how to fix it."""
    folder = copy_model(models_dir, tmp_path)
    blob = bytearray((folder / name).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (folder / name).write_bytes(bytes(blob))
    refused(folder, str(folder / name), "does not match the sha256", "retrain with `make train`")


def test_a_missing_or_unexpected_file_is_refused(models_dir, tmp_path):
    """A listed file that is gone, or a file training did not write, is refused and named."""
    folder = copy_model(models_dir, tmp_path)
    (folder / "notes.txt").write_text("hello")
    refused(folder, str(folder / "notes.txt"), "not one of the files training wrote", "remove it")
    (folder / "notes.txt").unlink()
    (folder / "seeded.idf.npy").unlink()
    refused(folder, str(folder / "seeded.idf.npy"), "is missing", "make train")


def test_eval_reports_in_the_folder_are_allowed(models_dir, tmp_path):
    """The eval/ folder that `rolelens eval` writes into a model folder does not stop it from loading."""
    folder = copy_model(models_dir, tmp_path)
    (folder / "eval" / "ours").mkdir(parents=True, exist_ok=True)
    (folder / "eval" / "ours" / "report.json").write_text("{}")
    assert load_model(folder)[1]["model_version"]


@pytest.mark.parametrize("name", ["seeded.coef.npy", METADATA_FILE])
def test_a_fifo_in_place_of_a_file_is_refused_without_blocking(models_dir, tmp_path, name):
    """A FIFO in place of a model file is refused at once: opening it would wait for a writer forever."""
    folder = copy_model(models_dir, tmp_path)
    (folder / name).unlink()
    os.mkfifo(folder / name)
    outcome = []

    def load():
        try:
            load_model(folder)
        except ModelLoadError as err:
            outcome.append(str(err))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "loading blocked on the FIFO"
    assert outcome and "is a FIFO, not a regular file" in outcome[0] and str(folder / name) in outcome[0]


def test_a_link_in_place_of_a_file_is_refused(models_dir, tmp_path):
    """A symbolic link in a model folder is refused even when it leads to the very bytes that were hashed."""
    folder = copy_model(models_dir, tmp_path)
    outside = tmp_path / "elsewhere.npy"
    shutil.move(folder / "seeded.coef.npy", outside)
    (folder / "seeded.coef.npy").symlink_to(outside)
    refused(folder, "is a symbolic link, not a regular file")


@pytest.mark.parametrize("relative", [False, True])
def test_current_leading_outside_the_models_folder_is_refused(models_dir, tmp_path, relative):
    """A `current` link out of the models folder is refused with what to do; that folder named itself loads."""
    outside = copy_model(models_dir, tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / "current").symlink_to(os.path.relpath(outside, models) if relative else outside)
    message = refused(models, "outside", "make train", "ROLELENS_MODEL_DIR")
    assert str(outside) in message
    with pytest.raises(ModelLoadError, match="outside"):
        check_model(models)
    assert list(load_model(outside)[0].classes_) == ["data_scientist", "ml_engineer"]


def test_loads_current_model_through_link(models_dir):
    """A models folder resolves to its current model, which lies inside it."""
    model, meta = load_model(models_dir)
    assert meta["model_version"] == os.readlink(models_dir / "current")
    assert list(model.classes_) == ["data_scientist", "ml_engineer"]


def test_other_lemma_tables_are_refused(models_dir, tmp_path):
    """A model trained with another spacy-lookups-data release is refused, naming both versions and the fixes."""
    folder = copy_model(models_dir, tmp_path)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["versions"]["spacy_lookups_data"] = "0.1.0"
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    refused(folder, "spacy_lookups_data 0.1.0", "retrain with `make train`", "spacy-lookups-data==0.1.0")


def test_other_scikit_learn_is_no_reason_to_refuse(models_dir, tmp_path):
    """Loading reads no pickle, so a model trained with another scikit-learn or Python still loads."""
    folder = copy_model(models_dir, tmp_path)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["versions"].update(scikit_learn="0.1.0", python="3.99.0")
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    assert list(load_model(folder)[0].classes_) == ["data_scientist", "ml_engineer"]


def test_arrays_that_do_not_fit_the_vocabulary_are_refused(models_dir, tmp_path, tamper):
    """Well-formed files that do not describe one model (too few weights) are refused, with the fix."""
    folder = copy_model(models_dir, tmp_path)
    np.save(folder / "seeded.coef.npy", np.zeros(3))
    tamper.rehash(folder)
    refused(folder, "does not describe a usable model", "expected", "make train")


def test_a_scope_intercept_of_the_wrong_size_is_refused(models_dir, tmp_path, tamper):
    """A scope intercept that does not hold one number per scope is refused at load, not a 500 per request."""
    folder = copy_model(models_dir, tmp_path)
    np.save(folder / "scope.intercept.npy", np.zeros(2))
    tamper.rehash(folder)
    refused(folder, "does not describe a usable model", "make train")


@pytest.mark.parametrize(
    "key, value",
    [
        ("estimator", "Pipeline"),
        ("classes", ["data_scientist"]),
        ("lexicon", [{"pattern": "", "label": "ml_engineer"}]),
        ("params.moderate_at", 3),
        ("scope", {"bogus": 1}),
        # Scope parts that loaded, then failed every request (500) or answered wrongly.
        ("scope.classes", ["x", "y", "z"]),
        ("scope.feature_names", ["a"]),
        ("scope.params.top_k", "x"),
        ("scope.params.in_at", 5),
        ("scope.params.ngram_range", [3, 1]),
        ("seeded", None),
    ],
)
def test_model_json_that_does_not_describe_a_model_is_refused(models_dir, tmp_path, tamper, key, value):
    """A model.json with the wrong estimator, labels, lexicon, parameters or parts is refused, never half-loaded."""
    folder = copy_model(models_dir, tmp_path)
    config = json.loads((folder / STATE_FILE).read_text())
    *parents, last = key.split(".")
    target = config
    for k in parents:
        target = target[k]
    target[last] = value
    (folder / STATE_FILE).write_text(json.dumps(config))
    tamper.rehash(folder)
    refused(folder, str(folder / STATE_FILE), "does not describe a usable model", "make train")


def test_an_array_header_claiming_more_than_the_file_holds_is_refused(models_dir, tmp_path, tamper):
    """An .npy whose header announces a huge shape is refused from its size, before anything is allocated."""
    folder = copy_model(models_dir, tmp_path)
    coef, out = np.load(folder / "seeded.coef.npy"), io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(coef.dtype), "fortran_order": False, "shape": (10**13,)}
    np.lib.format.write_array_header_1_0(out, header)
    (folder / "seeded.coef.npy").write_bytes(out.getvalue() + coef.tobytes())
    tamper.rehash(folder)
    refused(folder, "seeded.coef.npy is not an array of numbers", "make train")


def test_a_changed_model_sha256_is_refused(models_dir, tmp_path):
    """Metadata whose model_sha256 no longer sums up the files is refused."""
    folder = copy_model(models_dir, tmp_path)
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["model_sha256"] = "0" * 64
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    refused(folder, "model_sha256", "make train")


def test_folder_not_written_by_training_is_refused(tmp_path):
    """A folder with a model file but no metadata is refused as not written by our training."""
    (tmp_path / STATE_FILE).write_text("{}")
    refused(tmp_path, "not written by RoleLens training", "make train")


def test_empty_models_dir_says_to_train(tmp_path):
    """Loading from a folder with no model says to run make train."""
    refused(tmp_path, "no trained model", "make train")


def test_checking_a_model_imports_no_model_library(models_dir):
    """check_model verifies a folder without importing scikit-learn or spaCy (batch parents stay small)."""
    import subprocess
    import sys

    code = (
        "import sys; from classifier.persist import check_model; "
        f"check_model({str(models_dir)!r}); "
        "print(sorted(m for m in ('sklearn', 'spacy', 'joblib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_readme_names_every_file_of_a_model_folder(models_dir):
    """The README's table of the model folder names each file training writes (a file it lacks looks foreign)."""
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### The model folder") :].split("\n\n**")[0]
    # Folders (eval/, which other tests' evaluations write) are named with a slash.
    files = sorted(p.name + "/" * p.is_dir() for p in (models_dir / "current").resolve().iterdir())
    assert [name for name in files if f"`{name}`" not in table] == []
