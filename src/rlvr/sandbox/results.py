"""What the sandbox reports about running a submission: raw facts, no verdicts.

The sandbox never sees an expected output, so it cannot say "passed" or "wrong answer"; it
says how each run ended and hands back what the program produced. Comparing that with the
expected output, and scoring, happen on the rewards side (:mod:`rlvr.verifiers.code_judge`).

Per-run ``status`` (how the run ended):

* ``completed``: exited 0 with no limit hit; ``stdout`` (stdin/stdout runs) or ``value_json``
  (function calls) is what the host compares. A call that completed without a usable value
  (nothing returned, a value JSON cannot encode, a garbled result pipe) has
  ``value_json=None`` and ``reason`` saying which;
* ``runtime_error``: non-zero exit, an uncaught exception, a signal other than the ones below,
  or the function to call was not defined;
* ``timeout``: CPU limit (``SIGXCPU`` / CPU time over the limit) or a wall deadline (the test's,
  or what was left of the submission's budget);
* ``memory_limit``: ``MemoryError`` or an OOM kill;
* ``output_limit``: stdout/stderr or the returned value over its byte cap;
* ``compile_error``: the code did not compile (``SyntaxError`` and friends), or it is too big
  to send;
* ``sandbox_error``: the infrastructure failed before the solution ran (the test process could
  not be set up). Nothing a solution does can produce it.

``clean`` is False when the sweep after the run could not prove the worker free of what the
program left behind (``leftovers`` names it); the sandbox then runs no further input of that
submission and recycles the worker.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

__all__ = ["RUN_STATUSES", "RunFacts", "RunResult", "RunStatus", "SubmissionRun"]

RunStatus = Literal["completed", "runtime_error", "timeout", "memory_limit", "output_limit", "compile_error",
                    "sandbox_error"]

RUN_STATUSES: tuple[str, ...] = ("completed", "runtime_error", "timeout", "memory_limit", "output_limit",
                                 "compile_error", "sandbox_error")


@dataclass(frozen=True)
class RunFacts:
    """What was observed about one run of input ``index``: exit code, signal, CPU/wall time, peak
    RSS, stdout size (observed by the harness), the end of the program's stderr, and a ``status``
    with its ``reason``. Shared by raw runs and by the verdicts made from them on the host."""

    index: int
    status: str
    exit_code: int | None = None
    signal: int | None = None
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    max_rss_kb: int = 0
    stdout_bytes: int = 0
    stderr_tail: str = ""
    reason: str = ""

    def facts(self) -> dict[str, Any]:
        """The observed fields only (no status or reason)."""
        return {f.name: getattr(self, f.name) for f in fields(RunFacts) if f.name not in ("status", "reason")}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunResult(RunFacts):
    """One input run once (``status``: a :data:`RunStatus`). ``stdout`` and ``value_json`` are the
    program's own output (bytes, and the JSON text of a returned value serialised in the child)."""

    status: RunStatus
    stdout: bytes = field(default=b"", repr=False)
    value_json: str | None = field(default=None, repr=False)
    clean: bool = True
    leftovers: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def to_dict(self) -> dict[str, Any]:
        """Plain data; ``stdout`` is summarised by ``stdout_bytes`` and left out."""
        d = asdict(self)
        del d["stdout"]
        d["leftovers"] = list(self.leftovers)
        return d


@dataclass(frozen=True)
class SubmissionRun:
    """Every run of one submission. ``runs`` holds the inputs that ran, in order (fewer than
    ``n_inputs`` when the caller stopped early, a run left the worker unclean, the wall budget
    ran out or the infrastructure failed); ``sandbox_error`` is set when the infrastructure
    failed (the last run may then be a ``sandbox_error`` run)."""

    runs: list[RunResult]
    n_inputs: int
    backend: str = ""
    sandbox_error: str | None = None
    overhead_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"n_inputs": self.n_inputs, "n_run": len(self.runs), "backend": self.backend,
                "sandbox_error": self.sandbox_error, "overhead_ms": self.overhead_ms,
                "runs": [r.to_dict() for r in self.runs]}
