"""Ctrl-C handling for a scoring run: the first SIGINT stops the run, later ones are ignored.

The default handler raises :class:`KeyboardInterrupt` on *every* SIGINT, so a second Ctrl-C
(a user pressing twice, or a terminal sending it to the whole process group) lands in the
middle of the cleanup of the first: killing workers, closing the output. Here:

* the first SIGINT raises :class:`KeyboardInterrupt` (to leave a blocking wait or a running
  reward), unless the run is inside a :meth:`InterruptGuard.deferred` section (writing a chunk
  of output, starting a worker): then it is raised when that section ends, so the output
  always ends with a whole chunk;
* every later SIGINT is only counted.

Guards nest: an inner guard that saw an interrupt hands it to the outer one when it ends, so
the outer guard ignores the second Ctrl-C too. ``ignore_after=True`` (the ``rlvr`` command's
outer guard) leaves SIGINT ignored after an interrupted run instead of restoring the default
handler, so a late Ctrl-C cannot turn the clean exit into a traceback.

Installed only on the main thread (Python delivers signals there; elsewhere it is a no-op).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["InterruptGuard"]


class InterruptGuard:
    """Context manager: installs the handler on entry, restores the previous one on exit."""

    def __init__(self, *, ignore_after: bool = False) -> None:
        self.ignore_after = ignore_after
        self.count = 0  #: SIGINTs received
        self._deferring = 0
        self._pending = False
        self._previous: Any = None
        self._installed = False

    @property
    def interrupted(self) -> bool:
        return self.count > 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count > 1:
            return
        if self._deferring:
            self._pending = True
            return
        raise KeyboardInterrupt

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._installed:
            return
        self._installed = False
        outer = getattr(self._previous, "__self__", None)
        if self.count and isinstance(outer, InterruptGuard):
            outer.count += self.count  # the outer guard now ignores further SIGINTs too
        elif self.count and self.ignore_after:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """A section a first SIGINT must not cut; the interrupt is raised when it ends."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if not self._deferring and self._pending:
            self._pending = False
            raise KeyboardInterrupt
