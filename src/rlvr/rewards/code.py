"""Code rewards: ``code_tests`` (run the answer's code against test cases) and ``code_format``.

``code_tests`` takes the **last** fenced code block of ``language`` from the answer region
(after ``</think>``; see :mod:`rlvr.verifiers.code_extract`), loads the sample's tests from
``tests_column`` (open-r1 ``verification_info``, APPS/TACO ``input_output``, LiveCodeBench test
lists; see :mod:`rlvr.verifiers.code_cases`), runs them in the sandbox (:mod:`rlvr.sandbox`,
which reports raw results only) and judges the runs here, on the host
(:func:`run_tests`; verdicts by :mod:`rlvr.verifiers.code_judge`, output comparison by
:mod:`rlvr.verifiers.code_compare`).

Values (``mode``), with ``passed``/``total`` counted over the (capped) tests:

* ``pass_rate`` (default): ``passed / total``;
* ``all_or_nothing``: 1.0 when every test passed, else 0.0;
* ``weighted_sum``: (1.0 if every test passed else 0.0) + 0.1 * ``passed / total`` (max 1.1;
  open-r1's ``cf_code`` scoring).

Edge cases: no code block -> ``no_code_value`` (0.0), status ``no_answer``; unreadable or
empty tests -> ``None`` (``gold_unparseable``); any infrastructure failure (engine down,
image missing, container killed, harness protocol error; with ``backend="auto"`` also "Docker
not usable" unless ``allow_local_fallback`` opts in to the local backend) -> ``None``
(``sandbox_error``), never 0. Nothing the submission does (exit codes, garbage on its result
pipe, huge values, leftover state, using up its wall budget) yields ``None``: those are
failed tests. With
``stop_at_first_failure`` the remaining tests count as failed. Statuses: ``correct`` (all
passed), ``partial`` (some), ``wrong`` (none; wrong answers, timeouts), ``runtime_error`` (none
passed and the first failure was a crash, compile error, memory or output limit).
``details`` lists every test's status, exit code/signal, CPU/wall ms and stderr tail; never
an expected output.

Batches run in parallel across the sandbox pool; the pool is shared process-wide, so
concurrent calls from several threads or event loops (``reward.as_async()``) are safe.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from rlvr.parsing import TagSpec
from rlvr.rewards.base import (
    MissingColumnError,
    Reward,
    RewardConfigError,
    RewardParams,
    Sample,
)
from rlvr.rewards.registry import get_reward, register, register_preset
from rlvr.score import Score, Status

if TYPE_CHECKING:
    from rlvr.sandbox.backend import SandboxBackend
    from rlvr.sandbox.limits import Limits
    from rlvr.verifiers.code_cases import TestCase
    from rlvr.verifiers.code_compare import CompareOptions
    from rlvr.verifiers.code_judge import SubmissionResult, TestResult

__all__ = ["CodeFormatReward", "CodeTestsReward", "open_r1_code", "run_tests"]

log = logging.getLogger("rlvr")

_PYTHON_NAMES = ("python", "python3", "py")


class CodeTestsParams(RewardParams):
    language: str = Field("python", description="fence language of the code block to run (matched exactly); "
                                                "the sandbox runs Python 3")
    tests_column: str = Field("verification_info", description="column holding the tests (open-r1 verification_info, "
                                                               "APPS input_output, LiveCodeBench test list)")
    fn_name_column: str | None = Field(None, description="column with the function name for call-based tests "
                                                         "(or LiveCodeBench 'metadata' with func_name)")
    mode: Literal["pass_rate", "all_or_nothing", "weighted_sum"] = "pass_rate"
    stop_at_first_failure: bool = False
    max_tests: int | None = Field(None, ge=1, description="run at most this many tests (the first ones)")
    backend: Literal["auto", "docker", "local"] = Field(
        "auto", description="auto: docker; when Docker is not usable every sample is None (sandbox_error) with the "
                            "reason, unless allow_local_fallback opts in to the local backend")
    allow_local_fallback: bool = Field(
        False, description="with backend='auto': fall back to the LOCAL backend (not a security boundary; logged at "
                           "WARNING) when Docker is not usable. Also RLVR_SANDBOX_ALLOW_LOCAL_FALLBACK=1")
    image: str | None = Field(None, description="docker image (default rlvr-sandbox:latest)")
    pool_size: int | None = Field(None, ge=1, description="workers in the pool (default: CPUs / container cpus)")
    cpu_s: float = Field(2.0, gt=0, description="CPU seconds per test")
    wall_s: float | None = Field(None, gt=0, description="wall seconds per test (default 2*cpu_s+1)")
    memory_mb: int = Field(512, ge=32, description="address-space limit per test (MB)")
    compare: Literal["lines", "tokens"] = Field("lines", description="stdout comparison mode")
    rel_tol: float = Field(1e-6, ge=0)
    abs_tol: float = Field(1e-6, ge=0)
    case_sensitive: bool = True
    checker: str | None = Field(None, description="'module:function' custom checker(stdin, expected, actual)")
    unwrap: Literal["auto", "always", "never"] = Field("auto", description="APPS one-element-list outputs")
    no_code_value: float = 0.0
    think_tag: str = "think"

    @field_validator("language")
    @classmethod
    def _python_only(cls, v: str) -> str:
        if v.lower() not in _PYTHON_NAMES:
            raise ValueError(f"only Python code runs in the sandbox; language must be one of {_PYTHON_NAMES}")
        return v


def _load_checker(path: str):
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise ValueError(f"checker must look like 'package.module:function', got {path!r}")
    return getattr(importlib.import_module(module), attr)


def run_tests(backend: SandboxBackend, code: str, cases: Sequence[TestCase], *, limits: Limits | None = None,
              compare: CompareOptions | None = None, stop_at_first_failure: bool = False) -> SubmissionResult:
    """Run ``code`` on ``cases`` in ``backend`` and judge every run on the host.

    Only each case's input (:meth:`~rlvr.verifiers.code_cases.TestCase.sandbox_input`) enters
    the sandbox; each run is judged as it arrives (:func:`~rlvr.verifiers.code_judge.judge_run`),
    which is what lets ``stop_at_first_failure`` end the submission at its first failed test.
    Infrastructure failures come back as ``sandbox_error`` on the result, never as an exception;
    a custom checker that raises is logged and counts as a rejection."""
    from rlvr.verifiers.code_compare import CompareOptions
    from rlvr.verifiers.code_judge import judge_run, judge_submission

    cases = list(cases)
    options = compare or CompareOptions()
    judged: dict[int, TestResult] = {}

    def keep_going(run) -> bool:
        verdict = judged[run.index] = judge_run(run, cases[run.index], options)
        return verdict.passed or not stop_at_first_failure

    submission = backend.run(code, [c.sandbox_input() for c in cases], limits=limits, keep_going=keep_going)
    return judge_submission(submission, cases, options, judged=judged)


@register("code_tests")
class CodeTestsReward(Reward):
    """Pass rate (or all-or-nothing / weighted) of the answer's code on the sample's tests."""

    Params = CodeTestsParams
    judges_correctness = True  # correct at 1.0: every test passed (weighted_sum: 1.1; partial runs stay below 1)

    def tag_spec(self) -> TagSpec:
        return TagSpec.from_names(self.params.think_tag, None)

    def setup(self) -> None:
        if self.params.checker:  # fail at configuration time, not mid-training
            try:
                _load_checker(self.params.checker)
            except (ImportError, AttributeError, ValueError) as exc:
                raise RewardConfigError(f"reward {self.name!r}: checker {self.params.checker!r} cannot be "
                                        f"imported ({type(exc).__name__}: {exc})") from None

    def required_columns(self) -> tuple[str, ...]:
        cols = [self.params.tests_column]
        if self.params.fn_name_column:
            cols.append(self.params.fn_name_column)
        return tuple(cols)

    # ----------------------------------------------------------------- helpers
    def _limits(self):
        from rlvr.sandbox.limits import Limits

        p = self.params
        return Limits(cpu_s=p.cpu_s, wall_s=p.wall_s, memory_mb=p.memory_mb)

    def _compare(self):
        from rlvr.verifiers.code_compare import CompareOptions

        p = self.params
        return CompareOptions(mode=p.compare, rel_tol=p.rel_tol, abs_tol=p.abs_tol, case_sensitive=p.case_sensitive,
                              checker=_load_checker(p.checker) if p.checker else None)

    def backend(self):
        """The shared sandbox backend this reward uses (raises ``RuntimeError`` if unusable)."""
        from rlvr.sandbox import get_backend

        p = self.params
        cfg: dict[str, Any] = {}
        if p.pool_size:
            cfg["size"] = p.pool_size
        if p.image and p.backend != "local":
            cfg["image"] = p.image
        if p.backend == "auto" and p.allow_local_fallback:
            cfg["allow_local_fallback"] = True
        return get_backend(p.backend, **cfg)

    def _prepare(self, sample: Sample) -> tuple[str, list] | Score:
        from rlvr.verifiers.code_cases import TestCaseError, load_test_cases
        from rlvr.verifiers.code_extract import extract_code

        p = self.params
        if p.tests_column not in sample.fields:
            raise MissingColumnError(f"reward {self.__name__!r} needs column {p.tests_column!r}")
        fn_name = None
        metadata = None
        if p.fn_name_column:
            raw = sample.fields.get(p.fn_name_column)
            if isinstance(raw, str) and raw.strip().startswith("{") or isinstance(raw, dict):
                metadata = raw
            elif isinstance(raw, str) and raw.strip():
                fn_name = raw.strip()
        try:
            cases = load_test_cases(sample.fields[p.tests_column], fn_name=fn_name, metadata=metadata, unwrap=p.unwrap)
        except TestCaseError as exc:
            return Score(None, Status.GOLD_UNPARSEABLE, f"tests in column {p.tests_column!r}: {exc}")
        if p.max_tests:
            cases = cases[: p.max_tests]
        code = extract_code(sample.text, p.language, think_tag=p.think_tag)
        if code is None:
            return Score(p.no_code_value, Status.NO_ANSWER, f"no ```{p.language} code block in the answer")
        return code, cases

    def _score(self, result) -> Score:
        p = self.params
        details = result.to_dict()
        details["tests"] = [
            {k: v for k, v in t.items() if k in ("index", "status", "exit_code", "signal", "cpu_ms", "wall_ms", "reason")}
            | {"stderr_tail": t["stderr_tail"][-500:]} for t in details["tests"]]
        if result.sandbox_error:
            return Score(None, Status.SANDBOX_ERROR, f"sandbox failure: {result.sandbox_error}"[:500], details)
        total, passed = result.n_total, result.n_passed
        frac = passed / total if total else 0.0
        all_ok = total > 0 and passed == total
        if p.mode == "pass_rate":
            value = frac
        elif p.mode == "all_or_nothing":
            value = 1.0 if all_ok else 0.0
        else:
            value = (1.0 if all_ok else 0.0) + 0.1 * frac
        if all_ok:
            return Score(value, Status.CORRECT, f"{passed}/{total} tests passed", details)
        first = result.first_failure
        why = f"{passed}/{total} tests passed; test {first.index} {first.status}" if first else f"{passed}/{total}"
        if first and first.reason:
            why += f" ({first.reason})"
        if passed:
            return Score(value, Status.PARTIAL, why, details)
        crash = first is not None and first.status in ("runtime_error", "compile_error", "memory_limit", "output_limit")
        return Score(value, Status.RUNTIME_ERROR if crash else Status.WRONG, why, details)

    # ----------------------------------------------------------------- judging
    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        out: list[Score | None] = [None] * len(samples)
        jobs: list[tuple[int, str, list]] = []
        for i, sample in enumerate(samples):
            try:
                prepared = self._prepare(sample)
            except MissingColumnError:
                raise
            except Exception as exc:  # a malformed column must not take the batch down
                prepared = Score(None, Status.INVALID_INPUT, f"could not read the sample: {type(exc).__name__}: {exc}"[:300])
            if isinstance(prepared, Score):
                out[i] = prepared
            else:
                jobs.append((i, *prepared))
        if jobs:
            try:
                backend = self.backend()
            except Exception as exc:
                log.warning("rlvr code_tests: sandbox unavailable: %s", exc)
                for i, _, _ in jobs:
                    out[i] = Score(None, Status.SANDBOX_ERROR, f"sandbox unavailable: {exc}"[:500])
                jobs = []
            if jobs:
                limits, compare, stop = self._limits(), self._compare(), self.params.stop_at_first_failure

                def run(job: tuple[int, str, list]) -> tuple[int, Score]:
                    i, code, cases = job
                    try:
                        res = run_tests(backend, code, cases, limits=limits, compare=compare,
                                        stop_at_first_failure=stop)
                    except Exception as exc:  # a checker bug or similar: cannot judge, never 0
                        log.warning("rlvr code_tests: %s: %s", type(exc).__name__, exc, exc_info=True)
                        return i, Score(None, Status.ERROR, f"internal error: {type(exc).__name__}: {exc}"[:300])
                    return i, self._score(res)

                workers = min(len(jobs), max(1, getattr(getattr(backend, "pool", None), "size", 1)))
                if workers == 1:
                    results = [run(j) for j in jobs]
                else:
                    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rlvr-code") as ex:
                        results = list(ex.map(run, jobs))
                for i, score in results:
                    out[i] = score
        return [s if s is not None else Score(None, Status.ERROR, "not judged") for s in out]


class CodeFormatParams(RewardParams):
    language: str = Field("python", description="required fence language (matched exactly)")
    value: float = Field(1.0, description="reward when a block is present")
    think_tag: str = "think"


@register("code_format")
class CodeFormatReward(Reward):
    """``value`` when the answer (after ``</think>``) holds a non-empty ```` ```<language> ```` block, else 0.0.

    The language is compared as a literal string (never used as a regex; ``c`` does not match
    ``cpp``). An unclosed think block means no answer: 0.0 (``bad_format``)."""

    Params = CodeFormatParams

    def tag_spec(self) -> TagSpec:
        return TagSpec.from_names(self.params.think_tag, None)

    def judge(self, sample: Sample) -> Score:
        from rlvr.verifiers.code_extract import extract_code

        p = self.params
        if extract_code(sample.text, p.language, think_tag=p.think_tag) is not None:
            return Score(p.value, Status.OK, f"```{p.language} block found")
        return Score(0.0, Status.BAD_FORMAT, f"no non-empty ```{p.language} block in the answer")


@register_preset("open_r1_code")
def open_r1_code(tests_column: str = "verification_info", backend: str = "auto", mode: str = "pass_rate",
                 format_layout: str = "open_r1") -> Any:
    """open-r1 code GRPO stack: code_tests + format, weights 1 / 0.1.

    Source: huggingface/open-r1 code recipe (``reward_funcs: [code, format]``, weights 1.0/0.1);
    ``code`` is rlvr's sandboxed, non-truncating ``code_tests`` (pass rate by default)."""
    from rlvr.rewards.stack import RewardStack

    return RewardStack([
        (get_reward("code_tests", tests_column=tests_column, backend=backend, mode=mode), 1.0),
        (get_reward("format", layout=format_layout), 0.1),
    ], name="open_r1_code")
