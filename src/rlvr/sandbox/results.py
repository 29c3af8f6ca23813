"""Results of running a submission's tests: :class:`TestResult` and :class:`SubmissionResult`.

Per-test ``status`` values:

* ``passed``: exited 0 and the output (or returned value) matched;
* ``wrong_answer``: exited 0 but the output did not match (or a call returned nothing / a
  value that is not JSON-serialisable);
* ``runtime_error``: non-zero exit, an uncaught exception, or a signal other than the ones below;
* ``timeout``: CPU limit (``SIGXCPU``/CPU time over the limit) or the wall deadline;
* ``memory_limit``: ``MemoryError`` or an OOM kill;
* ``output_limit``: stdout/stderr over its byte cap;
* ``compile_error``: the code did not compile (``SyntaxError`` and friends);
* ``sandbox_error``: the infrastructure failed (harness died, container killed, protocol
  error). Never the model's fault; the reward is ``None``.

No field ever contains an expected output; ``stderr_tail`` is the program's own stderr.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TestStatus = Literal["passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit",
                     "compile_error", "sandbox_error"]

STATUSES: tuple[str, ...] = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit",
                             "compile_error", "sandbox_error")


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    index: int
    status: TestStatus
    exit_code: int | None = None
    signal: int | None = None
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    max_rss_kb: int = 0
    stdout_bytes: int = 0
    stderr_tail: str = ""
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SubmissionResult:
    """All tests of one submission. ``tests`` holds the tests that ran (fewer than ``n_total``
    when stopping at the first failure); ``sandbox_error`` is set when the infrastructure failed."""

    tests: list[TestResult]
    n_total: int
    backend: str = ""
    sandbox_error: str | None = None
    overhead_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def pass_rate(self) -> float:
        return self.n_passed / self.n_total if self.n_total else 0.0

    @property
    def all_passed(self) -> bool:
        return self.n_total > 0 and self.n_passed == self.n_total

    @property
    def first_failure(self) -> TestResult | None:
        return next((t for t in self.tests if not t.passed), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_total": self.n_total,
            "n_run": len(self.tests),
            "n_passed": self.n_passed,
            "pass_rate": self.pass_rate,
            "backend": self.backend,
            "sandbox_error": self.sandbox_error,
            "tests": [t.to_dict() for t in self.tests],
        }
