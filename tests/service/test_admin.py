"""POST /admin/reload: guarded by a token, swaps in the newest model, refuses a bad one."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

TOKEN = "s3cret-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(fresh_models):
    """A client of an app serving its own copy of the models folder, with an admin token."""
    with TestClient(create_app(Settings(model_dir=fresh_models, admin_token=TOKEN))) as client:
        yield client


def test_disabled_without_a_token(models_dir, assert_error):
    """With no ROLELENS_ADMIN_TOKEN (or an empty one) reload is refused and says how to enable it."""
    for token in (None, "  "):
        with TestClient(create_app(Settings(model_dir=models_dir, admin_token=token))) as client:
            r = client.post("/admin/reload", headers={"authorization": "Bearer  "})
            assert_error(r, 403, "admin_disabled", "ROLELENS_ADMIN_TOKEN")


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_wrong_or_missing_token_is_401_without_detail(admin, assert_error, header):
    """A missing, malformed or wrong token all get the same 401, which says nothing about why."""
    r = admin.post("/admin/reload", headers={"authorization": header} if header else {})
    error = assert_error(r, 401, "unauthorized")
    assert error["message"] == "a valid bearer token is required" and r.headers["www-authenticate"] == "Bearer"


def test_reload_swaps_in_the_newest_model(admin, fresh_models, other_model, drop_model, samples):
    """After a new model is trained into the folder, reload serves it; requests then report its version."""
    old = admin.get("/model").json()["model_version"]
    assert admin.post("/admin/reload", headers=AUTH).json() == {
        "swapped": False,
        "previous_version": old,
        "model_version": old,
    }
    drop_model(fresh_models, other_model, "newer")
    new = json.loads((other_model / "metadata.json").read_text())["model_version"]
    assert admin.post("/admin/reload", headers=AUTH).json() == {
        "swapped": True,
        "previous_version": old,
        "model_version": new,
    }
    assert admin.post("/classify", json={"text": samples[0]["text"]}).json()["model_version"] == new
    assert (
        admin.get("/model").json()["model_sha256"]
        == json.loads((other_model / "metadata.json").read_text())["model_sha256"]
    )
    assert f'rolelens_model_info{{version="{new}"}} 1.0' in admin.get("/metrics").text
    assert f'version="{old}"' not in admin.get("/metrics").text


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("bytes", "does not match the sha256"),
        ("versions", "was trained with spacy_lookups_data 0.0.1"),
    ],
)
def test_bad_model_is_refused_and_old_keeps_serving(
    admin, fresh_models, models_dir, drop_model, assert_error, samples, damage, reason
):
    """A damaged or mismatched newest model is refused with the reason; the old model keeps answering."""
    old = admin.get("/model").json()["model_version"]
    drop_model(fresh_models, models_dir / "current", "broken", damage)
    r = admin.post("/admin/reload", headers=AUTH)
    assert_error(r, 409, "model_refused", f"{old} keeps serving", reason, "make train")
    answer = admin.post("/classify", json={"text": samples[0]["text"]}).json()
    assert answer["model_version"] == old and answer["label"] == samples[0]["label"]
    assert 'rolelens_model_reloads_total{outcome="refused"} 1.0' in admin.get("/metrics").text


def test_a_pickle_payload_is_refused_never_run_and_old_keeps_serving(
    admin, fresh_models, models_dir, drop_model, assert_error, samples, tmp_path
):
    """A newest model whose array file is a pickle that would run a command (hashes recomputed) gets a 409."""
    old = admin.get("/model").json()["model_version"]
    marker = tmp_path / "ran"
    drop_model(fresh_models, models_dir / "current", "crafted", marker)
    r = admin.post("/admin/reload", headers=AUTH)
    assert_error(r, 409, "model_refused", f"{old} keeps serving", "is not an array of numbers", "make train")
    assert not marker.exists()
    assert admin.post("/classify", json={"text": samples[0]["text"]}).json()["model_version"] == old


def test_current_leading_outside_the_models_folder_is_refused(admin, fresh_models, models_dir, assert_error, tmp_path):
    """A `current` link to a model outside the configured folder is refused on reload (409) and at start-up."""
    import shutil

    from classifier.persist import ModelLoadError

    old = admin.get("/model").json()["model_version"]
    outside = tmp_path / "elsewhere"
    shutil.copytree((models_dir / "current").resolve(), outside)
    (fresh_models / "current").unlink()
    (fresh_models / "current").symlink_to(outside)
    r = admin.post("/admin/reload", headers=AUTH)
    assert_error(r, 409, "model_refused", f"{old} keeps serving", "outside", "ROLELENS_MODEL_DIR")
    with pytest.raises(ModelLoadError, match="outside"):
        with TestClient(create_app(Settings(model_dir=fresh_models))):
            pass
    with TestClient(create_app(Settings(model_dir=outside))) as named:  # that folder, named itself, is served
        assert named.get("/model").json()["model_version"] == old
