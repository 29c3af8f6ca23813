"""Persistent worker processes with hard, kill-and-respawn deadlines (generic, reusable).

Why not ``signal.alarm`` or ``ProcessPoolExecutor``: an alarm only works on the main thread
(TRL runs async rewards on a background thread; Ray actors and web servers too) and cannot
interrupt C code; an executor future's ``result(timeout=...)`` returns but leaves the task
running and its worker busy, so the pool starves. Here the parent process owns the clock:
when a task passes its deadline the worker is SIGKILLed and a fresh one is started; the
other tasks of the batch carry on.

Design:

* Workers are plain subprocesses (``python -m rlvr.verifiers.deadline_worker HANDLER``),
  not ``multiprocessing`` children: no ``__main__`` re-import (a training script without an
  ``if __name__ == "__main__"`` guard is safe), no fork of a multi-threaded trainer, the same
  behaviour under every start method. Tasks and results are pickled over pipes.
* Started lazily on the first task, reused across calls, recycled after
  ``max_tasks_per_worker`` tasks, killed at interpreter exit (a worker also exits within a second when
  its parent process dies). A pool inherited through ``os.fork`` is abandoned in the child and restarted there.
* :meth:`DeadlinePool.run` sends one task at a time to each worker it holds and waits with
  ``selectors``: per-task deadlines are exact, the round trip costs ~0.1 ms. A call takes
  as many idle workers as it has tasks (up to ``workers``); concurrent calls from several
  threads share the workers and wait for a free one. Safe from any thread and from code
  running inside an asyncio event loop's worker thread.
* The handler is named by ``"module:function"`` so nothing unpicklable crosses a pipe; the
  pool itself is never pickled (objects that hold one should look it up with
  :func:`shared_pool` after unpickling).

Outcome statuses: ``ok`` (``value`` holds the handler's return value), ``timeout`` (the
worker was killed at the deadline), ``error`` (the handler raised, the worker died, e.g.
out of memory, or could not start; ``error`` says which).
"""

from __future__ import annotations

import atexit
import os
import pickle
import selectors
import struct
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["DeadlinePool", "Outcome", "shared_pool"]

_HEADER = struct.Struct(">I")


@dataclass(frozen=True)
class Outcome:
    """One task's result: ``status`` in ``ok``/``timeout``/``error``; ``seconds`` the task's
    wall time as seen by the parent."""

    status: str
    value: Any = None
    error: str = ""
    seconds: float = 0.0


class _Worker:
    """One worker subprocess and its read buffer (used by one :meth:`DeadlinePool.run` at a time)."""

    def __init__(self, pool: "DeadlinePool"):
        self.pool = pool
        self.proc: subprocess.Popen[bytes] | None = None
        self.buf = bytearray()
        self.ready = False
        self.tasks_done = 0
        self.started_at = 0.0
        self.task: int | None = None  # index (in the current run) of the task it is computing
        self.task_started = 0.0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        pool = self.pool
        cmd = [sys.executable, "-m", "rlvr.verifiers.deadline_worker", pool.handler, pool.initializer or "",
               str(pool.memory_limit_mb or 0)]
        env = dict(os.environ)
        paths = [p for p in sys.path if isinstance(p, str) and p]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + env.get("PYTHONPATH", "").split(os.pathsep)))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                     env=env, close_fds=True, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)  # type: ignore[union-attr]
        self.buf.clear()
        self.ready = False
        self.tasks_done = 0
        self.task = None
        self.started_at = time.monotonic()

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        self.ready = False
        self.task = None
        if proc is None:
            return
        try:
            proc.kill()
        except OSError:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail
            pass

    def abandon(self) -> None:
        """Forget the process without touching it (we are in a forked child: it is the parent's)."""
        self.proc = None
        self.ready = False
        self.task = None

    def send(self, task_id: int, payload: Any) -> None:
        data = pickle.dumps((task_id, payload), protocol=pickle.HIGHEST_PROTOCOL)
        stdin = self.proc.stdin  # type: ignore[union-attr]
        stdin.write(_HEADER.pack(len(data)) + data)  # type: ignore[union-attr]
        stdin.flush()  # type: ignore[union-attr]

    def read_frames(self) -> tuple[list[Any], bool]:
        """Frames now available and whether the worker reached end of output."""
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        eof = False
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                eof = True
                break
            if not chunk:
                eof = True
                break
            self.buf += chunk
        frames = []
        while len(self.buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.buf)
            if len(self.buf) < _HEADER.size + size:
                break
            body = bytes(self.buf[_HEADER.size:_HEADER.size + size])
            del self.buf[:_HEADER.size + size]
            frames.append(pickle.loads(body))
        return frames, eof


_all_pools: "weakref.WeakSet[DeadlinePool]" = weakref.WeakSet()


