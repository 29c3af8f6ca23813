"""Speed of rlvr's ``math_accuracy`` on a GRPO-shaped workload, side by side with TRL's
``accuracy_reward`` on the same batch, in one process.

Workload: 64 reference answers (integers, fractions, surds, polynomials, intervals), each
repeated G=8 times as a GRPO group would; the 8 completions of a group mix correct plain
numbers, correct LaTeX in another form, wrong answers and completions without an answer,
with some reasoning before the answer. Measured:

* throughput over the whole batch (calls of 64 completions, as a trainer step would), for a
  fresh reward (empty verdict cache; worker processes already started);
* per-sample latency p50/p99 (one call per completion, fresh reward);
* worker round-trip overhead per task (a no-op handler through the deadline pool);
* deadline overshoot on hostile answers (timeout 2 s): the worst ``verify_seconds - deadline``.

Run: ``python benchmarks/bench_math_speed.py [--groups 64] [--check]``. ``--check`` exits 1
when rlvr is not 3x TRL's throughput, the overhead exceeds 1 ms/task, or a deadline is
overshot by more than 1 s.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def build_workload(groups: int, group_size: int = 8, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    completions: list[str] = []
    golds: list[str] = []
    think = "<think>Let me work it out step by step. " + "We simplify. " * 20 + "</think>\n"
    for g in range(groups):
        kind = g % 5
        a, b = rng.randint(2, 90), rng.randint(2, 90)
        if kind == 0:  # integer
            gold, alt, wrong = str(a * b), f"{a * b}.0", str(a * b + 1)
        elif kind == 1:  # fraction
            gold, alt, wrong = f"\\frac{{{a}}}{{{b + a}}}", f"{a}/{b + a}", f"\\frac{{{a + 1}}}{{{b + a}}}"
        elif kind == 2:  # surd
            gold, alt, wrong = f"{a}\\sqrt{{2}}", f"\\sqrt{{{2 * a * a}}}", f"{a}\\sqrt{{3}}"
        elif kind == 3:  # polynomial
            gold, alt, wrong = f"x^2+{2 * a}x+{a * a}", f"(x+{a})^2", f"(x+{a + 1})^2"
        else:  # interval
            gold, alt, wrong = f"[{-a}, {b})", f"[{-a},{b})", f"({-a}, {b}]"
        answers = [
            f"{think}The answer is \\boxed{{{gold}}}.",
            f"{think}So \\boxed{{{gold}}}",
            f"{think}Therefore \\boxed{{{alt}}}",
            f"{think}Hence \\boxed{{{alt}}}.",
            f"{think}We get \\boxed{{{wrong}}}",
            f"{think}We get \\boxed{{{wrong}}}",
            f"{think}I am not sure about the final value.",
            f"{think}The result is \\boxed{{{rng.randint(1, 999)}}}",
        ]
        for answer in answers[:group_size]:
            completions.append(answer)
            golds.append(gold)
    return completions, golds


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=64)
    ap.add_argument("--latency-samples", type=int, default=160)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    logging.getLogger("math_verify").setLevel(logging.ERROR)

    from rlvr import get_reward
    from rlvr.runtime.deadline_pool import DeadlinePool

    completions, golds = build_workload(args.groups)
    n = len(completions)
    chats = [[{"role": "assistant", "content": c}] for c in completions]
    print(f"workload: {args.groups} golds x 8 = {n} completions")

    # warm both sides (imports, worker start-up) on a different workload
    warm_c, warm_g = build_workload(5, seed=99)
    get_reward("math_accuracy")(completions=warm_c, solution=warm_g)
    from trl.rewards import accuracy_reward

    accuracy_reward(completions=[[{"role": "assistant", "content": c}] for c in warm_c], solution=warm_g)

    batch = 64

    def run_ours() -> list:
        reward = get_reward("math_accuracy")  # fresh verdict cache; shared warm workers
        out = []
        for i in range(0, n, batch):
            out += reward(completions=completions[i:i + batch], solution=golds[i:i + batch])
        return out

    def run_trl() -> list:
        out = []
        for i in range(0, n, batch):
            out += accuracy_reward(completions=chats[i:i + batch], solution=golds[i:i + batch])
        return out

    ours, t_ours = timed(run_ours)
    trl, t_trl = timed(run_trl)
    agree = sum((a == 1.0) == (b == 1.0) for a, b in zip(ours, trl)) / n

    # per-sample latency: one call per completion, fresh reward
    idx = list(range(0, n, max(1, n // args.latency_samples)))[: args.latency_samples]
    reward = get_reward("math_accuracy")
    lat_ours = [timed(lambda i=i: reward(completions=[completions[i]], solution=[golds[i]]))[1] for i in idx]
    lat_trl = [timed(lambda i=i: accuracy_reward(completions=[chats[i]], solution=[golds[i]]))[1] for i in idx]

    # worker round-trip overhead (no-op task)
    pool = DeadlinePool("operator:pos", workers=1)
    pool.run([0], timeout=5)
    _, t_pool = timed(lambda: pool.run(list(range(2000)), timeout=5))
    pool.close()
    overhead_ms = t_pool / 2000 * 1000

    # deadline overshoot on hostile answers
    hostile = get_reward("math_accuracy", timeout_seconds=2.0)
    h_scores = hostile.score_batch(["\\boxed{9^{9^{9^9}}}", "\\boxed{(10^6)!}", "\\boxed{2^{2^{30}}}", "\\boxed{3}"],
                                   solution=["1", "1", "1", "3"])
    overshoot = max(s.details.get("verify_seconds", 0.0) - 2.0 for s in h_scores)

    print(f"\n{'':34} {'rlvr math_accuracy':>20} {'TRL accuracy_reward':>20} {'ratio':>8}")
    print(f"{'throughput (completions/s)':34} {n / t_ours:20.1f} {n / t_trl:20.1f} {t_trl / t_ours:7.1f}x")
    print(f"{'batch wall time (s)':34} {t_ours:20.2f} {t_trl:20.2f}")
    print(f"{'latency p50 (ms, 1 completion)':34} {statistics.median(lat_ours) * 1e3:20.2f} {statistics.median(lat_trl) * 1e3:20.2f}")
    print(f"{'latency p99 (ms, 1 completion)':34} {pct(lat_ours, 0.99) * 1e3:20.2f} {pct(lat_trl, 0.99) * 1e3:20.2f}")
    print(f"{'rewarded 1.0':34} {sum(v == 1.0 for v in ours):20d} {sum(v == 1.0 for v in trl):20d}")
    print(f"verdict agreement with TRL: {agree:.3f}")
    print(f"worker round trip per task: {overhead_ms:.3f} ms")
    print(f"hostile answers: statuses {[s.status.value for s in h_scores]}, worst overshoot past the 2 s deadline: "
          f"{overshoot:+.3f} s")

    problems = []
    if t_trl / t_ours < 3.0:
        problems.append(f"throughput ratio {t_trl / t_ours:.2f} < 3")
    if overhead_ms > 1.0:
        problems.append(f"worker overhead {overhead_ms:.3f} ms > 1 ms")
    if overshoot > 1.0:
        problems.append(f"deadline overshoot {overshoot:.2f} s > 1 s")
    print("targets:", "MET" if not problems else "MISSED: " + "; ".join(problems))
    return 1 if (problems and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
