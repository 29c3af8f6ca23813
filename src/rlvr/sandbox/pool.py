"""A warm pool of harness processes, shared by every thread and event loop of the process.

* ``acquire()`` hands out one idle harness (one submission per harness at a time);
  ``release(h, healthy)`` returns it, or retires it when it is unhealthy (overrun, protocol
  error, a dirty sweep) or has served ``max_uses`` submissions.
* A background thread keeps ``size + spares`` harnesses alive: it replaces retired ones,
  notices harnesses that died while idle (a killed container) within ~0.1 s, and starts
  replacements in parallel. Callers run at most ``size`` submissions at once (the reward's
  executor is sized to ``size``), so the ``spares`` warm harnesses take over instantly when one
  is killed or recycled while its replacement starts (~0.3-1 s per container). Start failures are remembered; ``acquire`` raises :class:`SandboxUnavailable`
  with the last error instead of waiting forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from rlvr.sandbox.channel import ChannelError, HarnessProcess

__all__ = ["SandboxUnavailable", "WorkerPool"]

log = logging.getLogger("rlvr.sandbox")


class SandboxUnavailable(RuntimeError):
    """No harness could be started or acquired (engine down, image missing, pool closed)."""


class WorkerPool:
    def __init__(self, start: Callable[[int], HarnessProcess], size: int, *, spares: int = 0, max_uses: int = 200,
                 start_timeout: float = 60.0, name: str = "pool"):
        if size < 1 or spares < 0:
            raise ValueError("pool size must be >= 1 and spares >= 0")
        self._start = start
        self.size = size
        self.spares = spares
        self.max_uses = max_uses
        self.start_timeout = start_timeout
        self.name = name
        self._idle: deque[HarnessProcess] = deque()
        self._busy: set[HarnessProcess] = set()
        self._starting = 0
        self._cond = threading.Condition()
        self._closed = False
        self._serial = 0
        self.last_error: str | None = None
        self._failures = 0
        self._next_try = 0.0
        self.started_total = 0
        self.retired_total = 0
        self._thread = threading.Thread(target=self._maintain, name=f"rlvr-{name}-refill", daemon=True)
        self._thread.start()

    # ----------------------------------------------------------------- public
    @property
    def alive_count(self) -> int:
        with self._cond:
            return len(self._idle) + len(self._busy)

    @property
    def idle_count(self) -> int:
        with self._cond:
            return len(self._idle)

    def acquire(self, timeout: float = 120.0) -> HarnessProcess:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise SandboxUnavailable(f"sandbox pool {self.name} is closed")
                while self._idle:
                    h = self._idle.popleft()
                    if h.alive():
                        self._busy.add(h)
                        return h
                    self._retire_locked(h)
                if self._failures >= 3 and not self._busy and not self._starting:
                    raise SandboxUnavailable(f"sandbox pool {self.name} cannot start a harness: {self.last_error}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SandboxUnavailable(
                        f"no sandbox worker became free within {timeout:.0f}s (pool {self.name}, size {self.size}; "
                        f"last error: {self.last_error or 'none'})")
                self._cond.wait(min(left, 0.5))

    def release(self, h: HarnessProcess, *, healthy: bool) -> None:
        h.uses += 1
        with self._cond:
            self._busy.discard(h)
            if healthy and not self._closed and h.alive() and h.uses < self.max_uses:
                self._idle.append(h)
                self._cond.notify_all()
                return
            self._retire_locked(h)

    @property
    def target(self) -> int:
        """Harnesses kept alive: ``size + spares``."""
        return self.size + self.spares

    def wait_full(self, timeout: float) -> bool:
        """Block until ``size + spares`` harnesses are alive and idle (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._idle) < self.target:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._cond.wait(min(left, 0.05))
                self._drop_dead_locked()
            return True

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            victims = list(self._idle) + list(self._busy)
            self._idle.clear()
            self._cond.notify_all()
        threads = [threading.Thread(target=h.destroy, daemon=True) for h in victims]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)

    # ----------------------------------------------------------------- internals
    def _retire_locked(self, h: HarnessProcess) -> None:
        self.retired_total += 1
        threading.Thread(target=h.destroy, name="rlvr-sandbox-retire", daemon=True).start()
        self._cond.notify_all()

    def _drop_dead_locked(self) -> None:
        for h in [h for h in self._idle if not h.alive()]:
            self._idle.remove(h)
            self._retire_locked(h)

    def _maintain(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                self._drop_dead_locked()
                missing = self.target - (len(self._idle) + len(self._busy) + self._starting)
                if missing > 0 and time.monotonic() >= self._next_try:
                    for _ in range(missing):
                        self._starting += 1
                        self._serial += 1
                        threading.Thread(target=self._start_one, args=(self._serial,), daemon=True,
                                         name="rlvr-sandbox-start").start()
                self._cond.wait(0.1)

    def _start_one(self, serial: int) -> None:
        h: HarnessProcess | None = None
        try:
            h = self._start(serial)
            h.wait_ready(self.start_timeout)
        except (ChannelError, OSError) as exc:
            msg = str(exc)
            if h is not None:
                h.destroy()
                msg = msg or h.stderr_text()
            with self._cond:
                self._starting -= 1
                self._failures += 1
                self._next_try = time.monotonic() + min(30.0, 0.5 * 2 ** (self._failures - 1))
                self.last_error = msg
                self._cond.notify_all()
            log.warning("rlvr sandbox: starting a harness failed: %s", msg)
            return
        with self._cond:
            self._starting -= 1
            self._failures = 0
            self.started_total += 1
            if self._closed:
                threading.Thread(target=h.destroy, daemon=True).start()
                return
            self._idle.append(h)
            self._cond.notify_all()
