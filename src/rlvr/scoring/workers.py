"""Worker processes that score chunks in parallel, results handed back in input order.

Why not ``multiprocessing.Pool``: a Ctrl-C (or two, a few ms apart) that lands while the pool's
own threads and queues are mid-operation leaves ``terminate()``/``join()`` waiting forever,
and workers print ``BrokenPipeError``/``KeyboardInterrupt`` tracebacks. Here each worker has
its own pipe and holds at most one chunk; the parent waits on the pipes and the process
sentinels only, so stopping is: SIGKILL every worker, reap it, done (milliseconds).

* Workers ignore SIGINT from their first instruction (SIGINT is blocked in the parent around
  the fork, so a Ctrl-C to the whole process group never reaches a half-started worker); the
  parent decides what an interrupt means.
* Workers are stateless between chunks: killing one loses only the chunks it held, which
  were not written yet.
* A worker that dies (e.g. killed for memory by a hostile row) or raises is reported as
  :class:`WorkerFailed` naming the input lines it held, once every chunk before those lines
  is consumed (so the output holds every row up to them).
* A worker exits by itself when its pipe closes (the parent exited or was killed).
* Workers are started one at a time as the first jobs are handed out (each gets its job right
  after its fork), so scoring starts while later workers are still being forked.
* The parent's share stays small: for a plain JSONL file a job is a
  :class:`~rlvr.scoring.line_ranges.LineRange` (a few numbers; the worker reads the lines
  itself), and a result is the chunk's output bytes plus its :class:`RunStats` counters.
"""

from __future__ import annotations

import collections
import os
import signal
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from rlvr.scoring.chunk import ChunkResult, Job, job_lines_text, score_job
from rlvr.scoring.plan import ScoringPlan
from rlvr.scoring.sources import InputReadError

__all__ = ["WorkerFailed", "run_parallel"]


class WorkerFailed(RuntimeError):
    """A worker process died or raised while scoring a chunk."""


def _worker_main(plan: ScoringPlan, conn: Any, close_fds: list[int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for fd in close_fds:  # the parent's ends of the pipes (fork start method): EOF when the parent dies
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            break
        if job is None:
            break
        try:
            reply: tuple[str, Any] = ("ok", score_job(plan, job))
        except InputReadError as exc:  # the input file could not be read: the parent raises it in order
            reply = ("input", exc)
        except BaseException:  # noqa: BLE001 - reported to the parent, which stops the run
            reply = ("error", traceback.format_exc(limit=20))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            break
    try:
        conn.close()
    except OSError:
        pass


class _Worker:
    def __init__(self, ctx: Any, plan: ScoringPlan, close_fds: list[int], fork: bool, name: str):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        fds = close_fds + [parent.fileno()] if fork else []
        self.proc = ctx.Process(target=_worker_main, args=(plan, child, fds), name=name, daemon=True)
        blocked = hasattr(signal, "pthread_sigmask")
        if blocked:
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.proc.start()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
            child.close()
        self.job: tuple[int, Job] | None = None  #: (sequence number, job) it is scoring

    def kill(self) -> None:
        try:
            if self.proc.is_alive():
                self.proc.kill()
        except (OSError, AttributeError):
            pass
        try:
            self.conn.close()
        except OSError:
            pass


def run_parallel(plan: ScoringPlan, jobs: Iterable[Job], workers: int, consume: Callable[[ChunkResult], None],
                 start_guard: Callable[[], Any] | None = None) -> None:
    """Score ``jobs`` in ``workers`` processes; ``consume`` gets every result in input order.

    At most ``2 * workers`` chunks are in flight or waiting to be consumed, so memory stays
    bounded on huge inputs. Any exception (``KeyboardInterrupt`` included) kills the workers
    before it propagates. A worker that died or raised ends the run with :class:`WorkerFailed`,
    one that could not read its input range with that
    :class:`~rlvr.scoring.sources.InputReadError`, each once every chunk before it is
    consumed. ``start_guard``, when given, returns a context manager held while a worker
    process is being started (used to defer a Ctrl-C until the fork is done). Workers are
    started as jobs arrive, so a short input never forks more of them than it has chunks.
    """
    import contextlib
    import multiprocessing as mp
    from multiprocessing.connection import wait

    fork = "fork" in mp.get_all_start_methods()
    ctx = mp.get_context("fork" if fork else "spawn")
    pool: list[_Worker] = []

    def start_worker() -> _Worker:
        with start_guard() if start_guard else contextlib.nullcontext():
            worker = _Worker(ctx, plan, [w.conn.fileno() for w in pool], fork, f"rlvr-score-{len(pool)}")
        pool.append(worker)
        return worker

    try:
        idle: collections.deque[_Worker] = collections.deque()
        job_iter = iter(jobs)
        exhausted = False
        next_seq = 0  # next sequence number to hand out
        next_done = 0  # next sequence number to consume
        results: dict[int, ChunkResult] = {}
        busy: dict[Any, _Worker] = {}
        failed: tuple[int, str | InputReadError] | None = None  # the first chunk that failed: written up to it

        def fail(seq: int, message: str | InputReadError) -> None:
            nonlocal failed
            if failed is None or seq < failed[0]:
                failed = (seq, message)

        while True:
            while (failed is None and (idle or len(pool) < workers) and not exhausted
                   and next_seq - next_done < 2 * workers):
                try:
                    job = next(job_iter)
                except StopIteration:
                    exhausted = True
                    break
                worker = idle.popleft() if idle else start_worker()
                worker.job = (next_seq, job)
                next_seq += 1
                try:
                    worker.conn.send(job)
                except OSError:  # it died while idle
                    worker.proc.join(1)
                    fail(next_seq - 1, f"a worker process died (exit code {worker.proc.exitcode}) before scoring "
                                       f"{job_lines_text(job)}")
                    continue
                busy[worker.conn] = worker
            if failed is not None and next_done >= failed[0]:  # every chunk before the failed one is written
                raise failed[1] if isinstance(failed[1], InputReadError) else WorkerFailed(failed[1])
            if failed is not None:  # only the chunks before the failed one still matter
                busy = {c: w for c, w in busy.items() if w.job[0] < failed[0]}  # type: ignore[index]
            if not busy:  # nothing in flight: every job was handed out and consumed
                break
            sentinels = {w.proc.sentinel: w for w in busy.values()}
            for ready in wait(list(busy) + list(sentinels)):
                worker = busy.get(ready) or sentinels[ready]  # type: ignore[index]
                if worker.conn not in busy:
                    continue  # its result was read through the other handle of this round
                seq, job = worker.job  # type: ignore[misc]
                del busy[worker.conn]
                try:
                    status, payload = worker.conn.recv()
                except (EOFError, OSError):
                    worker.proc.join(1)
                    fail(seq, f"a worker process died (exit code {worker.proc.exitcode}) while scoring "
                              f"{job_lines_text(job)}")
                    continue
                if status == "input":
                    fail(seq, payload)
                    continue
                if status != "ok":
                    fail(seq, f"a worker failed while scoring {job_lines_text(job)}:\n{payload}")
                    continue
                worker.job = None
                idle.append(worker)
                results[seq] = payload
            while next_done in results and (failed is None or next_done < failed[0]):
                consume(results.pop(next_done))
                next_done += 1
        for worker in pool:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in pool:
            worker.proc.join(5)
    finally:
        for worker in pool:
            worker.kill()
        for worker in pool:
            try:
                worker.proc.join(2)
            except (OSError, AssertionError):
                pass
