"""Fixtures of the service tests: apps with small limits, run through TestClient."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

TOKEN = "test-admin-token"

# Small limits so that every limit can be crossed cheaply.
LIMITS = dict(
    max_text_chars=5000,
    max_batch_items=4,
    max_body_bytes=96 * 1024,
    max_file_bytes=48 * 1024,
    max_file_pages=3,
    max_unzipped_bytes=2 * 1024 * 1024,
    max_zip_ratio=50,
)


@pytest.fixture(scope="module")
def api(models_dir):
    """A client of an app with small limits and an admin token."""
    with TestClient(create_app(Settings(model_dir=models_dir, admin_token=TOKEN, **LIMITS))) as client:
        yield client


def _assert_error(response, status: int, code: str, *words: str) -> dict:
    """The response is the one error shape with this status and code, naming ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "request_id", "details"}
    assert error["status"] == status and error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    for word in words:
        assert word in error["message"], (word, error["message"])
    return error


@pytest.fixture(scope="session")
def assert_error():
    """Check that a response is the one error shape with a status, a code and words of its message."""
    return _assert_error
