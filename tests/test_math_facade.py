"""The two-call maths facade (``rlvr.math.extract`` then ``rlvr.math.verify``), the package
layout it stands on, and ``Verdict.status`` as the :class:`~rlvr.score.Status` enum."""

from __future__ import annotations

import doctest
import importlib.util
import os
import subprocess
import sys
import threading

import pytest

import rlvr.math
from rlvr import get_reward
from rlvr.math import Extraction, Verdict, VerifyConfig
from rlvr.rewards.base import RewardConfigError
from rlvr.score import Status


def test_package_docstring_example_runs():
    result = doctest.testmod(rlvr.math, verbose=False)
    assert result.attempted >= 3 and result.failed == 0


def test_extract_then_verify_gold_first():
    found = rlvr.math.extract("<think>maybe \\boxed{3}</think> so the result is \\boxed{x^2+2x+1}")
    assert isinstance(found, Extraction) and (found.answer, found.path) == ("x^2+2x+1", "boxed")
    verdict = rlvr.math.verify("(x+1)^2", found.answer)
    assert isinstance(verdict, Verdict) and verdict.status is Status.CORRECT and verdict.correct
    assert rlvr.math.verify("(x+1)^2", "x^2+1").status is Status.WRONG
    # an interval gold accepts no inequality unless the policy says so: the gold decides
    assert rlvr.math.verify("(1, \\infty)", "x > 1").status is Status.WRONG
    assert rlvr.math.verify("(1, \\infty)", "x > 1",
                            config=VerifyConfig(allow_set_relation_comp=True)).status is Status.CORRECT


def test_no_answer_is_an_extraction_path_not_a_verdict():
    found = rlvr.math.extract("<think>still thinking \\boxed{2}")
    assert found.answer is None and found.path == "unclosed_think" and not found.found


@pytest.mark.parametrize("gold, answer, status, path", [
    ("42", "42.0", Status.CORRECT, "numeric"),
    ("\\frac{1}{2}", "0.5", Status.CORRECT, "numeric"),
    ("(1, 2)", "(2, 1)", Status.WRONG, "tuple"),
    ("C", "C. x = 42", Status.CORRECT, "choice"),
    ("2\\sqrt{2}", "\\sqrt{8}", Status.CORRECT, "sympy"),
    ("", "5", Status.GOLD_UNPARSEABLE, "string"),
])
def test_every_stage_returns_the_status_enum(gold, answer, status, path):
    verdict = rlvr.math.verify(gold, answer)
    assert type(verdict.status) is Status and (verdict.status, verdict.path) == (status, path)
    again = rlvr.math.verify(gold, answer)  # a cache hit keeps the enum too
    assert type(again.status) is Status and again.status is status


def test_a_timeout_verdict_is_the_status_enum():
    verdict = rlvr.math.verify("2", "9^{9^{9^{9^{9}}}}", timeout=0.5)
    assert verdict.status is Status.TIMEOUT and verdict.path in ("deadline", "budget")


def test_verdict_takes_status_names_and_refuses_unknown_ones():
    assert Verdict("wrong").status is Status.WRONG
    assert Verdict(Status.TIMEOUT, "slow", "deadline").status is Status.TIMEOUT
    with pytest.raises(ValueError):
        Verdict("kinda")


def test_import_stays_light():
    code = ("import sys, rlvr.math, rlvr.runtime\n"
            "heavy = [m for m in ('sympy', 'math_verify', 'latex2sympy2_extended', 'torch') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_old_module_paths_are_gone():
    for old in ("rlvr.verifiers.math_equivalence", "rlvr.verifiers.math_extract", "rlvr.verifiers.math_lookalikes",
                "rlvr.verifiers.deadline_pool", "rlvr.verifiers.deadline_worker"):
        assert importlib.util.find_spec(old) is None, old
    for new in ("rlvr.math.extraction", "rlvr.math.normalise", "rlvr.math.numbers", "rlvr.math.structures",
                "rlvr.math.symbolic", "rlvr.math.verifier", "rlvr.math.verdict", "rlvr.runtime.deadline_pool",
                "rlvr.runtime.deadline_worker"):
        assert importlib.util.find_spec(new) is not None, new


def test_verify_off_the_main_thread():
    out: list[Verdict] = []
    thread = threading.Thread(target=lambda: out.append(rlvr.math.verify("\\frac{\\pi}{3}", "\\frac{2\\pi}{6}")))
    thread.start()
    thread.join(60)
    assert out and out[0].status is Status.CORRECT and out[0].path == "sympy"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_verify_after_fork_uses_fresh_workers_in_the_child():
    assert rlvr.math.verify("x^2-1", "(x-1)(x+1)").status is Status.CORRECT  # the parent's pool is running
    pid = os.fork()
    if pid == 0:  # child: a pair the parent never saw, so it needs a worker of the child's own
        code = 1
        try:
            code = 0 if rlvr.math.verify("x^3-1", "(x-1)(x^2+x+1)").status is Status.CORRECT else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert rlvr.math.verify("x^2-4", "(x-2)(x+2)").status is Status.CORRECT  # the parent's pool still works


def test_math_rewards_reject_overlapping_tags_when_built():
    with pytest.raises(RewardConfigError, match="overlap"):
        get_reward("math_accuracy", answer_open="<think>", answer_close="</think>")
    with pytest.raises(RewardConfigError, match="overlap"):
        get_reward("numeric_answer", think_tag="answer", answer_tag="answer")


def test_reasoning_content_is_rebuilt_with_the_rewards_own_think_tags():
    # the reasoning holds a decoy box; only the content's box is the answer
    message = [{"role": "assistant", "reasoning_content": "first \\boxed{1}", "content": "so \\boxed{2}"}]
    acc = get_reward("math_accuracy", think_tag="reasoning")
    assert acc.tag_spec().think_open == "<reasoning>"
    assert acc.score(message, solution="2").status is Status.CORRECT
    unsloth = get_reward("numeric_answer", think_open="<start_working_out>", think_close="<end_working_out>",
                         prefilled=True)
    assert (unsloth.tag_spec().think_open, unsloth.tag_spec().think_close) == ("<start_working_out>",
                                                                             "<end_working_out>")
    assert unsloth.score(message, answer="2").status is Status.CORRECT
