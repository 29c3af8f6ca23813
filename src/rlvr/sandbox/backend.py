"""The sandbox backend interface and the pooled implementation shared by both backends.

``backend.run_tests(code, cases, limits=..., compare=..., stop_at_first_failure=...)`` runs
one submission and returns a :class:`~rlvr.sandbox.results.SubmissionResult`. It is
thread-safe and blocking; many threads (or ``asyncio.to_thread`` calls from several event
loops) may call it at once and share the pool. Only each case's *input* is sent to the
harness; expected outputs stay here and are compared on the host as replies arrive (which is
what makes stopping at the first failure possible).
"""

from __future__ import annotations

import base64
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from rlvr.sandbox.channel import ChannelError, HarnessProcess
from rlvr.sandbox.limits import Limits
from rlvr.sandbox.pool import SandboxUnavailable, WorkerPool
from rlvr.sandbox.results import SubmissionResult, TestResult
from rlvr.verifiers.code_cases import TestCase
from rlvr.verifiers.code_compare import CompareOptions, compare_stdout, compare_value

__all__ = ["PooledBackend", "SandboxBackend", "classify_reply"]

#: Exit code of a child whose setup (privilege drop, rlimits) failed before the code ran.
SETUP_FAILED_EXIT = 71
#: Extra seconds the host waits beyond the per-test wall limit before declaring an overrun.
WATCHDOG_MARGIN_S = 10.0


class SandboxBackend(ABC):
    """Runs untrusted code against test cases. Implementations: ``docker``, ``local``."""

    name: str = "backend"

    @abstractmethod
    def run_tests(self, code: str, cases: Sequence[TestCase], *, limits: Limits | None = None,
                  compare: CompareOptions | None = None, stop_at_first_failure: bool = False) -> SubmissionResult:
        """Run ``code`` against ``cases``; infrastructure failures set ``sandbox_error`` (never raise)."""

    @abstractmethod
    def close(self) -> None:
        """Stop every worker (containers are removed)."""

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def classify_reply(reply: dict[str, Any], case: TestCase, index: int, limits: Limits,
                   compare: CompareOptions) -> TestResult:
    """Turn the harness's raw facts about one test into a :class:`TestResult` (compared here)."""
    exit_code = reply.get("exit_code")
    sig = reply.get("signal")
    cpu_ms = float(reply.get("cpu_ms") or 0.0)
    child = reply.get("child") if isinstance(reply.get("child"), dict) else {}
    common: dict[str, Any] = {
        "index": index, "exit_code": exit_code, "signal": sig, "cpu_ms": cpu_ms,
        "wall_ms": float(reply.get("wall_ms") or 0.0), "max_rss_kb": int(reply.get("max_rss_kb") or 0),
        "stdout_bytes": int(reply.get("stdout_bytes") or 0),
        "stderr_tail": str(reply.get("stderr_tail") or "")[-2000:]}

    def result(status: str, reason: str) -> TestResult:
        return TestResult(status=status, reason=reason, **common)  # type: ignore[arg-type]

    stderr_tail = common["stderr_tail"]
    last_err_line = stderr_tail.strip().rsplit("\n", 1)[-1] if stderr_tail.strip() else ""
    if exit_code == SETUP_FAILED_EXIT and not child and not reply.get("stdout_bytes") and not stderr_tail:
        return result("sandbox_error", "the sandbox could not set up the test process")
    if reply.get("over"):
        return result("output_limit", f"{reply['over']} exceeded its byte cap")
    if reply.get("timed_out"):
        return result("timeout", f"wall-clock limit of {limits.wall:g}s exceeded")
    if sig == signal.SIGXCPU or cpu_ms > limits.cpu_s * 1000.0:
        return result("timeout", f"CPU limit of {limits.cpu_s:g}s exceeded")
    if child.get("type") == "MemoryError" or last_err_line.startswith("MemoryError"):
        return result("memory_limit", "MemoryError")
    if sig == signal.SIGKILL:
        return result("memory_limit", "killed (out of memory)")
    if child.get("phase") == "compile":
        return result("compile_error", f"{child.get('type', 'error')} while compiling")
    if sig is not None:
        return result("runtime_error", f"killed by {_signal_name(int(sig))}")
    if exit_code != 0:
        what = f" ({child.get('type')})" if child.get("type") else ""
        return result("runtime_error", f"exit code {exit_code}{what}")
    if case.kind == "call":
        if "value" not in child:
            if child.get("phase") == "serialize":
                return result("wrong_answer", "returned value is not JSON-serialisable")
            if child.get("phase") == "call":
                return result("runtime_error", f"function {case.fn_name!r} not found")
            return result("wrong_answer", "the function returned no value")
        verdict = compare_value(str(child["value"]), case.expected, options=compare)
    else:
        stdout = base64.b64decode(reply.get("stdout_b64") or "")
        verdict = compare_stdout(stdout, case.expected, options=compare, stdin=case.stdin)
    return result("passed", "") if verdict.passed else result("wrong_answer", verdict.reason)


