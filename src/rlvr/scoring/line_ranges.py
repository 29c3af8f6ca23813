"""Chunks of a plain JSONL file as byte ranges: the parent counts lines, workers read them.

With local worker processes the parent is the serial part of a run. For a plain JSONL file
it therefore never splits, parses or ships lines: :class:`LineRangeReader` reads the file in
large blocks and only finds chunk boundaries (the last newline before a byte target) and
counts newlines (``bytes.count``, C speed), yielding small :class:`LineRange` descriptors
(path, offset, length, first line number, line count). Each worker reads its own range with
``os.pread`` and splits it (:func:`read_range`), so the parent's cost per row is a fraction of
a microsecond and shrinks further with longer rows.

Line numbers and line contents are exactly those of iterating the file in binary mode
(``for raw in open(path, "rb")``): lines end at ``\\n``, a blank line keeps its number, a last
line without a newline is a line. So a range chunk and a list-of-lines chunk of the same lines
score to the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rlvr.scoring.resume import input_too_short

__all__ = ["LineRange", "LineRangeReader", "read_range"]

#: assumed bytes per line before any line of the file was counted
_GUESS_LINE_BYTES = 512
#: with several workers, chunks stay below remaining bytes / (this x workers), so the last
#: chunks are small and every worker finishes at about the same time
_TAIL_SPLIT = 3
#: ...but never smaller than this (per-chunk costs)
_MIN_RANGE_BYTES = 64 * 1024
_SCAN_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class LineRange:
    """``n_lines`` input lines, starting with line number ``first_line``, stored in
    ``path`` at bytes ``[offset, offset + length)``."""

    path: str
    offset: int
    length: int
    first_line: int
    n_lines: int


def read_range(job: LineRange) -> list[bytes]:
    """The raw lines of ``job`` (without their ``\\n``), read with ``pread``.

    Raises :class:`~rlvr.scoring.sources.InputReadError` (after the line before the range)
    when the file cannot be read or no longer holds the counted lines (it changed during the
    run)."""
    from rlvr.scoring.sources import InputReadError

    last = f"input lines {job.first_line}-{job.first_line + job.n_lines - 1}"
    try:
        fd = os.open(job.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            data = os.pread(fd, job.length, job.offset)
            while len(data) < job.length:  # a short read (large ranges on some file systems)
                more = os.pread(fd, job.length - len(data), job.offset + len(data))
                if not more:
                    break
                data += more
        finally:
            os.close(fd)
    except OSError as exc:
        raise InputReadError(job.path, job.first_line - 1, f"{last}: {exc.strerror or exc}") from None
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    if len(lines) != job.n_lines or len(data) != job.length:
        raise InputReadError(job.path, job.first_line - 1,
                             f"the file changed while it was being scored: {last} are not where they were")
    return lines


class LineRangeReader:
    """Yields :class:`LineRange` chunks of the file ``path``; same role as
    :class:`~rlvr.scoring.sources.ChunkReader` (``size``: wanted lines per chunk, may change
    between chunks; ``bytes_read``: progress).

    Lines up to ``skip_through`` are skipped (``--resume``); ``check_last`` is called with the
    raw input line ``skip_through`` and :class:`~rlvr.scoring.resume.ResumeError` is raised when the file is
    shorter. Lines after ``limit`` (when given) are not read. A chunk holds ``size`` lines
    unless a byte cap ends it first: ``max_bytes`` and, with ``workers > 1``, a
    ``1 / (3 x workers)`` share of the bytes left (at least 64 KiB), so the run does not end
    with one worker scoring a big last chunk; a single line longer than the cap is a chunk of
    its own. The bytes are read in blocks sized from the mean line length so far.
    """

    def __init__(self, path: str, skip_through: int, size: int, check_last: Callable[[bytes], None] | None = None,
                 *, workers: int = 1, limit: int | None = None, max_bytes: int = 8 * 1024 * 1024):
        self.path = path
        self.skip_through = skip_through
        self.size = size
        self.check_last = check_last
        self.workers = max(1, workers)
        self.limit = limit
        self.max_bytes = max_bytes
        self.bytes_read = 0

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _find_line_end(fd: int, start: int, file_size: int) -> int:
        """Offset just after the newline that ends the line starting at ``start`` (or EOF)."""
        pos = start
        while pos < file_size:
            block = os.pread(fd, _SCAN_BLOCK, pos)
            if not block:
                break
            i = block.find(b"\n")
            if i >= 0:
                return pos + i + 1
            pos += len(block)
        return file_size

    @staticmethod
    def _skip_lines(fd: int, count: int, file_size: int) -> tuple[int, int, int]:
        """``(offset after line count, lines found, start offset of the last line found)``."""
        pos, found, last_start = 0, 0, 0
        while found < count and pos < file_size:
            block = os.pread(fd, _SCAN_BLOCK, pos)
            if not block:
                break
            n = block.count(b"\n")
            if found + n < count:
                if n:
                    last_start = pos + block.rfind(b"\n") + 1
                found += n
                pos += len(block)
                continue
            i = -1
            for _ in range(count - found):
                if i >= 0:
                    last_start = pos + i + 1
                i = block.find(b"\n", i + 1)
            return pos + i + 1, count, last_start
        if pos >= file_size and pos > last_start and found < count:  # a last line without a newline
            return file_size, found + 1, last_start
        return pos, found, last_start

    @staticmethod
    def _end_of_newline(data: bytes, k: int, n: int) -> int:
        """Offset just after the ``k``-th of the ``n`` newlines in ``data`` (``1 <= k <= n``),
        searched from the nearer end (the byte targets make ``k`` close to ``n``)."""
        if k <= n - k:
            i = -1
            for _ in range(k):
                i = data.find(b"\n", i + 1)
            return i + 1
        i = len(data)
        for _ in range(n - k + 1):
            i = data.rfind(b"\n", 0, i)
        return i + 1

    # ------------------------------------------------------------------ chunks
    def __iter__(self) -> Iterator[LineRange]:
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            yield from self._ranges(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    def _ranges(self, fd: int, file_size: int) -> Iterator[LineRange]:
        pos, line = 0, 1  # next byte to hand out, its line number
        skip = self.skip_through
        if skip:
            pos, found, last_start = self._skip_lines(fd, skip, file_size)
            if self.limit is not None and found > self.limit:
                found = self.limit
            if found < skip:
                raise input_too_short(found, skip)
            if self.check_last is not None:
                self.check_last(os.pread(fd, pos - last_start, last_start))
            line = skip + 1
            self.bytes_read = pos
        counted_bytes, counted_lines = 0, 0
        while pos < file_size:
            want = max(1, self.size)
            if self.limit is not None:
                if line > self.limit:
                    return
                want = min(want, self.limit - line + 1)
            per_line = counted_bytes / counted_lines if counted_lines else _GUESS_LINE_BYTES
            cap = self.max_bytes
            if self.workers > 1:
                cap = min(cap, max(_MIN_RANGE_BYTES, (file_size - pos) // (_TAIL_SPLIT * self.workers)))
            data = os.pread(fd, min(cap, int(want * per_line * 1.05) + 64), pos)
            n = data.count(b"\n")
            while n < want and len(data) < cap and pos + len(data) < file_size:  # longer lines than so far
                seen = len(data) / n if n else max(per_line, len(data))
                more = os.pread(fd, min(cap - len(data), int((want - n) * seen * 1.2) + 64), pos + len(data))
                if not more:
                    break
                n += more.count(b"\n")
                data += more
            if n > want or (n == want and not data.endswith(b"\n")):  # end after the wanted number of lines
                data = data[: self._end_of_newline(data, want, n)]
                n = want
            elif pos + len(data) < file_size and not data.endswith(b"\n"):  # end at a line end
                if n:
                    data = data[: data.rfind(b"\n") + 1]
                else:  # one line longer than the cap: the chunk is that line
                    data = os.pread(fd, self._find_line_end(fd, pos + len(data), file_size) - pos, pos)
                    n = data.count(b"\n")
            if not data:
                return
            n_lines = n + (not data.endswith(b"\n"))  # a last line without a newline
            counted_bytes += len(data)
            counted_lines += n_lines
            job = LineRange(self.path, pos, len(data), line, n_lines)
            pos += len(data)
            line += n_lines
            self.bytes_read = pos
            yield job
