"""The model being served, and swapping in a newer one without dropping a request."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.model import RoleClassifier
from classifier.persist import load_model

log = logging.getLogger("rolelens")


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

    def __init__(self, loaded: LoadedModel, notices: Path | None = None):
        self.current = loaded
        self._lock = asyncio.Lock()
        # With several server processes: a file each reload touches, which the others follow.
        self.notices = notices
        self._seen = _mtime(notices)  # the last notice this process acted on (or wrote)

    async def reload(self, model_dir: Path, timeout: float | None = None, announce: bool = True) -> Reload:
        """Load the newest model from ``model_dir`` and swap it in.

        Raises whatever loading raised (``ModelLoadError`` for a damaged or mismatched
        model), or ``TimeoutError`` after ``timeout`` seconds; the current model then stays.
        """
        async with self._lock:  # one reload at a time; requests are never blocked by it
            old = self.current
            try:
                new = await asyncio.wait_for(_in_own_thread(load_ready, model_dir), timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"loading took over {timeout:g} s (ROLELENS_RELOAD_TIMEOUT_SECONDS); is a model file on a "
                    "stalled disk, or not a regular file (a FIFO)? Fix it, then reload again"
                ) from None
            if announce and self.notices is not None:
                self.notices.write_text(new.version)  # its new mtime tells the other processes
                self._seen = _mtime(self.notices)
            if new.metadata.get("model_sha256") == old.metadata.get("model_sha256"):
                return Reload(False, old.version, old.version)
            self.current = new
            return Reload(True, old.version, new.version)

    async def follow(self, model_dir: Path, timeout: float, on_swap: Callable[[str], None], every: float = 0.5) -> None:
        """Reload whenever another process announces a reload; runs until cancelled.

        A reload another process made succeeded there, so it is expected to succeed here;
        if it does not, this process keeps its model and logs why.
        """
        while True:
            await asyncio.sleep(every)
            stamp = _mtime(self.notices)
            if stamp == self._seen:
                continue
            self._seen = stamp
            try:
                done = await self.reload(model_dir, timeout, announce=False)
            except Exception as err:  # noqa: BLE001 - keep serving the model we have
                log.warning("reload announced by another worker refused here", extra={"reason": str(err)})
                continue
            if done.swapped:
                on_swap(done.model_version)
                log.info("model reloaded", extra={"model_version": done.model_version, "announced": True})


def _mtime(path: Path | None) -> int | None:
    try:
        return path.stat().st_mtime_ns if path else None
    except FileNotFoundError:
        return None


def _in_own_thread(fn: Callable[..., Any], *args: Any) -> asyncio.Future:
    """Run ``fn`` in a daemon thread of its own: a load that never returns (a FIFO opened for
    reading) then holds neither a shared pool's thread nor the reload lock once it times out."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if not future.done():
            future.set_exception(error) if error else future.set_result(result)

    def run() -> None:
        try:
            result, error = fn(*args), None
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting coroutine
            result, error = None, err
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the server stopped while this load was stuck
            pass

    threading.Thread(target=run, name="rolelens-reload", daemon=True).start()
    return future