class DeadlinePool:
    """Persistent worker processes running ``handler(payload)`` under per-task deadlines.

    Args:
        handler: ``"module:function"`` called in the worker with each task's payload.
        workers: maximum number of worker processes.
        initializer: optional ``"module:function"`` run once when a worker starts (heavy
            imports); the time it takes never counts against a task's deadline.
        memory_limit_mb: ``RLIMIT_AS`` of each worker (``None``: unlimited).
        startup_timeout: seconds a worker may take to start before it counts as broken.
        max_tasks_per_worker: recycle a worker after this many tasks (bounds memory growth).
    """

    def __init__(self, handler: str, *, workers: int = 1, initializer: str | None = None,
                 memory_limit_mb: int | None = None, startup_timeout: float = 120.0,
                 max_tasks_per_worker: int = 20_000):
        if ":" not in handler:
            raise ValueError(f"handler must be 'module:function', got {handler!r}")
        self.handler = handler
        self.initializer = initializer
        self.workers = max(1, int(workers))
        self.memory_limit_mb = memory_limit_mb
        self.startup_timeout = startup_timeout
        self.max_tasks_per_worker = max_tasks_per_worker
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._created = 0
        self._pid = os.getpid()
        self.restarts = 0  #: workers killed at a deadline or found dead (for monitoring/tests)
        _all_pools.add(self)

    def __reduce__(self):  # pragma: no cover - guard against accidental pickling
        raise TypeError("DeadlinePool holds live processes and cannot be pickled; use shared_pool() in the process that needs it")

    # ------------------------------------------------------------------ worker checkout
    def _check_fork(self) -> None:
        if os.getpid() != self._pid:  # inherited through fork: the processes belong to the parent
            for w in self._idle:
                w.abandon()
            self._cond = threading.Condition()
            self._idle = []
            self._created = 0
            self._pid = os.getpid()

    def _acquire(self, wanted: int) -> list[_Worker]:
        with self._cond:
            self._check_fork()
            while not self._idle and self._created >= self.workers:
                self._cond.wait()
            got: list[_Worker] = []
            while len(got) < wanted and (self._idle or self._created < self.workers):
                if self._idle:
                    got.append(self._idle.pop())
                else:
                    self._created += 1
                    got.append(_Worker(self))
            return got

    def _release(self, workers: list[_Worker]) -> None:
        with self._cond:
            if os.getpid() != self._pid:
                return
            for w in workers:
                w.task = None
                self._idle.append(w)
            self._cond.notify_all()

    # ------------------------------------------------------------------ running
    def run(self, payloads: Sequence[Any], timeout: float | None) -> list[Outcome]:
        """Run ``handler(payload)`` for each payload; one :class:`Outcome` per payload, in order.

        ``timeout`` (seconds, per task, from the moment the task is sent to a ready worker;
        worker start-up never counts): ``None`` or ``0`` means no deadline.
        """
        n = len(payloads)
        if n == 0:
            return []
        deadline = timeout if timeout and timeout > 0 else None
        workers = self._acquire(n)
        try:
            return self._run_with(workers, payloads, deadline)
        finally:
            self._release(workers)

    def _run_with(self, workers: list[_Worker], payloads: Sequence[Any], deadline: float | None) -> list[Outcome]:
        n = len(payloads)
        results: list[Outcome | None] = [None] * n
        next_task = 0
        remaining = n
        sel = selectors.DefaultSelector()
        start_failures = 0

        def finish(w: _Worker, outcome: Outcome) -> None:
            nonlocal remaining
            if w.task is not None and results[w.task] is None:
                results[w.task] = outcome
                remaining -= 1
            w.task = None

        def restart(w: _Worker) -> None:
            try:
                sel.unregister(w.proc.stdout)  # type: ignore[union-attr]
            except (KeyError, ValueError, AttributeError):
                pass
            w.kill()
            self.restarts += 1

        def feed(w: _Worker) -> None:
            """Give an idle, ready worker its next task (recycling it when it is due)."""
            nonlocal next_task
            if next_task >= n:
                return
            if w.tasks_done >= self.max_tasks_per_worker:
                restart(w)
                self.restarts -= 1  # recycling is not a failure
                launch(w)
                return
            i = next_task
            next_task += 1
            w.task, w.task_started = i, time.monotonic()
            try:
                w.send(i, payloads[i])
            except (BrokenPipeError, OSError, ValueError) as exc:
                finish(w, Outcome("error", error=f"worker pipe failed: {exc}"))
                restart(w)
                launch(w)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                finish(w, Outcome("error", error=f"task is not picklable: {exc}"))
                feed(w)

        def launch(w: _Worker) -> None:
            nonlocal start_failures
            if next_task >= n:
                return
            try:
                w.start()
            except OSError as exc:
                start_failures += 1
                fail_rest(f"could not start a worker: {exc}")
                return
            sel.register(w.proc.stdout, selectors.EVENT_READ, w)  # type: ignore[union-attr, arg-type]

        def fail_rest(message: str) -> None:
            nonlocal next_task, remaining
            for j in range(next_task, n):
                if results[j] is None:
                    results[j] = Outcome("error", error=message)
                    remaining -= 1
            next_task = n

        try:
            for w in workers:
                if w.alive:
                    sel.register(w.proc.stdout, selectors.EVENT_READ, w)  # type: ignore[union-attr, arg-type]
                    if w.ready:
                        feed(w)
                    # else: still starting (respawned by an earlier call); its "ready" frame comes
                else:
                    if w.proc is not None:
                        restart(w)
                    launch(w)
            while remaining > 0:
                now = time.monotonic()
                wait: float | None = None
                for w in workers:
                    if w.proc is None:
                        continue
                    if not w.ready:
                        limit = w.started_at + self.startup_timeout
                    elif w.task is not None and deadline is not None:
                        limit = w.task_started + deadline
                    else:
                        continue
                    left = max(0.0, limit - now)
                    wait = left if wait is None else min(wait, left)
                if not sel.get_map():
                    # every worker failed to start
                    fail_rest("no worker could be started")
                    break
                events = sel.select(timeout=wait)
                for key, _ in events:
                    w: _Worker = key.data
                    frames, eof = w.read_frames()
                    for frame in frames:
                        kind = frame[0]
                        if kind == "ready":
                            w.ready = True
                            start_failures = 0
                        elif kind == "ok" and w.task == frame[1]:
                            w.tasks_done += 1
                            finish(w, Outcome("ok", frame[2], seconds=time.monotonic() - w.task_started))
                        elif kind == "error" and w.task == frame[1]:
                            w.tasks_done += 1
                            finish(w, Outcome("error", error=frame[2], seconds=time.monotonic() - w.task_started))
                    if eof:
                        code = w.proc.poll() if w.proc is not None else None
                        if w.proc is not None:
                            try:
                                code = w.proc.wait(timeout=1)
                            except subprocess.TimeoutExpired:
                                code = None
                        if w.ready:
                            finish(w, Outcome("error", error=f"worker died (exit code {code}); "
                                                             "likely out of memory or a crash in native code",
                                              seconds=time.monotonic() - w.task_started))
                            restart(w)
                            launch(w)
                        else:
                            restart(w)
                            start_failures += 1
                            if start_failures >= 2:
                                fail_rest(f"the worker process exits at start-up (exit code {code}); "
                                          f"run `{sys.executable} -m rlvr.verifiers.deadline_worker {self.handler}` "
                                          "to see why")
                            else:
                                launch(w)
                        continue
                    if w.ready and w.task is None:
                        feed(w)
                # deadlines
                now = time.monotonic()
                for w in workers:
                    if w.proc is None:
                        continue
                    if not w.ready and now - w.started_at > self.startup_timeout:
                        restart(w)
                        fail_rest(f"a worker did not start within {self.startup_timeout:g} s")
                    elif w.ready and w.task is not None and deadline is not None and now - w.task_started > deadline:
                        finish(w, Outcome("timeout", error=f"deadline of {deadline:g} s passed; worker killed",
                                          seconds=now - w.task_started))
                        restart(w)
                        launch(w)
        finally:
            sel.close()
        return [r if r is not None else Outcome("error", error="internal: task lost") for r in results]

    # ------------------------------------------------------------------ lifecycle
    def warm_up(self) -> None:
        """Start one worker now (otherwise the first task pays the start-up)."""
        workers = self._acquire(1)
        try:
            w = workers[0]
            if not w.alive:
                w.start()
            deadline = time.monotonic() + self.startup_timeout
            while not w.ready and time.monotonic() < deadline and w.alive:
                sel = selectors.DefaultSelector()
                sel.register(w.proc.stdout, selectors.EVENT_READ)  # type: ignore[union-attr, arg-type]
                sel.select(timeout=max(0.0, deadline - time.monotonic()))
                sel.close()
                frames, eof = w.read_frames()
                if any(f[0] == "ready" for f in frames):
                    w.ready = True
                if eof:
                    w.kill()
                    break
        finally:
            self._release(workers)

    def close(self) -> None:
        """Kill every idle worker (busy ones are killed when their call ends and the pool is
        closed again, or at interpreter exit)."""
        with self._cond:
            if os.getpid() != self._pid:
                return
            for w in self._idle:
                w.kill()
            self._idle.clear()
            self._created = 0


def _close_all() -> None:
    for pool in list(_all_pools):
        try:
            pool.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


atexit.register(_close_all)

_shared: dict[tuple[Any, ...], DeadlinePool] = {}
_shared_lock = threading.Lock()


def _forget_shared_after_fork() -> None:
    global _shared_lock
    _shared_lock = threading.Lock()
    for pool in _shared.values():
        pool._check_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_shared_after_fork)


def shared_pool(handler: str, *, workers: int = 1, initializer: str | None = None,
                memory_limit_mb: int | None = None) -> DeadlinePool:
    """The process-wide pool for this handler and settings (created on first use)."""
    key = (handler, workers, initializer, memory_limit_mb)
    with _shared_lock:
        pool = _shared.get(key)
        if pool is None:
            pool = _shared[key] = DeadlinePool(handler, workers=workers, initializer=initializer,
                                               memory_limit_mb=memory_limit_mb)
        return pool
