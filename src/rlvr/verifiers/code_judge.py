"""Judging a submission's sandbox runs against its test cases, on the host.

The sandbox (:mod:`rlvr.sandbox`) reports how each run ended and what the program produced
(:class:`~rlvr.sandbox.results.RunResult`); :func:`judge_run` turns one run and its
:class:`~rlvr.verifiers.code_cases.TestCase` into a :class:`TestResult` with a verdict, using
:mod:`rlvr.verifiers.code_compare` for the output. No I/O here.

Per-test ``status`` values:

* ``passed``: the run completed and its output (or returned value) matched;
* ``wrong_answer``: the run completed but the output did not match (or a call returned
  nothing / a value that is not JSON-serialisable / garbage on its result pipe);
* ``runtime_error``, ``timeout``, ``memory_limit``, ``output_limit``, ``compile_error``: how the
  run ended (see :mod:`rlvr.sandbox.results`);
* ``sandbox_error``: the infrastructure failed. Never the model's fault; the reward is ``None``.

A run after which the sandbox could not prove the worker clean fails (``runtime_error`` when it
would have passed, its own failure otherwise, and the reason names what was left): the program
left state that could reach later tests. No field ever contains an expected output;
``stderr_tail`` is the program's own stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rlvr.sandbox.results import RunFacts
from rlvr.verifiers.code_cases import TestCase
from rlvr.verifiers.code_compare import CompareOptions, compare_stdout, compare_value

if TYPE_CHECKING:
    from rlvr.sandbox.results import RunResult, SubmissionRun

__all__ = ["STATUSES", "SubmissionResult", "TestResult", "TestStatus", "judge_run", "judge_submission"]

TestStatus = Literal["passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit",
                     "compile_error", "sandbox_error"]

STATUSES: tuple[str, ...] = ("passed", "wrong_answer", "runtime_error", "timeout", "memory_limit", "output_limit",
                             "compile_error", "sandbox_error")


@dataclass(frozen=True)
class TestResult(RunFacts):
    """One test's verdict (``status``: a :data:`TestStatus`), with the facts of the run it judged."""

    __test__ = False  # not a pytest class

    status: TestStatus

    @property
    def passed(self) -> bool:
        return self.status == "passed"


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


def _verdict(run: RunResult, case: TestCase, options: CompareOptions) -> tuple[str, str]:
    if run.status != "completed":
        return run.status, run.reason
    if case.kind == "call":
        if run.value_json is None:
            return "wrong_answer", run.reason or "the function returned no value"
        comparison = compare_value(run.value_json, case.expected, options=options)
    else:
        comparison = compare_stdout(run.stdout, case.expected, options=options, stdin=case.stdin)
    return ("passed", "") if comparison.passed else ("wrong_answer", comparison.reason)


def judge_run(run: RunResult, case: TestCase, options: CompareOptions | None = None) -> TestResult:
    """The verdict on one run of ``case`` (statuses and the unclean-run rule in the module docstring)."""
    status, reason = _verdict(run, case, options or CompareOptions())
    if not run.clean and status != "sandbox_error":
        what = ", ".join(run.leftovers[:3]) or "unknown state"
        left = f"left state the sandbox could not remove ({what})"
        if status == "passed":
            status, reason = "runtime_error", left
        else:
            reason = f"{reason}; {left}" if reason else left
    return TestResult(status=status, reason=reason, **run.facts())  # type: ignore[arg-type]


def judge_submission(submission: SubmissionRun, cases: Sequence[TestCase], options: CompareOptions | None = None,
                     *, judged: dict[int, TestResult] | None = None) -> SubmissionResult:
    """Verdicts on every run of a submission (``judged``: verdicts already made, by run index)."""
    judged = judged or {}
    tests = [judged.get(r.index) or judge_run(r, cases[r.index], options) for r in submission.runs]
    return SubmissionResult(tests, submission.n_inputs, submission.backend, sandbox_error=submission.sandbox_error,
                            overhead_ms=submission.overhead_ms)
