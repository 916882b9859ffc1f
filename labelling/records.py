"""Cutting CSV input into runs of whole records without parsing it, so workers can parse them.

The process that reads only finds where each record ends; the workers decode and parse
the records with the standard library's ``csv`` module, so that reading is no longer one
process's work. The record ends are those ``csv.reader(..., strict=False)`` finds:

- a field that starts with a quote runs to the next quote that is not doubled (line
  breaks included), then, like csv, takes any further characters up to a comma or a line end;
- in a field that does not start with a quote, a quote is an ordinary character;
- a record ends at ``\\r\\n``, ``\\n`` or ``\\r`` outside quotes; a record that is only a line
  end is a blank line, not a row;
- a quote still open at the end of the file makes the rest of the file one last record
  (:attr:`Records.open_quote` says where it opened, so that the row can say so).

This works on bytes for encodings in which the bytes of ``\\r``, ``\\n``, ``"`` and ``,``
never stand for anything else (UTF-8, ASCII, the ISO 8859 and Windows 125x families), and
on decoded text otherwise.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import IO, AnyStr, Generic

_FIELD = r'(?:"(?:[^"]++|"")*+"[^,\r\n]*+|(?!")[^,\r\n]*+)'
# Group 1 takes a blank line; possessive repeats never try a parse that csv would not make.
_RECORD = rf"(\r\n|\n|\r)|{_FIELD}(?:,{_FIELD})*+(?:\r\n|\n|\r)"
_TEXT_RECORD = re.compile(_RECORD)
_BYTES_RECORD = re.compile(_RECORD.encode("ascii"))

READ_SIZE = 1 << 20


def splits_as_bytes(encoding: str) -> bool:
    """Whether records of a file in ``encoding`` can be found in its bytes, before decoding.

    >>> splits_as_bytes("utf-8"), splits_as_bytes("latin-1"), splits_as_bytes("utf-16")
    (True, True, False)
    """
    name = codecs.lookup(encoding).name
    return name in ("utf-8", "utf-8-sig", "ascii") or name.startswith(("iso8859-", "cp125"))


def count_lines(text: AnyStr) -> int:
    """Line ends in ``text`` as ``csv.reader`` counts them (``\\r\\n``, ``\\n`` or ``\\r``).

    >>> count_lines("a\\r\\nb\\nc\\rd"), count_lines(b"a\\r\\n")
    (3, 1)
    """
    cr, lf = ("\r", "\n") if isinstance(text, str) else (b"\r", b"\n")
    if cr not in text:  # most files: one pass instead of three
        return text.count(lf)
    return text.count(lf) + text.count(cr) - text.count(cr + lf)


@dataclass
class Records(Generic[AnyStr]):
    """Consecutive whole records as the file holds them."""

    data: AnyStr
    rows: int  # records that are not blank lines
    lines: int  # line ends in ``data`` (for error messages that name a line of the file)
    # Line ends in ``data`` before its last record, when that record is a quoted value never closed.
    open_quote: int | None = None


class RecordSplitter(Generic[AnyStr]):
    """Takes whole records from a binary or text stream, a given number of rows at a time.

    Parameters
    ----------
    stream : binary or text file
        Read with ``read(n)``; a text stream must keep line ends as they are (``newline=""``).
    check : callable or None
        Called with what this :meth:`take` has read so far each time the record it ends with,
        still unfinished, has doubled past ``check_after`` characters, so that the caller can
        stop an unclosed quote from reading the rest of the file into memory (by raising).
    start : bytes or str or None
        What was read from ``stream`` already and comes first.
    """

    def __init__(self, stream: IO[AnyStr], check=None, check_after: int = 1 << 26, start: AnyStr | None = None):
        self._stream = stream
        self._buf: AnyStr = stream.read(0) if start is None else start
        self._pos = 0
        self._eof = False
        self._record = _TEXT_RECORD if isinstance(self._buf, str) else _BYTES_RECORD
        self._cr = "\r" if isinstance(self._buf, str) else b"\r"
        self._check = check
        self._check_after = check_after

    def take(self, rows: int) -> Records[AnyStr]:
        """The next records up to and including the ``rows``-th row; fewer only at the end of the file."""
        done: list[AnyStr] = []
        start, got, unclosed = self._pos, 0, False
        match, buf = self._record.match, self._buf
        while got < rows:
            m = match(buf, self._pos)
            if m is not None and (m.end() < len(buf) or self._eof or not buf.endswith(self._cr)):
                self._pos = m.end()
                got += m.lastindex is None
                continue
            # The record is unfinished in what was read so far (a "\r" at the end may be half of "\r\n").
            if self._eof:
                if self._pos < len(buf):  # no line end at the end of the file, or a quote left open
                    rest = buf[self._pos :]
                    end = self._record.match(rest + self._cr)
                    unclosed = end is None or end.end() != len(rest) + 1
                    self._pos, got = len(buf), got + 1
                break
            done.append(buf[start : self._pos])
            unfinished = buf[self._pos :]
            if self._check is not None and len(unfinished) > self._check_after:
                self._check(buf[:0].join([*done, unfinished]))
                self._check_after *= 2
            # Reading at least as much again as is pending keeps rescanning a long record linear.
            more = self._stream.read(max(READ_SIZE, len(unfinished)))
            self._eof = not more
            buf = self._buf = unfinished + more
            start = self._pos = 0
        done.append(buf[start : self._pos])
        data = done[0] if len(done) == 1 else buf[:0].join(done)
        lines = count_lines(data)
        if unclosed:
            return Records(data, got, lines, lines - count_lines(rest))
        return Records(data, got, lines)
