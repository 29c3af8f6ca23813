"""Hostile maths answers end as ``timeout`` or ``wrong`` within the deadline; the worker is
respawned and the rest of the batch is scored normally. Also: calls from threads and asyncio."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from rlvr import Status, get_reward

DEADLINE = 2.0


def nested_fraction(levels: int) -> str:
    text = "1"
    for _ in range(levels):
        text = "\\frac{1}{1+" + text + "}"
    return text


HOSTILE = {
    "tower": "\\boxed{9^{9^{9^9}}}",
    "python_power": "\\boxed{10**10**10}",
    "factorial": "\\boxed{(10^6)!}",
    "huge_power": "\\boxed{2^{2^{30}}}",
    "nested_fraction": "\\boxed{" + nested_fraction(100) + "}",
    "megabyte": "x = " + "1+" * 500_000 + "\\boxed{" + "9" * 900 + "}",
    "unbalanced": "\\boxed{\\frac{1}{2}" + "{" * 10_000,
    "macro_bomb": "\\boxed{" + "\\def\\a{\\a\\a}" * 20 + "\\a}",
    "braces_bomb": "\\boxed{" + "{" * 400 + "1" + "}" * 400 + "}",
}


@pytest.fixture(scope="module")
def acc():
    # a generous answer cap so that the nested fraction reaches sympy; a deadline that kills
    return get_reward("math_accuracy", timeout_seconds=DEADLINE, max_answer_chars=5000)


def test_hostile_batch_then_normal_samples(acc):
    names = list(HOSTILE)
    completions = [HOSTILE[n] for n in names] + ["\\boxed{\\frac{6}{4}}", "\\boxed{7}"]
    start = time.monotonic()
    scores = acc.score_batch(completions, solution=["2"] * len(names) + ["3/2", "8"])
    elapsed = time.monotonic() - start
    for name, s in zip(names, scores):
        assert s.status in (Status.TIMEOUT, Status.WRONG, Status.NO_ANSWER), (name, s)
        assert s.value == 0.0, (name, s)
        assert s.details.get("verify_seconds", 0.0) <= DEADLINE + 1.0, (name, s)
    assert scores[-2].status == Status.CORRECT and scores[-1].status == Status.WRONG
    assert any(s.status == Status.TIMEOUT for s in scores)  # at least one worker was killed ...
    # ... and the batch did not wait for any hostile computation to finish
    assert elapsed < len(names) * (DEADLINE + 6)


def test_worker_respawned_after_timeout(acc):
    s = acc.score("\\boxed{9^{9^{9^9}}}", solution="3")
    assert s.status == Status.TIMEOUT and s.details["verify_seconds"] <= DEADLINE + 1.0
    assert acc.score("\\boxed{\\sqrt{9}}", solution="3").status == Status.CORRECT


def test_timeout_value_is_configurable():
    r = get_reward("math_accuracy", timeout_seconds=1.0, timeout_value=None)
    s = r.score("\\boxed{9^{9^{9^9}}}", solution="1")
    assert s.status == Status.TIMEOUT and s.value is None


def test_called_from_threads_at_once():
    acc = get_reward("math_accuracy", timeout_seconds=DEADLINE, workers=2)
    results: dict[int, list] = {}

    def call(i: int) -> None:
        results[i] = acc(completions=[f"\\boxed{{\\sqrt{{{i * i}}}}}", "\\boxed{10**10**10}", f"\\boxed{{{i}}}"],
                         solution=[str(i), "1", str(i)])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results == {i: [1.0, 0.0, 1.0] for i in range(2, 6)}


def test_called_from_asyncio_background_thread(acc):
    async def main():
        calls = [acc.as_async()(completions=["\\boxed{\\frac{2}{4}}", "\\boxed{10**10**10}"], solution=["1/2", "1"])
                 for _ in range(3)]
        return await asyncio.gather(*calls)

    assert asyncio.run(main()) == [[1.0, 0.0]] * 3


# ----------------------------------------------------------------------------- a hostile GRPO group
POWER_TOWERS = ["9^{9^{9^9}}", "9^{9^{9^{9}}}+1", "7^{7^{7^7}}", "3^{3^{3^{3^3}}}", "5^{5^{5^5}}", "6^{6^{6^6}}",
                "\\sqrt{9^{9^{9^9}}}", "(9^{9^9})!"]


def test_hostile_answers_cannot_stall_a_batch():
    """8 power towers among 56 ordinary answers in one call: the call ends within its batch
    budget (default 2 x the per-comparison deadline) + 1 s, the towers are ``timeout`` (0.0),
    and every ordinary answer gets its real verdict (they are not queued behind the towers)."""
    deadline = 4.0
    acc = get_reward("math_accuracy", timeout_seconds=deadline)
    assert acc.verifier.budget_for(64) == 2 * deadline  # the default budget of this call
    acc.score("\\boxed{x+1}", solution="1+x")  # workers started (start-up is not what is measured)
    completions, golds, expected = [], [], []
    for k in range(2, 30):  # 56 answers that need sympy (no string or number fast path)
        completions += [f"\\boxed{{(x+{k})^2}}", f"\\boxed{{{k}\\sqrt{{2}}}}"]
        golds += [f"x^2+{2 * k}x+{k * k}", f"\\sqrt{{{2 * k * k + (k % 3 == 0)}}}"]
        expected += [Status.CORRECT, Status.WRONG if k % 3 == 0 else Status.CORRECT]
    for i, tower in enumerate(POWER_TOWERS):  # spread over the batch, as in a GRPO group
        completions.insert(7 * i, f"\\boxed{{{tower}}}")
        golds.insert(7 * i, "2")
        expected.insert(7 * i, Status.TIMEOUT)
    start = time.monotonic()
    scores = acc.score_batch(completions, solution=golds)
    elapsed = time.monotonic() - start
    assert elapsed <= 2 * deadline + 1.0, elapsed
    assert [s.status for s in scores] == expected, [(c, s.status.value) for c, s in zip(completions, scores)]
    assert all(s.value == 0.0 for s, e in zip(scores, expected) if e == Status.TIMEOUT)
    # a later call is not poisoned: budget timeouts are not cached, the pool is healthy
    assert acc.score("\\boxed{(x+2)^2}", solution="x^2+4x+4").status == Status.CORRECT


def test_batch_budget_is_a_parameter():
    r = get_reward("math_accuracy", timeout_seconds=4, batch_budget_seconds=5, workers=3, max_parked=2)
    assert (r.verifier.budget_for(64), r.verifier.workers, r.verifier.max_parked) == (5, 3, 2)
    assert get_reward("math_accuracy", timeout_seconds=4, batch_budget_seconds=0).verifier.budget_for(64) is None
    auto = get_reward("math_accuracy", timeout_seconds=10).verifier
    assert auto.budget_for(64) == 20  # a GRPO step: 2 x the deadline
    assert auto.budget_for(1000) == 125  # an offline batch is not cut short by a step's budget


def test_a_comparison_that_crashes_its_worker_scores_zero_not_none():
    """An answer can crash a worker (memory, native code): that must be a 0, never a None that
    drops the sample from the loss. Only 'no worker could start' (outside the submission) is None."""
    from rlvr.math import Verdict

    acc = get_reward("math_accuracy")
    crashed = acc._to_score([Verdict(Status.ERROR, "worker died (exit code -9)", "worker")], {})
    assert (crashed.value, crashed.status) == (0.0, Status.WRONG) and "verify_error" in crashed.details
    infra = acc._to_score([Verdict(Status.ERROR, "could not start a worker", "infrastructure")], {})
    assert infra.value is None and infra.status == Status.ERROR
