"""Judging sandbox runs on the host (rlvr.verifiers.code_judge): the sandbox reports raw facts,
verdicts are made here. Issue 14 item 5."""

from __future__ import annotations

import json

from rlvr.rewards.code import CodeTestsReward
from rlvr.sandbox.results import RunResult, SubmissionRun
from rlvr.verifiers.code_cases import call_case, stdio_case
from rlvr.verifiers.code_compare import CompareOptions
from rlvr.verifiers.code_judge import judge_run, judge_submission

STDIO = stdio_case("3\n", "6\n")
CALL = call_case("f", [], [1, 2])


def test_completed_runs_are_compared_here():
    assert judge_run(RunResult(0, "completed", stdout=b"6\n"), STDIO).status == "passed"
    wrong = judge_run(RunResult(0, "completed", stdout=b"7\n"), STDIO)
    assert wrong.status == "wrong_answer" and wrong.reason == "line 1, token 1 differs"
    assert judge_run(RunResult(0, "completed", stdout=b"6\r\n\n"), STDIO).passed
    assert judge_run(RunResult(0, "completed", value_json="[1, 2]"), CALL).passed
    assert judge_run(RunResult(0, "completed", value_json="[1, 2.0]"), CALL).status == "wrong_answer"


def test_a_call_that_completed_without_a_value_is_a_wrong_answer():
    r = judge_run(RunResult(0, "completed", reason="returned value is not JSON-serialisable"), CALL)
    assert r.status == "wrong_answer" and r.reason == "returned value is not JSON-serialisable"
    assert judge_run(RunResult(0, "completed"), CALL).status == "wrong_answer"


def test_how_a_run_ended_passes_through_with_its_facts():
    for status in ("runtime_error", "timeout", "memory_limit", "output_limit", "compile_error", "sandbox_error"):
        run = RunResult(2, status, stdout=b"6\n", exit_code=1, signal=None, cpu_ms=12.5, wall_ms=20.0,
                        max_rss_kb=900, stdout_bytes=2, stderr_tail="Traceback", reason="why")
        r = judge_run(run, STDIO)
        assert (r.status, r.reason, r.index, r.exit_code, r.cpu_ms, r.wall_ms, r.max_rss_kb, r.stdout_bytes,
                r.stderr_tail) == (status, "why", 2, 1, 12.5, 20.0, 900, 2, "Traceback")


def test_a_run_that_left_state_fails():
    dirty = RunResult(0, "completed", stdout=b"6\n", clean=False, leftovers=("file /dev/shm/x", "process 7"))
    r = judge_run(dirty, STDIO)
    assert r.status == "runtime_error"
    assert r.reason == "left state the sandbox could not remove (file /dev/shm/x, process 7)"
    r = judge_run(RunResult(0, "completed", stdout=b"7\n", clean=False), STDIO)
    assert r.status == "wrong_answer" and r.reason.endswith("; left state the sandbox could not remove (unknown state)")


def test_checker_and_options_are_used():
    loose = CompareOptions(checker=lambda stdin, expected, actual: stdin == "3\n" and actual.strip() == "six")
    assert judge_run(RunResult(0, "completed", stdout=b"six\n"), STDIO, loose).passed
    assert judge_run(RunResult(0, "completed", stdout=b"6.0000001\n"), stdio_case("", "6.0\n")).passed


def test_submission_counts_every_input_and_reuses_verdicts():
    runs = SubmissionRun([RunResult(0, "completed", stdout=b"6\n"), RunResult(1, "completed", stdout=b"5\n")],
                         n_inputs=3, backend="local", overhead_ms=4.0)
    res = judge_submission(runs, [STDIO, STDIO, STDIO])
    assert [t.status for t in res.tests] == ["passed", "wrong_answer"]
    assert (res.n_total, res.n_passed, res.backend, res.overhead_ms) == (3, 1, "local", 4.0)
    assert res.pass_rate == 1 / 3 and not res.all_passed and res.first_failure.index == 1
    made = judge_run(RunResult(1, "timeout", reason="already judged"), STDIO)
    assert judge_submission(runs, [STDIO] * 3, judged={1: made}).tests[1] is made
    failed = judge_submission(SubmissionRun([], 2, "docker", sandbox_error="engine gone"), [STDIO, STDIO])
    assert failed.sandbox_error == "engine gone" and failed.tests == []


def test_expected_outputs_are_not_in_verdicts():
    secret = stdio_case("", "SECRET_OUT\n")
    for run in (RunResult(0, "completed", stdout=b"x\n"), RunResult(0, "completed", stdout=b"x\n", clean=False)):
        assert "SECRET_OUT" not in json.dumps(judge_run(run, secret).to_dict())


def test_code_tests_has_one_judging_method():
    """Issue 14: code_tests overrides judge_batch only (the base class handles one sample)."""
    assert "judge_batch" in CodeTestsReward.__dict__ and "judge" not in CodeTestsReward.__dict__
