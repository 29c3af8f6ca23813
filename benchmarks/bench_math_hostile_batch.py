"""One GRPO-sized call of ``math_accuracy`` with hostile answers: wall time and verdicts.

The batch: 8 power towers (``9^{9^{9^9}}`` and kin: each runs past any deadline) spread over
56 ordinary answers that need sympy (correct and wrong), one call, a fresh verdict cache.
Side by side, in the same run:

* **rlvr default**: ``workers=2``, slow comparisons parked after ``min(0.5 s, deadline/4)``,
  the default batch budget (``2 x deadline`` for a call of this size);
* **baseline (sequential)**: the same reward with one worker, no parking and no batch budget,
  i.e. one comparison after another, each killed at its deadline (rlvr before issue 9).

Run: ``python benchmarks/bench_math_hostile_batch.py [--deadline 4]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter

TOWERS = ["9^{9^{9^9}}", "9^{9^{9^{9}}}+1", "7^{7^{7^7}}", "3^{3^{3^{3^3}}}", "5^{5^{5^5}}", "6^{6^{6^6}}",
          "\\sqrt{9^{9^{9^9}}}", "(9^{9^9})!"]


def batch() -> tuple[list[str], list[str], list[str]]:
    completions, golds, kinds = [], [], []
    for k in range(2, 30):
        completions += [f"\\boxed{{(x+{k})^2}}", f"\\boxed{{{k}\\sqrt{{2}}}}"]
        golds += [f"x^2+{2 * k}x+{k * k}", f"\\sqrt{{{2 * k * k + (k % 3 == 0)}}}"]
        kinds += ["correct", "wrong" if k % 3 == 0 else "correct"]
    for i, tower in enumerate(TOWERS):
        completions.insert(7 * i, f"\\boxed{{{tower}}}")
        golds.insert(7 * i, "2")
        kinds.insert(7 * i, "timeout")
    return completions, golds, kinds


def measure(label: str, deadline: float, **params: object) -> dict[str, object]:
    from rlvr import get_reward

    reward = get_reward("math_accuracy", timeout_seconds=deadline, **params)
    reward.score("\\boxed{x+1}", solution="1+x")  # workers started: start-up is not measured
    completions, golds, kinds = batch()
    start = time.monotonic()
    scores = reward.score_batch(completions, solution=golds)
    elapsed = time.monotonic() - start
    right = sum(s.status.value == k for s, k in zip(scores, kinds))
    return {"label": label, "seconds": elapsed, "right": right, "n": len(kinds),
            "statuses": dict(Counter(s.status.value for s in scores)),
            "budget": reward.verifier.budget_for(len(kinds))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deadline", type=float, default=4.0, help="per-comparison deadline (s)")
    args = ap.parse_args(argv)
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    d = args.deadline
    ours = measure("rlvr default (2 workers, parking, budget)", d)
    base = measure("baseline: sequential, no budget", d, workers=1, max_parked=0, batch_budget_seconds=0)
    budget = ours["budget"]
    print(f"8 hostile + 56 ordinary answers, one call, deadline {d:g} s, budget {budget:g} s")
    print(f"{'grader':44} {'wall s':>7} {'verdicts as expected':>21}  statuses")
    for r in (ours, base):
        print(f"{r['label']:44} {r['seconds']:7.2f} {r['right']:>13}/{r['n']:<7}  {r['statuses']}")
    print(f"speed-up: {base['seconds'] / ours['seconds']:.1f}x; rlvr within budget + 1 s: "
          f"{'yes' if ours['seconds'] <= budget + 1 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
