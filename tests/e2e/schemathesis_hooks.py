"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS by tests/e2e/test_contract.py).

JSON Schema's ``integer`` is a value, so 1.0 is one, but the service refuses ``"id": 1.0`` by
design (it would come back as 1; issue 14, item 7) and no schema can say "written without a
fraction". Generated batch ids like 1.0 are sent as 1, which the contract and the service agree on.

A multipart file part is bytes: a "file" generated as a number or a boolean (to break the
schema) goes on the wire as its digits or the word, a valid text file, so such cases are not
sent; every other generated upload is.
"""

from __future__ import annotations

from typing import Any

import schemathesis


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    """Send whole-number float ids of batch items as integers; leave everything else as generated."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        for item in body["items"]:
            if isinstance(item, dict) and "id" in item:
                item["id"] = _whole(item["id"])
    return body


@schemathesis.hook
def filter_body(context: Any, body: Any) -> bool:
    """Leave out uploads whose file is not text or bytes: on the wire it would be a valid file."""
    return not (isinstance(body, dict) and "file" in body and not isinstance(body["file"], str | bytes))
