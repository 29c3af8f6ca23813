"""Batch latency of the Ray reward callable next to the in-process stack (same run, same batch).

    python benchmarks/bench_ray_rewards.py [--batch 256] [--repeats 5] [--actors 1 2] [--address ADDR]

``math_accuracy`` on GRPO-sized batches (``--batch`` completions, 8 per prompt; ``--repeats``
different batches, since a verdict cache would flatter a repeated one): the median wall time of
one call of the in-process reward, then of :func:`rlvr.adapters.ray.ray_reward` with 1 and
2 actors (each pool warmed by one call first, so actor start-up is reported apart), and the ratio
Ray / in-process (< 1: the actors' parallelism beats the fan-out's overhead). Values are checked
equal to the in-process ones. Without ``--address`` a private local Ray (CPUs = the machine's,
object store 200 MB, no dashboard) is started and shut down; with it, the cluster is used as is.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time

from rlvr import get_reward
from rlvr.adapters.ray import ray_reward


def make_batch(n: int, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    rng = random.Random(seed)
    prompts, completions, solutions = [], [], []
    for p in range(0, n, 8):
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        for _ in range(min(8, n - p)):
            answer = rng.choice([str(a + b), str(a + b - 1), f"\\frac{{{2 * (a + b)}}}{{2}}", f"{a + b}.0", "y"])
            steps = " ".join(rng.choice(["add", "carry", str(a), str(b), "so", "check"])
                             for _ in range(rng.randint(30, 300)))
            completions.append(f"<think>{steps}</think><answer>\\boxed{{{answer}}}</answer>")
            prompts.append(f"What is {a} + {b}?")
            solutions.append(str(a + b))
    return prompts, completions, solutions


def median_seconds(reward, batches, expected) -> float:
    """Median wall time of one call per batch; every batch is new to ``reward`` (math_accuracy caches
    verdicts, and a GRPO step never repeats a batch). Values must equal the in-process ones."""
    times = []
    for (prompts, completions, solutions), want in zip(batches, expected):
        t0 = time.perf_counter()
        got = reward(prompts=prompts, completions=completions, solution=solutions)
        times.append(time.perf_counter() - t0)
        assert got == want, "values differ from the in-process values"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--address", default=None, help="an existing Ray cluster (default: a private local one)")
    args = parser.parse_args()

    import ray

    tmp = None
    if args.address is None:
        tmp = tempfile.mkdtemp(prefix="rlvr-bench-ray-", dir="/tmp")
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, object_store_memory=200 * 2**20,
                 _temp_dir=tmp, log_to_driver=False)
    else:
        ray.init(address=args.address, log_to_driver=False)
    try:
        warm = make_batch(args.batch, seed=10_000)
        batches = [make_batch(args.batch, seed=i) for i in range(args.repeats)]
        reference = get_reward("math_accuracy")  # a separate instance: its cache never serves the timed calls
        expected = [reference(prompts=p, completions=c, solution=s) for p, c, s in batches]
        local = get_reward("math_accuracy")
        local(prompts=warm[0], completions=warm[1], solution=warm[2])  # math worker process up
        base = median_seconds(local, batches, expected)
        print(f"math_accuracy, batch {args.batch}, median of {args.repeats} calls "
              f"(machine: {os.cpu_count()} CPUs; ray {ray.__version__})")
        print(f"{'engine':<22}{'start s':>9}{'call ms':>10}{'rows/s':>10}{'vs in-process':>15}")
        print(f"{'in-process':<22}{'-':>9}{base * 1e3:>10.1f}{args.batch / base:>10.0f}{1.0:>15.2f}")
        for n in args.actors:
            reward = ray_reward("math_accuracy", num_actors=n)
            try:
                t0 = time.perf_counter()
                reward(prompts=warm[0], completions=warm[1], solution=warm[2])  # starts the actors
                start = time.perf_counter() - t0
                took = median_seconds(reward, batches, expected)
                print(f"{f'ray, {n} actor(s)':<22}{start:>9.1f}{took * 1e3:>10.1f}{args.batch / took:>10.0f}"
                      f"{took / base:>15.2f}")
            finally:
                reward.shutdown()
    finally:
        ray.shutdown()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