class PooledBackend(SandboxBackend):
    """A backend made of a :class:`~rlvr.sandbox.pool.WorkerPool` of harness processes."""

    def __init__(self, pool: WorkerPool, *, name: str, acquire_timeout: float = 300.0):
        self.pool = pool
        self.name = name
        self.acquire_timeout = acquire_timeout

    def close(self) -> None:
        self.pool.close()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "pool_size": self.pool.size, "alive": self.pool.alive_count,
                "last_error": self.pool.last_error}

    def run_tests(self, code: str, cases: Sequence[TestCase], *, limits: Limits | None = None,
                  compare: CompareOptions | None = None, stop_at_first_failure: bool = False) -> SubmissionResult:
        limits = limits or Limits()
        compare = compare or CompareOptions()
        cases = list(cases)
        attempt = 0
        while True:
            attempt += 1
            t0 = time.monotonic()
            try:
                h = self.pool.acquire(self.acquire_timeout)
            except SandboxUnavailable as exc:
                return SubmissionResult([], len(cases), self.name, sandbox_error=str(exc))
            try:
                return self._run_on(h, code, cases, limits, compare, stop_at_first_failure, t0)
            except _RetryOnFresh as exc:
                if attempt >= 2:
                    return SubmissionResult([], len(cases), self.name, sandbox_error=str(exc))

    def _run_on(self, h: HarnessProcess, code: str, cases: list[TestCase], limits: Limits, compare: CompareOptions,
                stop: bool, t0: float) -> SubmissionResult:
        healthy = False
        results: list[TestResult] = []
        test_ms = 0.0
        try:
            try:
                h.request({"op": "load", "code": code, "limits": limits.to_wire()}, timeout=WATCHDOG_MARGIN_S)
            except ChannelError as exc:  # the harness was already broken: try one fresh one
                raise _RetryOnFresh(str(exc)) from None
            dirty = False
            for i, case in enumerate(cases):
                req = {"op": "run", "index": i, **case.sandbox_input()}
                ts = time.monotonic()
                reply = h.request(req, timeout=limits.wall + WATCHDOG_MARGIN_S)
                test_ms += float(reply.get("wall_ms") or 0.0)
                if reply.get("op") != "result":
                    raise ChannelError(f"unexpected reply {reply.get('op')!r}")
                dirty |= not reply.get("clean", False)
                tr = classify_reply(reply, case, i, limits, compare)
                results.append(tr)
                if tr.status == "sandbox_error":
                    return SubmissionResult(results, len(cases), self.name, sandbox_error=tr.reason)
                if stop and not tr.passed:
                    break
                del ts
            end = h.request({"op": "end"}, timeout=WATCHDOG_MARGIN_S)
            healthy = bool(end.get("clean")) and not dirty
            overhead = (time.monotonic() - t0) * 1000.0 - test_ms
            return SubmissionResult(results, len(cases), self.name, overhead_ms=overhead)
        except ChannelError as exc:
            return SubmissionResult(results, len(cases), self.name, sandbox_error=str(exc))
        finally:
            self.pool.release(h, healthy=healthy)


class _RetryOnFresh(Exception):
    pass
