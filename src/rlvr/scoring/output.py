"""The output of ``rlvr score``: opened under an exclusive lock, written a whole chunk at a time.

* **Lock**: a file output is locked with ``flock`` on the file itself (released when the run
  ends, even by SIGKILL) before anything in it is read, truncated or written; a second run on
  the same file fails at once with :class:`OutputLocked`. The file is opened without
  truncation, so even ``--overwrite`` cannot cut a file another run is writing.
* **Whole chunks**: :meth:`Output.write` writes one chunk with ``os.write`` (no hidden buffer).
  When a write fails part-way (ENOSPC: disk full, EDQUOT, EFBIG, EIO), a regular file is
  truncated back to the end of the previous chunk, so it still ends with a complete row and
  ``--resume`` continues it; the error comes out as :class:`OutputWriteError`.
* stdout (``-o -``) is written the same way, unlocked (it cannot be truncated).
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = ["Output", "OutputLocked", "OutputWriteError", "open_output_fd"]


class OutputLocked(RuntimeError):
    """Another process holds the lock on the output file."""


class OutputWriteError(OSError):
    """Writing the output failed (disk full, quota, I/O error, closed pipe)."""

    def __init__(self, target: str, cause: OSError):
        super().__init__(cause.errno, cause.strerror)
        self.target = target
        self.cause = cause

    @property
    def broken_pipe(self) -> bool:
        return self.cause.errno == errno.EPIPE or isinstance(self.cause, BrokenPipeError)

    def __str__(self) -> str:
        name = errno.errorcode.get(self.cause.errno or 0, "")
        what = self.cause.strerror or str(self.cause)
        return f"cannot write to {self.target}: {what}" + (f" ({name})" if name else "")


def _lock(fd: int, path: Path) -> None:
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputLocked(
            f"{path} is being written by another rlvr score run; wait for it to finish (or stop it), "
            "then run again (with --resume to continue the file)"
        ) from None
    except OSError as exc:  # a file system without flock support: go on unlocked
        if exc.errno not in (errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP):
            raise


def open_output_fd(path: Path, *, create: bool) -> int:
    """Open ``path`` for reading and writing (creating it when ``create``; never truncating)
    and lock it. Raises :class:`OutputLocked`, ``FileExistsError`` (``create`` and it exists)
    or ``FileNotFoundError``."""
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o666)
    try:
        _lock(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


class Output:
    """Where rows go: a locked file descriptor (or stdout), written chunk by chunk."""

    def __init__(self, fd: int, target: str, *, owned: bool, start: int = 0):
        self.fd = fd
        self.target = target
        self.owned = owned
        self.size = start  #: bytes of complete chunks in the file (this run's and kept ones)
        try:
            self.regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            self.regular = False

    @classmethod
    def stdout(cls) -> Output:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        return cls(sys.stdout.fileno(), "stdout", owned=False)

    def truncate(self, size: int) -> None:
        """Cut a regular file to ``size`` bytes and continue writing there."""
        if self.regular:
            os.ftruncate(self.fd, size)
            os.lseek(self.fd, size, os.SEEK_SET)
        self.size = size

    def write(self, data: bytes) -> None:
        """Write a whole chunk; on failure cut the file back to the previous chunk and raise
        :class:`OutputWriteError`."""
        view = memoryview(data)
        try:
            while view:
                try:
                    n = os.write(self.fd, view)
                except BlockingIOError:  # a non-blocking stdout pipe that is full: wait for room
                    select.select([], [self.fd], [])
                    continue
                view = view[n:]
        except OSError as exc:
            if self.regular:
                try:
                    self.truncate(self.size)
                except OSError:
                    pass
            raise OutputWriteError(self.target, exc) from None
        self.size += len(data)

    def close(self) -> None:
        if self.owned:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.owned = False
