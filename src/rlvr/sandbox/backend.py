"""The sandbox backend interface and the pooled implementation shared by both backends.

``backend.run(code, inputs, limits=..., keep_going=...)`` runs one submission on a list of
inputs and returns a :class:`~rlvr.sandbox.results.SubmissionRun`: raw facts per run (how it
ended, stdout bytes or the JSON text of a returned value, resource use). It judges nothing:
the sandbox never holds an expected output, and comparison and scoring live on the rewards
side (:mod:`rlvr.verifiers.code_judge`). ``keep_going(run) -> bool`` is called as each run's
result arrives; returning False stops the submission there (how "stop at the first failed
test" works without the sandbox knowing what a failure is).

An input is a mapping with either ``stdin`` (text fed to the program) or ``fn_name``, ``args``
(a JSON list) and optionally ``int_keys`` (restore integer dict keys) for a function call; only
those keys are sent to the harness (:data:`INPUT_KEYS`), so nothing else a caller puts in an
input can reach the solution.

``run`` is thread-safe and blocking; many threads (or ``asyncio.to_thread`` calls from several
event loops) may call it at once and share the pool.
"""

from __future__ import annotations

import base64
import binascii
import json
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rlvr.sandbox.channel import ChannelError, ChannelTimeout, HarnessProcess
from rlvr.sandbox.limits import Limits
from rlvr.sandbox.pool import SandboxUnavailable, WorkerPool
from rlvr.sandbox.results import RunResult, SubmissionRun

__all__ = ["INPUT_KEYS", "KeepGoing", "PooledBackend", "SandboxBackend", "read_reply"]

#: The only keys of an input that are sent into the sandbox.
INPUT_KEYS = ("stdin", "fn_name", "args", "int_keys")
#: ``keep_going(run) -> bool``: called with each run as it arrives; False stops the submission.
KeepGoing = Callable[[RunResult], bool]

#: Seconds the host waits for the harness beyond what is left of a submission's wall budget;
#: a reply later than that ends the run in flight (``timeout``) and recycles the worker.
HOST_GRACE_S = 0.5
#: Seconds a worker may take to accept a submission's code before another worker is tried.
LOAD_TIMEOUT_S = 10.0
#: Largest program (UTF-8 bytes) sent to a worker; a bigger one ends its first run as
#: ``compile_error`` without running, so no completion can overflow the harness's frame limit.
MAX_CODE_BYTES = 16 << 20
#: Largest diagnostic report ("E" + JSON) read from the result pipe.
_MAX_ERROR_REPORT = 4096


class SandboxBackend(ABC):
    """Runs untrusted code on inputs and reports raw results. Implementations: ``docker``, ``local``."""

    name: str = "backend"

    @abstractmethod
    def run(self, code: str, inputs: Sequence[Mapping[str, Any]], *, limits: Limits | None = None,
            keep_going: KeepGoing | None = None) -> SubmissionRun:
        """Run ``code`` on each input in order; infrastructure failures set ``sandbox_error`` (never raise)."""

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


