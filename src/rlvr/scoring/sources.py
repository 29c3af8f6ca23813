"""Where ``rlvr score`` reads its rows from, and how they are cut into chunks.

A :class:`Source` yields the input as raw JSON lines (``bytes``), one per input row, blank
lines included (they keep their line number and are skipped when parsed). A source holds a
path and options, never an open file, so it pickles: the Ray engine opens it again inside a
read task on the driver's node.

:class:`ChunkReader` cuts a source's lines into ``(first_line_number, [raw lines])`` chunks,
skips lines already scored (``--resume``) and checks the last of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import IO

from rlvr.scoring.resume import ResumeError

__all__ = ["MAX_CHUNK_BYTES", "ChunkReader", "JsonlSource", "Source", "StdinSource", "open_source"]

#: A chunk never holds more than this many bytes of input (megabyte completions).
MAX_CHUNK_BYTES = 8 * 1024 * 1024


class Source:
    """Input rows as raw JSON lines. Subclasses set :attr:`label` and implement :meth:`lines`."""

    #: what the summary and messages call this input (a path, ``-``, a dataset name)
    label: str = ""
    #: input size in bytes for the progress display (``None``: unknown)
    total_bytes: int | None = None
    #: whether :meth:`lines` can be called again in another process (a file, not stdin)
    reopenable: bool = True

    def lines(self) -> Iterator[bytes]:
        """Each input row as one raw JSON line (the trailing newline may be kept)."""
        raise NotImplementedError


class JsonlSource(Source):
    """A JSON lines file."""

    def __init__(self, path: str):
        self.path = path
        self.label = path
        self.total_bytes = os.path.getsize(path)

    def lines(self) -> Iterator[bytes]:
        with open(self.path, "rb") as stream:
            yield from stream


class StdinSource(Source):
    """JSON lines on standard input (``-``)."""

    label = "-"
    reopenable = False

    def lines(self) -> Iterator[bytes]:
        stream: IO[bytes] = sys.stdin.buffer
        yield from stream


def open_source(path: str) -> Source:
    """The source for ``rlvr score INPUT``. Raises ``FileNotFoundError`` for a missing file."""
    if path == "-":
        return StdinSource()
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    return JsonlSource(path)


class ChunkReader:
    """Yields ``(first_line_number, [raw lines])``; ``size`` may change between chunks.

    Lines up to ``skip_through`` are skipped (``--resume``); ``check_last`` is called with
    input line ``skip_through`` itself, and :class:`ResumeError` is raised when the input is
    shorter than that. ``bytes_read`` counts the bytes of lines read so far (progress)."""

    def __init__(self, lines: Iterator[bytes], skip_through: int, size: int,
                 check_last: Callable[[bytes], None] | None = None):
        self.lines = lines
        self.skip_through = skip_through
        self.size = size
        self.check_last = check_last
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple[int, list[bytes]]]:
        number = 0
        batch: list[bytes] = []
        batch_bytes = 0
        first = 1
        skip = self.skip_through
        for raw in self.lines:
            number += 1
            self.bytes_read += len(raw)
            if number <= skip:
                if number == skip and self.check_last is not None:
                    self.check_last(raw)
                continue
            if not batch:
                first = number
            batch.append(raw)
            batch_bytes += len(raw)
            if len(batch) >= self.size or batch_bytes >= MAX_CHUNK_BYTES:
                yield first, batch
                batch, batch_bytes = [], 0
        if number < skip:
            raise ResumeError(f"the input has {number} lines, but the output already holds rows up to input line "
                              f"{skip}: resume with the input the output was scored from")
        if batch:
            yield first, batch
