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