def _printable(value: Any, limit: int = 200) -> str:
    """Program-chosen text (file names, exception names) made safe for any UTF-8 writer."""
    return str(value)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def read_report(reply: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The child's result-pipe report as ``(value_json_text | None, {phase, type})``.

    The report is the solution's own claim (it can write that pipe): it is decoded with bounded
    size and depth, and anything malformed is simply "no value" (``{"phase": "result",
    "type": "garbled"}``), never an exception."""
    try:
        raw = base64.b64decode(reply.get("report_b64") or "", validate=False)
    except (binascii.Error, ValueError, TypeError):
        return None, {"phase": "result", "type": "garbled"}
    if not raw:
        return None, {}
    if raw[:1] == b"V":
        try:
            return raw[1:].decode("utf-8"), {}
        except UnicodeDecodeError:
            return None, {"phase": "result", "type": "garbled"}
    if raw[:1] == b"E" and len(raw) <= _MAX_ERROR_REPORT:
        try:
            info = json.loads(raw[1:])
        except (ValueError, RecursionError):
            info = None
        if isinstance(info, dict):
            return None, {k: _printable(info[k]) for k in ("phase", "type") if isinstance(info.get(k), str)}
    return None, {"phase": "result", "type": "garbled"}


def read_reply(reply: dict[str, Any], inp: Mapping[str, Any], index: int, limits: Limits) -> RunResult:
    """Turn the harness's reply about one run into a :class:`RunResult` (raw facts, no verdict).

    ``sandbox_error`` only when the child's setup never completed (no setup byte): nothing the
    solution prints, returns, writes or exits with can produce it."""
    exit_code = reply.get("exit_code")
    sig = reply.get("signal")
    cpu_ms = float(reply.get("cpu_ms") or 0.0)
    value_text, child = read_report(reply)
    leftovers = reply.get("leftovers") if isinstance(reply.get("leftovers"), list) else []
    common: dict[str, Any] = {
        "index": index, "exit_code": exit_code, "signal": sig, "cpu_ms": cpu_ms,
        "wall_ms": float(reply.get("wall_ms") or 0.0), "max_rss_kb": int(reply.get("max_rss_kb") or 0),
        "stdout_bytes": int(reply.get("stdout_bytes") or 0),
        "stderr_tail": str(reply.get("stderr_tail") or "")[-2000:],
        "clean": bool(reply.get("clean", False)), "leftovers": tuple(_printable(x) for x in leftovers[:20])}

    def result(status: str, reason: str = "", **raw: Any) -> RunResult:
        return RunResult(status=status, reason=reason, **common, **raw)  # type: ignore[arg-type]

    stderr_tail = common["stderr_tail"]
    last_err_line = stderr_tail.strip().rsplit("\n", 1)[-1] if stderr_tail.strip() else ""
    if not reply.get("setup_ok"):
        why = str(reply.get("setup_error") or "")[:200]
        return result("sandbox_error", "the sandbox could not set up the test process" + (f" ({why})" if why else ""))
    if reply.get("over"):
        return result("output_limit", f"{reply['over']} exceeded its byte cap")
    if reply.get("timed_out"):
        wall = float(reply.get("wall_limit_s") or limits.wall)
        if wall < limits.wall:
            return result("timeout", f"the submission's wall budget ran out ({wall:.2f}s were left for this test)")
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
    if "fn_name" in inp:
        if value_text is None:
            if child.get("phase") == "serialize":
                return result("completed", "returned value is not JSON-serialisable")
            if child.get("phase") == "call":
                return result("runtime_error", f"function {inp['fn_name']!r} not found")
            if child.get("type") == "garbled":
                return result("completed", "the result pipe held something other than one value")
            return result("completed", "the function returned no value")
        if len(value_text) > limits.stdout_bytes:
            return result("output_limit", "returned value exceeded its byte cap")
        return result("completed", value_json=value_text)
    try:
        stdout = base64.b64decode(reply.get("stdout_b64") or "")
    except (binascii.Error, ValueError):
        return result("sandbox_error", "the harness sent malformed stdout")
    return result("completed", stdout=stdout)


def _wire_input(inp: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an input that may enter the sandbox (:data:`INPUT_KEYS`), nothing else."""
    return {k: inp[k] for k in INPUT_KEYS if k in inp}


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

    def run(self, code: str, inputs: Sequence[Mapping[str, Any]], *, limits: Limits | None = None,
            keep_going: KeepGoing | None = None) -> SubmissionRun:
        limits = limits or Limits()
        inputs = [_wire_input(inp) for inp in inputs]
        if inputs and len(code) > MAX_CODE_BYTES // 4 and len(code.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
            too_big = RunResult(0, "compile_error", reason=f"the program is over {MAX_CODE_BYTES >> 20} MiB; not run")
            return SubmissionRun([too_big], len(inputs), self.name)
        attempt = 0
        while True:
            attempt += 1
            t0 = time.monotonic()
            try:
                h = self.pool.acquire(self.acquire_timeout)
            except SandboxUnavailable as exc:
                return SubmissionRun([], len(inputs), self.name, sandbox_error=str(exc))
            try:
                return self._run_on(h, code, inputs, limits, keep_going, t0)
            except _RetryOnFresh as exc:
                if attempt >= 2:
                    return SubmissionRun([], len(inputs), self.name, sandbox_error=str(exc))

    def _run_on(self, h: HarnessProcess, code: str, inputs: list[dict[str, Any]], limits: Limits,
                keep_going: KeepGoing | None, t0: float) -> SubmissionRun:
        healthy = False
        runs: list[RunResult] = []
        test_ms = 0.0

        def done(sandbox_error: str | None = None) -> SubmissionRun:
            return SubmissionRun(runs, len(inputs), self.name, sandbox_error=sandbox_error,
                                 overhead_ms=self._overhead(t0, test_ms))

        try:
            try:
                h.request({"op": "load", "code": code, "limits": limits.to_wire()}, timeout=LOAD_TIMEOUT_S)
            except ChannelError as exc:  # the harness was already broken: try one fresh one
                raise _RetryOnFresh(str(exc)) from None
            budget = limits.submission_budget(len(inputs))
            deadline = time.monotonic() + budget
            clean = True
            for i, inp in enumerate(inputs):
                left = deadline - time.monotonic()
                if left <= 0.005:
                    runs.append(RunResult(i, "timeout", reason=f"the submission's wall budget of {budget:g}s "
                                                                "was used up before this test"))
                    break
                req = {"op": "run", "index": i, "budget_s": round(left, 4), **inp}
                try:
                    reply = h.request(req, timeout=left + HOST_GRACE_S)
                except ChannelTimeout:  # busy past the budget (e.g. with what this submission left): its fault
                    runs.append(RunResult(i, "timeout", reason=f"no result within the submission's wall budget "
                                                                f"of {budget:g}s; the worker was recycled"))
                    return done()
                test_ms += float(reply.get("wall_ms") or 0.0)
                if reply.get("op") != "result":
                    raise ChannelError(f"unexpected reply {reply.get('op')!r}")
                run = read_reply(reply, inp, i, limits)
                runs.append(run)
                if run.status == "sandbox_error":
                    return done(sandbox_error=run.reason)
                if not run.clean:  # later inputs of this submission must not see what it left
                    clean = False
                    break
                if keep_going is not None and not keep_going(run):
                    break
            if clean:
                try:
                    end = h.request({"op": "end"}, timeout=max(0.0, deadline - time.monotonic()) + HOST_GRACE_S)
                    healthy = bool(end.get("clean"))
                except ChannelError:  # the results stand; the worker is recycled
                    healthy = False
            return done()
        except ChannelError as exc:
            return done(sandbox_error=str(exc))
        finally:
            self.pool.release(h, healthy=healthy)

    @staticmethod
    def _overhead(t0: float, test_ms: float) -> float:
        return (time.monotonic() - t0) * 1000.0 - test_ms


class _RetryOnFresh(Exception):
    pass
