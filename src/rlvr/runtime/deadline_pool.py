"""Persistent worker processes with hard, kill-and-respawn deadlines (generic, reusable).

Why not ``signal.alarm`` or ``ProcessPoolExecutor``: an alarm only works on the main thread
(TRL runs async rewards on a background thread; Ray actors and web servers too) and cannot
interrupt C code; an executor future's ``result(timeout=...)`` returns but leaves the task
running and its worker busy, so the pool starves. Here the parent process owns the clock:
when a task passes its deadline the worker is SIGKILLed and a fresh one is started; the
other tasks of the batch carry on.

Design:

* The pool starts one plain subprocess, a *template* (``python -m rlvr.runtime.deadline_worker
  --template ...``), not a ``multiprocessing`` child: no ``__main__`` re-import (a training
  script without an ``if __name__ == "__main__"`` guard is safe), no fork of a multi-threaded
  trainer, the same behaviour under every start method. The template runs the initializer
  (heavy imports, warm-up) once and forks each worker on request, so a new or replacement
  worker costs milliseconds (``fork_workers=False``: a fresh interpreter per worker, as on
  platforms without ``fork``). Tasks and results are pickled over pipes.
* Started lazily on the first task, reused across calls, recycled after
  ``max_tasks_per_worker`` tasks, killed at interpreter exit; when the owning process dies the
  template kills its process group (every worker, parked ones included). A pool inherited
  through ``os.fork`` is abandoned in the child and restarted there.
* :meth:`DeadlinePool.run` sends one task at a time to each worker it holds and waits with
  ``selectors``: per-task deadlines are exact, the round trip costs ~0.1 ms. A call takes
  as many idle workers as it has tasks (up to ``workers``) and runs that many tasks at once;
  concurrent calls from several threads share the workers and wait for a free one. Safe from
  any thread and from code running inside an asyncio event loop's worker thread.
* **No queue behind a slow task**: a task that has run ``preempt_after`` seconds while others
  wait is parked (``SIGSTOP``, its running time stops counting) and a fresh worker takes the
  next task; parked tasks resume in turn once the fresh ones are done. A hostile task costs
  the others one slice, not a whole deadline.
* **Batch budget**: ``run(..., budget=s)`` bounds the whole call in wall time; what is not
  finished then is killed and reported as ``timeout`` (``budget_exhausted=True``).
* The handler is named by ``"module:function"`` so nothing unpicklable crosses a pipe; the
  pool itself is never pickled (objects that hold one should look it up with
  :func:`shared_pool` after unpickling).

Outcome statuses: ``ok`` (``value`` holds the handler's return value), ``timeout`` (the
worker was killed at the deadline, or the call's budget passed: ``budget_exhausted``),
``error`` (the handler raised, the worker died, e.g. out of memory, or no worker could be
started: ``infrastructure``; ``error`` says which).
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    #: a ``timeout`` caused by the call's batch budget, not by the task's own deadline (the task
    #: may not even have started: its result says nothing about the payload)
    budget_exhausted: bool = False
    #: an ``error`` of the machinery (no worker could be started), not of this task's payload
    infrastructure: bool = False


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [p for p in sys.path if isinstance(p, str) and p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + env.get("PYTHONPATH", "").split(os.pathsep)))
    return env


class _ForkedChild:
    """A worker forked by the pool's template: the subset of ``subprocess.Popen`` the pool uses.
    It is not our child (the template reaps it), so liveness and signals go through a pidfd
    where the platform has one (no risk of signalling a recycled pid)."""

    def __init__(self, pid: int, task_w: int, result_r: int):
        self.pid = pid
        self.stdin = os.fdopen(task_w, "wb")
        self.stdout = os.fdopen(result_r, "rb", buffering=0)
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            self._pidfd = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._pidfd is not None:
            if select.select([self._pidfd], [], [], 0)[0]:
                self._dead()
        else:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self._dead()
            except PermissionError:
                pass
        return self.returncode

    def _dead(self) -> None:
        self.returncode = -1  # the exit status belongs to the template, which reaped it
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)  # type: ignore[attr-defined]
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            self._dead()

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
            if self._pidfd is not None:
                select.select([self._pidfd], [], [], None if end is None else max(0.0, end - time.monotonic()))
            else:
                time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]


class _Template:
    """A warm process (``deadline_worker --template``) that forks workers on request: a new or
    replacement worker costs a fork (milliseconds), not an interpreter start plus imports."""

    def __init__(self, pool: DeadlinePool):
        self.pool = pool
        self.proc: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None
        self.lock = threading.Lock()

    def _start(self) -> None:
        pool = self.pool
        ours, theirs = socket.socketpair()
        cmd = [sys.executable, "-m", "rlvr.runtime.deadline_worker", "--template", str(theirs.fileno()),
               pool.handler, pool.initializer or "", str(pool.memory_limit_mb or 0)]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None,
                                         env=_worker_env(), pass_fds=[theirs.fileno()], start_new_session=True)
        finally:
            theirs.close()
        self.control = ours
        ours.settimeout(pool.startup_timeout)
        try:
            ready = ours.recv(1)
        except OSError as exc:
            self.close()
            raise OSError(f"the worker template did not start within {pool.startup_timeout:g} s: {exc}") from exc
        if ready != b"R":
            code = self.proc.wait() if self.proc is not None else None
            self.close()
            raise OSError(f"the worker template exited at start-up (exit code {code}); run `{sys.executable} -m "
                          f"rlvr.runtime.deadline_worker {pool.handler} {pool.initializer or ''}` to see why")
        ours.settimeout(30.0)

    def fork(self) -> _ForkedChild:
        with self.lock:
            for attempt in (1, 2):
                if self.proc is None or self.proc.poll() is not None:
                    self.close()
                    self._start()
                task_r, task_w = os.pipe()
                result_r, result_w = os.pipe()
                try:
                    socket.send_fds(self.control, [b"F"], [task_r, result_w])  # type: ignore[arg-type]
                    reply = b""
                    while len(reply) < _HEADER.size:
                        chunk = self.control.recv(_HEADER.size - len(reply))  # type: ignore[union-attr]
                        if not chunk:
                            raise OSError("the worker template closed its control socket")
                        reply += chunk
                except OSError:
                    for fd in (task_w, result_r):
                        os.close(fd)
                    self.close()
                    if attempt == 2:
                        raise
                    continue
                finally:
                    os.close(task_r)
                    os.close(result_w)
                return _ForkedChild(_HEADER.unpack(reply)[0], task_w, result_r)
        raise OSError("unreachable")  # pragma: no cover

    def close(self) -> None:
        proc, self.proc = self.proc, None
        control, self.control = self.control, None
        if control is not None:
            control.close()
        if proc is not None:
            try:  # the template and every worker it forked (they share its process group)
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                proc.kill()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass

    def abandon(self) -> None:
        """Forget the template without touching it (we are in a forked child: it is the parent's)."""
        self.proc = None
        if self.control is not None:
            try:
                self.control.detach()
            except OSError:
                pass
        self.control = None
        self.lock = threading.Lock()


class _Worker:
    """One worker subprocess and its read buffer (used by one :meth:`DeadlinePool.run` at a time)."""

    parked = False  #: stopped with SIGSTOP while holding a task (see ``preempt_after``)
    run_acc = 0.0  #: running time of the current task before its last resume
    run_since = 0.0  #: when the current task last started or resumed running
    key: Any = None  #: affinity key of its last task (see ``DeadlinePool.run``)

    def __init__(self, pool: DeadlinePool):
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
        if pool._template is not None:
            self.proc = pool._template.fork()  # type: ignore[assignment]
        else:
            cmd = [sys.executable, "-m", "rlvr.runtime.deadline_worker", pool.handler, pool.initializer or "",
                   str(pool.memory_limit_mb or 0)]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                         env=_worker_env(), close_fds=True, start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)  # type: ignore[union-attr]
        self.buf.clear()
        self.ready = False
        self.tasks_done = 0
        self.task = None
        self.parked = False
        self.started_at = time.monotonic()

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        self.ready = False
        self.task = None
        self.parked = False
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


