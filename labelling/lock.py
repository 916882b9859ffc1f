"""One job per output: an exclusive lock beside the output, held while the job writes.

Two jobs writing the same output would delete each other's ``OUTPUT.partial`` and rename
each other's data into place. The lock is ``flock`` on ``OUTPUT.lock``, which the kernel
releases when the process ends however it ends, so a killed job never leaves a stale lock;
the file records the holder's process id for the message the second job prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from labelling.errors import LabelError


def lock_path(output: Path) -> Path:
    """The lock file of the job that writes ``output``."""
    return output.with_name(output.name + ".lock")


@contextlib.contextmanager
def job_lock(output: str | Path) -> Iterator[Path]:
    """Hold the lock of ``output`` for the ``with`` block; LabelError at once if another process holds it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, job_lock(Path(d) / "out.csv") as held:
    ...     held.name
    'out.csv.lock'
    """
    path = lock_path(Path(output))
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise LabelError(
                f"another rolelens job (process {holder}) is writing {output}: wait for it to finish, "
                "stop it, or write to another file with -o"
            ) from None
        # The holder before us may have removed the file after we opened it: lock the one at the path.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
