"""Countdown reward throughput, side by side with a TinyZero-style baseline measured in the same run.

    python benchmarks/bench_countdown.py [--n 5000] [--repeats 7]

Prints completions per second per core (single process; CPU time, so other load on a shared
machine does not count against us) and wall-clock figures, best of ``--repeats``.

Baseline: the *approach* of TinyZero's ``compute_score`` (regex for the last ``<answer>``, a
character whitelist, sorted ``\\d+`` numbers, ``eval`` with no builtins, 1e-5 tolerance),
re-written here and run only on this benchmark's own safe inputs (no ``**``): it is unsafe on
model output, which is the point of rlvr's verifier.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time

from _timing import best_rate

from rlvr import get_reward
from rlvr.tasks import countdown_rows
from rlvr.verifiers.countdown import parse_numbers, parse_target, verify_countdown

_ANSWER = re.compile(r"<answer>(.*?)</answer>")
_WHITELIST = re.compile(r"^[\d+\-*/().\s]+$")


def tinyzero_style(completion: str, target: int, numbers: list[int]) -> float:
    """Baseline (benchmark inputs only): 1.0 correct, 0.1 wrong, 0 no answer."""
    matches = list(_ANSWER.finditer(completion))
    if not matches:
        return 0.0
    equation = matches[-1].group(1).strip()
    try:
        used = [int(n) for n in re.findall(r"\d+", equation)]
        if sorted(used) != sorted(numbers) or not _WHITELIST.match(equation):
            return 0.1
        result = eval(equation, {"__builtins__": None}, {})  # noqa: S307 - safe benchmark inputs only
        return 1.0 if abs(result - target) < 1e-5 else 0.1
    except Exception:
        return 0.1


def make_batch(n: int, seed: int = 0) -> tuple[list[str], list[int], list[list[int]]]:
    """Realistic completions: ~300 chars of thinking, then a correct (60%), wrong-value (20%),
    wrong-numbers (10%) or missing (10%) answer."""
    rng = random.Random(seed)
    rows = list(countdown_rows(n, seed=seed))
    completions = []
    for r in rows:
        nums = r["nums"]
        think = (f"<think>We have {nums} and need {r['target']}. Let me try {nums[0]} + {nums[1]} first, "
                 f"then combine with the rest. {nums[-1]} * 2 is too big, so subtract instead. "
                 "Checking each step carefully before answering.</think>\n")
        roll = rng.random()
        if roll < 0.6:
            answer = f"<answer>{r['solution']}</answer>"
        elif roll < 0.8:
            answer = f"<answer>{' + '.join(map(str, nums))}</answer>"
        elif roll < 0.9:
            answer = f"<answer>{nums[0]} * {nums[0]}</answer>"
        else:
            answer = "I could not find it."
        completions.append(think + answer)
    return completions, [r["target"] for r in rows], [r["nums"] for r in rows]




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)

    completions, targets, nums = make_batch(args.n)
    reward = get_reward("countdown", correct_score=1.0, wrong_score=0.1, no_answer_score=0.0)
    ours = reward(completions=completions, target=targets, nums=nums)
    theirs = [tinyzero_style(c, t, ns) for c, t, ns in zip(completions, targets, nums)]
    agree = sum(a == b for a, b in zip(ours, theirs)) / len(ours)

    equations = [m.group(1) if (m := list(_ANSWER.finditer(c))) and (m := m[-1]) else "" for c in completions]
    gold = [(parse_target(t), parse_numbers(ns)) for t, ns in zip(targets, nums)]
    rows = [
        ("countdown reward (rlvr, TRL __call__)",
         lambda: reward(completions=completions, target=targets, nums=nums)),
        ("verify_countdown only (rlvr)",
         lambda: [verify_countdown(e, t, ns) for e, (t, ns) in zip(equations, gold)]),
        ("baseline: TinyZero-style regex + eval",
         lambda: [tinyzero_style(c, t, ns) for c, t, ns in zip(completions, targets, nums)]),
    ]
    print(f"countdown: {args.n} completions (~{sum(map(len, completions)) // len(completions)} chars each), "
          f"best of {args.repeats}; agreement with baseline on these safe inputs: {agree:.1%}")
    print(f"{'scorer':42s} {'per core (cpu)':>16s} {'wall':>12s}")
    results = {}
    for name, fn in rows:
        cpu, wall = best_rate(fn, args.n, args.repeats)
        results[name] = cpu
        print(f"{name:42s} {cpu:14,.0f}/s {wall:10,.0f}/s")
    base = results["baseline: TinyZero-style regex + eval"]
    main_rate = results["countdown reward (rlvr, TRL __call__)"]
    print(f"ratio rlvr reward / baseline: {main_rate / base:.2f}x   target >= 20,000/s per core: "
          f"{'met' if main_rate >= 20_000 else 'NOT met'}")

    hostile = "<think>x</think><answer>95**88**72**3</answer>"
    t = time.perf_counter()
    value = reward(completions=[hostile], target=[95], nums=[[95, 88, 72, 3]])
    print(f"hostile '95**88**72**3': rlvr value {value[0]} in {(time.perf_counter() - t) * 1e6:.0f} us "
          "(the baseline's eval would not return)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
