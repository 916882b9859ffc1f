"""The model being served, and swapping in a newer one without dropping a request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.concurrency import run_in_threadpool

from classifier.model import RoleClassifier
from classifier.persist import load_model


@dataclass(frozen=True)
class LoadedModel:
    """A model and the metadata it was saved with."""

    model: RoleClassifier
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.metadata.get("model_version", "unknown"))

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_]


def load_ready(model_dir: Path) -> LoadedModel:
    """Load and check a model, then build its evidence pipeline so no request pays for it."""
    model, metadata = load_model(model_dir)
    model.explain(["warm-up"])
    return LoadedModel(model, metadata)


@dataclass(frozen=True)
class Reload:
    """What a reload did: swapped in a new version, or found it already serving."""

    swapped: bool
    previous_version: str
    model_version: str


class ModelSlot:
    """Holds the served model; a reload replaces it in one reference assignment.

    A request takes ``slot.current`` once, when it starts, and uses that object to the
    end, so requests in flight during a swap finish on the model they began with.
    """

    def __init__(self, loaded: LoadedModel):
        self.current = loaded
        self._lock = asyncio.Lock()

    async def reload(self, model_dir: Path) -> Reload:
        """Load the newest model from ``model_dir`` and swap it in.

        Raises whatever loading raised (``ModelLoadError`` for a damaged or mismatched
        model); the current model then stays in place.
        """
        async with self._lock:  # one reload at a time; requests are never blocked by it
            old = self.current
            new = await run_in_threadpool(load_ready, model_dir)
            if new.metadata.get("model_sha256") == old.metadata.get("model_sha256"):
                return Reload(False, old.version, old.version)
            self.current = new
            return Reload(True, old.version, new.version)
