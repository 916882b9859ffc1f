"""Worker processes that read uploaded PDF and DOCX files, each stopped at its deadline.

A crafted PDF can keep a parser busy for minutes, and a thread cannot be stopped: a process
can. Each worker reads one file at a time; one past its deadline is killed and replaced.
An upload waits a short while for a free worker, then is refused with a 503 and
``Retry-After``: never queued behind files that may not finish, and then blamed for the wait.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
from multiprocessing.connection import Connection

from fastapi.concurrency import run_in_threadpool

from service.errors import ApiError
from service.extract import Extracted, Limits, extract_text

_OK, _REFUSED, _TIMEOUT, _DIED = "ok", "refused", "timeout", "died"


def _work(conn: Connection) -> None:
    """A worker's loop: read ``(data, limits)``, answer with the text or the error it raised."""
    while True:
        try:
            data, limits = conn.recv()
        except (EOFError, OSError):
            return  # the server closed the pipe: stop
        try:
            reply: tuple = (_OK, extract_text(data, limits))
        except ApiError as err:
            reply = (_REFUSED, err.status, err.code, err.message)
        except MemoryError:
            reply = (_DIED,)
        conn.send(reply)


class _Worker:
    """One reader process and our end of its pipe."""

    def __init__(self, context: multiprocessing.context.SpawnContext):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child,), name="rolelens-file", daemon=True)
        self.process.start()
        child.close()

    def call(self, data: bytes, limits: Limits, timeout: float) -> tuple:
        """Send one file and wait at most ``timeout`` seconds; kill the process if it does not answer."""
        try:
            self.conn.send((data, limits))
            if self.conn.poll(timeout):
                return self.conn.recv()
            reply: tuple = (_TIMEOUT,)
        except (EOFError, OSError):
            reply = (_DIED,)
        self.kill()
        return reply

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class FilePool:
    """``size`` reader processes, started with ``spawn`` (a fork of a threaded server is unsafe).

    ``extract`` is called on the event loop; the wait for a worker's answer runs in a thread.
    An upload waits at most ``queue_seconds`` for a free worker, and its own deadline starts
    only when a worker takes it.
    """

    def __init__(self, size: int, queue_seconds: float):
        self.size, self.queue_seconds = size, queue_seconds
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(_Worker(self._context))
        self._closed = False

    async def extract(self, data: bytes, limits: Limits, timeout: float) -> Extracted:
        """The text of ``data``, read in a worker process within ``timeout`` seconds.

        Raises
        ------
        ApiError
            503 ``busy`` when every worker stayed busy for ``queue_seconds``; 422 ``file_timeout``
            past the deadline; 422 ``unreadable_file`` when the reader died; whatever extraction raised.
        """
        try:
            async with asyncio.timeout(self.queue_seconds):
                worker = await self._idle.get()  # a cancelled get never takes a worker
        except TimeoutError:
            raise ApiError(
                503,
                "busy",
                f"all {self.size} file readers stayed busy for {self.queue_seconds:g} s (ROLELENS_FILE_WORKERS, "
                "ROLELENS_FILE_QUEUE_SECONDS): retry in a few seconds, or paste the text into /classify",
                headers={"Retry-After": str(math.ceil(timeout))},
            ) from None
        if not worker.process.is_alive():  # killed from outside while idle (the OOM killer, say)
            worker.kill()
            worker = _Worker(self._context)
        try:
            reply = await run_in_threadpool(worker.call, data, limits, timeout)
        except BaseException:  # cancelled while the thread may still use the worker
            worker.kill()
            self._replace()
            raise
        healthy = reply[0] in (_OK, _REFUSED)
        if healthy and not self._closed:
            self._idle.put_nowait(worker)
        else:
            if healthy:
                worker.kill()
            self._replace()
        if reply[0] == _OK:
            return reply[1]
        if reply[0] == _REFUSED:
            raise ApiError(*reply[1:])
        if reply[0] == _TIMEOUT:
            raise ApiError(
                422,
                "file_timeout",
                f"reading the file took over {timeout:g} s (ROLELENS_FILE_TIMEOUT_SECONDS): it may be damaged; "
                "paste its text instead",
            )
        raise ApiError(
            422,
            "unreadable_file",
            "reading the file stopped its reader process (out of memory, or a parser crash): it may be damaged "
            "or built to exhaust memory; export it again or paste its text",
        )

    def _replace(self) -> None:
        if not self._closed:
            self._idle.put_nowait(_Worker(self._context))

    def close(self) -> None:
        """Stop every idle worker; busy ones are killed when their call returns or times out."""
        self._closed = True
        while not self._idle.empty():
            self._idle.get_nowait().kill()
