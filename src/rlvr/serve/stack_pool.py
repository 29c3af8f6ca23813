"""Worker processes that each hold the reward stack and score slices of requests.

A :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method: the server process
runs an event loop and threads, which ``fork`` would copy half-way). Each worker builds the
stack once, in its initializer, with :func:`rlvr.rewards.build.build_stack`, and warms any
sandbox pool the stack uses. Deadlines on hostile input are the rewards' own (math-verify runs
under a killable deadline worker, code in the sandbox), so a task here always returns.

A worker that dies (killed for memory, say) breaks the executor; :class:`StackPool` then
builds a new one and the request that saw it gets :class:`PoolRestarted` (HTTP 503: retry).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from rlvr.serve.protocol import Batch, RequestError

__all__ = ["PoolRestarted", "ScoredBatch", "StackPool", "describe_stack"]

log = logging.getLogger("rlvr.serve")

ScoredBatch = dict[str, Any]
"""``{"names": [...], "weights": [...], "values": {name: [...]}, "statuses": {name: [...]},
"total": [...], "total_statuses": [...]}``"""

_stack: Any = None
_warm_error: str | None = None


class PoolRestarted(RuntimeError):
    """A scoring worker died while holding this request; the pool was rebuilt (HTTP 503)."""


def describe_stack(stack: Any) -> dict[str, Any]:
    """Names and weights of a stack's top-level rewards."""
    return {"name": stack.__name__, "names": list(stack.names), "weights": list(stack.reward_weights)}


def _walk(reward: Any):
    yield reward
    children = getattr(reward, "children", None)
    if callable(children):
        try:
            kids = children()
        except NotImplementedError:
            kids = ()
        for child in kids:
            yield from _walk(child)


def _warm_sandboxes(stack: Any, timeout: float) -> str | None:
    """Start (and wait for) the sandbox pool of every reward that runs code; an error text or None."""
    from rlvr.rewards.code import CodeTestsReward

    for reward in _walk(stack):
        if not isinstance(reward, CodeTestsReward):
            continue
        try:
            backend = reward.backend()
        except Exception as exc:  # noqa: BLE001 - reported by /health; scoring then says sandbox_error
            return f"{reward.__name__}: sandbox unavailable: {exc}"
        pool = getattr(backend, "pool", None)
        if pool is not None and hasattr(pool, "wait_full") and not pool.wait_full(timeout):
            return f"{reward.__name__}: sandbox pool not warm after {timeout:g} s ({pool.alive_count}/{pool.size})"
    return None


def _init_worker(spec: Any, warm_timeout: float) -> None:
    global _stack, _warm_error
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
    from rlvr.rewards.build import build_stack

    _stack = build_stack(spec)
    _warm_error = _warm_sandboxes(_stack, warm_timeout)


def _worker_state(_: int = 0) -> tuple[bool, str | None]:
    return _stack is not None, _warm_error


def _score(kwargs: dict[str, Any]) -> tuple[str, Any]:
    """("ok", ScoredBatch) | ("bad_request", message) | ("error", traceback)."""
    from rlvr.rewards.base import MissingColumnError, RewardConfigError

    stack = _stack
    try:
        scores = stack.score_batch(**kwargs)
    except (MissingColumnError, RewardConfigError) as exc:  # the request lacks what the stack needs
        return "bad_request", str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
    except Exception:  # noqa: BLE001 - a bug in a reward: reported as a 500 with its traceback
        return "error", traceback.format_exc(limit=20)
    names = list(stack.names)
    values: dict[str, list[Any]] = {name: [] for name in names}
    statuses: dict[str, list[str]] = {name: [] for name in names}
    for s in scores:
        breakdown = s.details.get("rewards", {})
        for name in names:
            part = breakdown.get(name, {})
            values[name].append(part.get("value"))
            statuses[name].append(part.get("status", "error"))
    return "ok", {"names": names, "weights": list(stack.reward_weights), "values": values, "statuses": statuses,
                  "total": [s.value for s in scores], "total_statuses": [s.status.value for s in scores]}


def merge(parts: list[ScoredBatch]) -> ScoredBatch:
    """Concatenate scored slices (in order)."""
    first = parts[0]
    out: ScoredBatch = {"names": first["names"], "weights": first["weights"],
                        "values": {n: [] for n in first["names"]}, "statuses": {n: [] for n in first["names"]},
                        "total": [], "total_statuses": []}
    for part in parts:
        for n in first["names"]:
            out["values"][n].extend(part["values"][n])
            out["statuses"][n].extend(part["statuses"][n])
        out["total"].extend(part["total"])
        out["total_statuses"].extend(part["total_statuses"])
    return out


class StackPool:
    """``workers`` processes holding the stack built from ``spec``."""

    def __init__(self, spec: Any, workers: int, *, chunk_rows: int = 16, warm_timeout: float = 300.0):
        self.spec = spec
        self.workers = max(1, int(workers))
        self.chunk_rows = max(1, int(chunk_rows))
        self.warm_timeout = warm_timeout
        self._lock = threading.Lock()
        self._executor = self._new_executor()
        self.warm_error: str | None = None

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.spec, self.warm_timeout))

    def warm(self) -> str | None:
        """Start every worker (each builds the stack and warms its sandbox pool); blocks. Returns
        the first warm-up problem, or None when every worker is ready."""
        futures = [self._executor.submit(_worker_state, i) for i in range(self.workers * 2)]
        errors = [f.result()[1] for f in futures]
        self.warm_error = next((e for e in errors if e), None)
        return self.warm_error

    def _slices(self, batch: Batch) -> list[Batch]:
        n = len(batch)
        if n <= self.chunk_rows:
            return [batch]
        parts = min(self.workers, -(-n // self.chunk_rows))
        size = -(-n // parts)
        return [batch.slice(i, i + size) for i in range(0, n, size)]

    async def score(self, batch: Batch) -> ScoredBatch:
        """Score ``batch`` (split over workers when large). Raises :class:`RequestError` when the
        stack cannot use the request (a missing column), :class:`PoolRestarted` when a worker
        died, ``RuntimeError`` (with the worker's traceback) for a reward bug."""
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            results = await asyncio.gather(*(loop.run_in_executor(executor, _score, part.kwargs())
                                             for part in self._slices(batch)))
        except BrokenProcessPool:
            self._restart(executor)
            raise PoolRestarted("a scoring worker process died (e.g. killed for memory); the pool was restarted: "
                                "retry the request") from None
        for status, payload in results:
            if status == "bad_request":
                raise RequestError(payload)
            if status != "ok":
                raise RuntimeError(payload)
        return merge([payload for _, payload in results]) if len(results) > 1 else results[0][1]

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                log.error("rlvr serve: a scoring worker died; restarting the worker pool")
                self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Wait for running tasks, then stop the workers."""
        self._executor.shutdown(wait=True, cancel_futures=False)