_all_pools: weakref.WeakSet[DeadlinePool] = weakref.WeakSet()


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
        preempt_after: seconds a task may run while other tasks of its call wait before it is
            parked (``SIGSTOP``) and resumed later (capped at a quarter of the call's
            ``timeout``); ``None``/``0``: never preempt (tasks then wait behind slow ones).
        max_parked: parked workers one call may hold at a time (each is a live process: the
            processes of one call are at most ``workers + max_parked``).
        fork_workers: start workers by forking a warm template process (milliseconds per new
            or replacement worker, imports shared) instead of a fresh interpreter each (about a
            second with sympy). Default: where the platform can pass file descriptors (POSIX).
    """

    def __init__(self, handler: str, *, workers: int = 1, initializer: str | None = None,
                 memory_limit_mb: int | None = None, startup_timeout: float = 120.0,
                 max_tasks_per_worker: int = 20_000, preempt_after: float | None = 1.0, max_parked: int = 8,
                 fork_workers: bool | None = None):
        if ":" not in handler:
            raise ValueError(f"handler must be 'module:function', got {handler!r}")
        self.handler = handler
        self.initializer = initializer
        self.workers = max(1, int(workers))
        self.memory_limit_mb = memory_limit_mb
        self.startup_timeout = startup_timeout
        self.max_tasks_per_worker = max_tasks_per_worker
        self.preempt_after = preempt_after
        self.max_parked = max_parked
        if fork_workers is None:
            fork_workers = os.name == "posix" and hasattr(socket, "send_fds") and hasattr(os, "fork")
        self._template: _Template | None = _Template(self) if fork_workers else None
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
            if self._template is not None:
                self._template.abandon()
            self._cond = threading.Condition()
            self._idle = []
            self._created = 0
            self._pid = os.getpid()

    def _acquire(self, wanted: int, until: float | None = None) -> list[_Worker]:
        """Up to ``wanted`` workers (at least one), waiting for a free one; ``[]`` when ``until``
        (a monotonic time) passes first."""
        with self._cond:
            self._check_fork()
            while not self._idle and self._created >= self.workers:
                left = None if until is None else until - time.monotonic()
                if left is not None and left <= 0:
                    return []
                self._cond.wait(left)
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
    def run(self, payloads: Sequence[Any], timeout: float | None, *, budget: float | None = None,
            affinity: Sequence[Any] | None = None) -> list[Outcome]:
        """Run ``handler(payload)`` for each payload; one :class:`Outcome` per payload, in order.

        ``timeout`` (seconds, per task): the task's running time, counted from the moment it is
        sent to a ready worker (worker start-up and time spent parked never count); ``None`` or
        ``0`` means no deadline. ``budget`` (seconds, for the whole call, wall clock from the call
        on, start-ups and waiting for a free worker included): when it passes, every unfinished
        task (running, parked or not started) ends as ``timeout`` with ``budget_exhausted=True``
        and its worker is killed; ``None`` or ``0`` means no budget.

        Up to ``workers`` tasks run at once. A task that has run ``preempt_after`` seconds (at most
        a quarter of ``timeout``) while other tasks wait is *parked* (``SIGSTOP``) and a fresh
        worker takes the next task (at most ``max_parked`` parked workers per call); when no
        fresh task is left, parked tasks resume in turn, each for ``preempt_after`` seconds at a
        time. So a few slow or hostile tasks cannot hold the queue behind them.

        ``affinity`` (one hashable per payload, optional): a worker keeps taking tasks with the
        key of its previous task while there are any, and otherwise starts on a key no other
        worker holds, so per-key caches in the workers (a parsed reference) are not filled
        twice. Results are always returned in payload order.
        """
        n = len(payloads)
        if n == 0:
            return []
        t0 = time.monotonic()
        deadline = timeout if timeout and timeout > 0 else None
        until = t0 + budget if budget and budget > 0 else None
        workers = self._acquire(n, until)
        if not workers:
            return [Outcome("timeout", error=f"batch budget of {budget:g} s passed while waiting for a free worker",
                            seconds=time.monotonic() - t0, budget_exhausted=True)] * n
        slice_s: float | None = self.preempt_after if self.preempt_after and self.preempt_after > 0 else None
        if slice_s is not None and deadline is not None:
            slice_s = min(slice_s, deadline / 4)
        call = _Call(self, workers, payloads, deadline, until, slice_s, affinity)
        try:
            return call.run()
        finally:
            self._release(call.give_back(len(workers)))

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
            if self._template is not None:
                self._template.close()


class _Call:
    """The state of one :meth:`DeadlinePool.run`: its workers (those acquired from the pool plus
    extra ones started to take the place of parked workers), the task queue and the clock."""

    def __init__(self, pool: DeadlinePool, workers: list[_Worker], payloads: Sequence[Any],
                 deadline: float | None, until: float | None, slice_s: float | None,
                 affinity: Sequence[Any] | None = None):
        self.pool = pool
        self.cap = len(workers)  # tasks running at once
        self.max_procs = self.cap + (max(0, pool.max_parked) if slice_s else 0)
        self.workers = list(workers)
        self.payloads = payloads
        self.n = len(payloads)
        self.deadline = deadline
        self.until = until
        self.slice = slice_s
        self.results: list[Outcome | None] = [None] * self.n
        # tasks not sent yet, grouped by affinity key (in order of first appearance)
        self.queue: OrderedDict[Any, deque[int]] = OrderedDict()
        for i in range(self.n):
            self.queue.setdefault(affinity[i] if affinity is not None else ("#", i), deque()).append(i)
        self.unsent = self.n
        self.remaining = self.n
        self.parked: deque[_Worker] = deque()
        self.sel = selectors.DefaultSelector()
        self.start_failures = 0

    # -------------------------------------------------------------- bookkeeping
    def busy_running(self) -> int:
        return sum(1 for w in self.workers if w.proc is not None and w.task is not None and not w.parked)

    def processes(self) -> int:
        return sum(1 for w in self.workers if w.proc is not None)

    def finish(self, w: _Worker, outcome: Outcome) -> None:
        if w.task is not None and self.results[w.task] is None:
            self.results[w.task] = outcome
            self.remaining -= 1
        w.task = None

    def restart(self, w: _Worker) -> None:
        """Kill ``w``'s process (a parked one too) and forget it; ``launch`` starts a new one."""
        try:
            self.sel.unregister(w.proc.stdout)  # type: ignore[union-attr]
        except (KeyError, ValueError, AttributeError):
            pass
        if w.parked:
            w.parked = False
            try:
                self.parked.remove(w)
            except ValueError:
                pass
        w.kill()
        self.pool.restarts += 1

    def take(self, w: _Worker) -> int:
        """The next task for ``w``: one with the affinity key of its last task if any is left
        (a worker keeps its caches warm, e.g. a parsed reference), else the first task of a key
        no other busy worker holds, else the first task left."""
        held = {x.key for x in self.workers if x is not w and x.task is not None}
        key = w.key if w.key in self.queue else next((k for k in self.queue if k not in held), None)
        if key is None:
            key = next(iter(self.queue))
        tasks = self.queue[key]
        i = tasks.popleft()
        if not tasks:
            del self.queue[key]
        self.unsent -= 1
        w.key = key
        return i

    def unsent_tasks(self) -> list[int]:
        out = sorted(i for tasks in self.queue.values() for i in tasks)
        self.queue.clear()
        self.unsent = 0
        return out

    def launch(self, w: _Worker) -> None:
        if not self.unsent:
            return
        try:
            w.start()
        except OSError as exc:
            self.start_failures += 1
            self.fail_rest(f"could not start a worker: {exc}")
            return
        self.sel.register(w.proc.stdout, selectors.EVENT_READ, w)  # type: ignore[union-attr, arg-type]

    def fail_rest(self, message: str) -> None:
        """Every task not sent yet fails: no worker can be started (an infrastructure error)."""
        for j in self.unsent_tasks():
            if self.results[j] is None:
                self.results[j] = Outcome("error", error=message, infrastructure=True)
                self.remaining -= 1

    def feed(self, w: _Worker) -> None:
        """Give an idle, ready worker the next fresh task (recycling it when it is due)."""
        if not self.unsent:
            return
        if w.tasks_done >= self.pool.max_tasks_per_worker:
            self.restart(w)
            self.pool.restarts -= 1  # recycling is not a failure
            self.launch(w)
            return
        i = self.take(w)
        now = time.monotonic()
        w.task, w.task_started, w.run_acc, w.run_since = i, now, 0.0, now
        try:
            w.send(i, self.payloads[i])
        except (BrokenPipeError, OSError, ValueError) as exc:
            self.finish(w, Outcome("error", error=f"worker pipe failed: {exc}"))
            self.restart(w)
            self.launch(w)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            self.finish(w, Outcome("error", error=f"task is not picklable: {exc}"))
            self.feed(w)

    def park(self, w: _Worker) -> None:
        try:
            w.proc.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        except OSError:
            return  # it just died: its end of output is reported by the selector
        w.run_acc += time.monotonic() - w.run_since
        w.parked = True
        self.parked.append(w)

    def resume(self, w: _Worker) -> None:
        w.parked = False
        try:
            w.proc.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        except OSError:
            pass
        w.run_since = time.monotonic()

    def fill(self) -> None:
        """Keep ``cap`` tasks running: fresh tasks first (on idle workers, on workers that are
        starting, on new processes in place of parked ones), then parked tasks in turn."""
        while self.unsent and self.busy_running() < self.cap:
            idle = next((w for w in self.workers if w.proc is not None and w.ready and w.task is None and not w.parked), None)
            if idle is not None:
                self.feed(idle)
                continue
            starting = sum(1 for w in self.workers if w.proc is not None and not w.ready)
            if starting + self.busy_running() >= self.cap or self.processes() >= self.max_procs:
                break
            spare = next((w for w in self.workers if w.proc is None), None)
            if spare is None:
                spare = _Worker(self.pool)
                self.workers.append(spare)
            self.launch(spare)
            if spare.proc is None:
                break
        while not self.unsent and self.parked and self.busy_running() < self.cap:
            self.resume(self.parked.popleft())

    def elapsed(self, w: _Worker, now: float) -> float:
        return w.run_acc + (0.0 if w.parked else now - w.run_since)

    # -------------------------------------------------------------- the loop
    def run(self) -> list[Outcome]:
        try:
            for w in self.workers:
                if w.alive:
                    self.sel.register(w.proc.stdout, selectors.EVENT_READ, w)  # type: ignore[union-attr, arg-type]
                elif w.proc is not None:
                    self.restart(w)
            self.fill()
            while self.remaining > 0:
                now = time.monotonic()
                if self.until is not None and now >= self.until:
                    self.exhaust_budget(now)
                    break
                if not self.sel.get_map():
                    self.fail_rest("no worker could be started")
                    break
                self.sel_wait(now)
                self.check_clock()
                self.fill()
        finally:
            self.sel.close()
        return [r if r is not None else Outcome("error", error="internal: task lost") for r in self.results]

    def sel_wait(self, now: float) -> None:
        wait: float | None = None if self.until is None else max(0.0, self.until - now)
        waiting = bool(self.unsent or self.parked)
        for w in self.workers:
            if w.proc is None or w.parked:
                continue
            limits = []
            if not w.ready:
                limits.append(w.started_at + self.pool.startup_timeout)
            elif w.task is not None:
                if self.deadline is not None:
                    limits.append(w.run_since + self.deadline - w.run_acc)
                if self.slice is not None and waiting:
                    limits.append(w.run_since + self.slice)
            for limit in limits:
                left = max(0.0, limit - now)
                wait = left if wait is None else min(wait, left)
        for key, _ in self.sel.select(timeout=wait):
            self.on_readable(key.data)

    def on_readable(self, w: _Worker) -> None:
        if w.proc is None:
            return
        frames, eof = w.read_frames()
        for frame in frames:
            kind = frame[0]
            if kind == "ready":
                w.ready = True
                self.start_failures = 0
            elif kind in ("ok", "error") and w.task == frame[1]:
                w.tasks_done += 1
                seconds = self.elapsed(w, time.monotonic())
                if w.parked:  # it finished just before it was stopped
                    self.parked.remove(w)
                    self.resume(w)
                if kind == "ok":
                    self.finish(w, Outcome("ok", frame[2], seconds=seconds))
                else:
                    self.finish(w, Outcome("error", error=frame[2], seconds=seconds))
        if eof:
            code = w.proc.poll()
            try:
                code = w.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
            if w.ready:
                self.finish(w, Outcome("error", error=f"worker died (exit code {code}); "
                                                      "likely out of memory or a crash in native code",
                                       seconds=self.elapsed(w, time.monotonic())))
                self.restart(w)
                self.launch(w)
            else:
                self.restart(w)
                self.start_failures += 1
                if self.start_failures >= 2:
                    self.fail_rest(f"the worker process exits at start-up (exit code {code}); "
                                   f"run `{sys.executable} -m rlvr.runtime.deadline_worker {self.pool.handler}` "
                                   "to see why")
                else:
                    self.launch(w)
            return
        if w.ready and w.task is None and not w.parked and self.busy_running() < self.cap:
            self.feed(w)

    def check_clock(self) -> None:
        """Deadlines (kill), start-up limits, and preemption of tasks that ran a full slice."""
        now = time.monotonic()
        waiting_fresh = self.unsent > 0
        for w in list(self.workers):
            if w.proc is None or w.parked:
                continue
            if not w.ready:
                if now - w.started_at > self.pool.startup_timeout:
                    self.restart(w)
                    self.fail_rest(f"a worker did not start within {self.pool.startup_timeout:g} s")
                continue
            if w.task is None:
                continue
            if self.deadline is not None and self.elapsed(w, now) > self.deadline:
                self.finish(w, Outcome("timeout", error=f"deadline of {self.deadline:g} s passed; worker killed",
                                       seconds=self.elapsed(w, now)))
                self.restart(w)
                self.launch(w)
            elif self.slice is not None and now - w.run_since >= self.slice:
                if waiting_fresh and self.processes() < self.max_procs:
                    self.park(w)  # fill() starts a worker for the next fresh task
                elif not waiting_fresh and self.parked:
                    self.park(w)  # to the back of the line; fill() resumes the first parked task

    def exhaust_budget(self, now: float) -> None:
        message = "batch budget passed before this task finished; worker killed"
        for w in list(self.workers):
            if w.proc is not None and w.task is not None:
                self.finish(w, Outcome("timeout", error=message, seconds=self.elapsed(w, now), budget_exhausted=True))
                self.restart(w)
        for j in self.unsent_tasks():
            if self.results[j] is None:
                self.results[j] = Outcome("timeout", error="batch budget passed before this task started",
                                          budget_exhausted=True)
                self.remaining -= 1

    def give_back(self, count: int) -> list[_Worker]:
        """``count`` workers for the pool's idle list (idle live ones first); every other process
        of the call is killed, as is any worker still holding a task (an interrupted call)."""
        for w in self.workers:
            if w.proc is not None and (w.task is not None or w.parked):
                self.restart(w)
        alive = [w for w in self.workers if w.proc is not None]
        dead = [w for w in self.workers if w.proc is None]
        keep = (alive + dead)[:count]
        for w in alive[count:]:
            w.kill()
        return keep


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
                memory_limit_mb: int | None = None, preempt_after: float | None = 1.0,
                max_parked: int = 8) -> DeadlinePool:
    """The process-wide pool for this handler and settings (created on first use)."""
    key = (handler, workers, initializer, memory_limit_mb, preempt_after, max_parked)
    with _shared_lock:
        pool = _shared.get(key)
        if pool is None:
            pool = _shared[key] = DeadlinePool(handler, workers=workers, initializer=initializer,
                                               memory_limit_mb=memory_limit_mb, preempt_after=preempt_after,
                                               max_parked=max_parked)
        return pool
