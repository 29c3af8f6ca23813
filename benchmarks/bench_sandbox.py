"""Sandbox throughput and latency, side by side with naive baselines measured in the same run.

    python benchmarks/bench_sandbox.py [--submissions 40] [--tests 10] [--baseline-runs 8] [--skip-docker]

Figures:
* docker pool: trivial tests/s (submissions of ``--tests`` tests, submitted from 2x pool-size
  threads) vs one hardened ``docker run --rm`` per test (the baseline), and the ratio;
* warm per-submission latency (1 trivial test, sequential) and the harness-reported overhead
  (latency minus the test's own wall time);
* time for the pool to replace a killed idle container;
* local backend tests/s vs one ``python -c`` subprocess per test;
* judged tests/s (``run_tests``: raw sandbox runs compared on the host) vs raw ``backend.run``
  tests/s (no comparison), local backend: the cost of judging outside the sandbox.
Targets (issue #5): docker >= 40 tests/s on 2 cores and >= 10x the baseline, warm overhead
<= 50 ms, replacement <= 1 s; local >= 100 tests/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from rlvr.rewards.code import run_tests
from rlvr.sandbox.limits import Limits
from rlvr.verifiers.code_cases import stdio_case

CODE = "print(int(input()) + 1)"


def cases(n: int):
    return [stdio_case(f"{i}\n", f"{i + 1}\n") for i in range(n)]


def throughput(backend, submissions: int, tests: int, threads: int) -> float:
    subs = [cases(tests) for _ in range(submissions)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        results = list(ex.map(lambda c: run_tests(backend, CODE, c, limits=Limits(cpu_s=2)), subs))
    dt = time.perf_counter() - t0
    bad = [r for r in results if not r.all_passed]
    if bad:
        raise SystemExit(f"benchmark submissions failed: {bad[0].to_dict()}")
    return submissions * tests / dt


def raw_throughput(backend, submissions: int, tests: int, threads: int) -> float:
    subs = [[c.sandbox_input() for c in cases(tests)] for _ in range(submissions)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        results = list(ex.map(lambda inputs: backend.run(CODE, inputs, limits=Limits(cpu_s=2)), subs))
    dt = time.perf_counter() - t0
    bad = [r for r in results if len(r.runs) != tests or any(not run.completed for run in r.runs)]
    if bad:
        raise SystemExit(f"benchmark submissions failed: {bad[0].to_dict()}")
    return submissions * tests / dt


def latency(backend, rounds: int = 30) -> tuple[float, float]:
    one = cases(1)
    run_tests(backend, CODE, one)
    lat, over = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        r = run_tests(backend, CODE, one)
        lat.append((time.perf_counter() - t) * 1000)
        over.append(lat[-1] - r.tests[0].wall_ms)
    return statistics.median(lat), statistics.median(over)


def docker_run_baseline(image: str, runs: int) -> float:
    argv = ["docker", "run", "--rm", "-i", "--network", "none", "--read-only", "--tmpfs", "/tmp:size=64m",
            "--memory", "1g", "--memory-swap", "1g", "--pids-limit", "128", "--cpus", "1", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--log-driver", "none", "--init", "--user", "65534:65534",
            image, "python3", "-I", "-c", CODE]
    t0 = time.perf_counter()
    for i in range(runs):
        out = subprocess.run(argv, input=f"{i}\n", capture_output=True, text=True, timeout=60).stdout
        assert out.strip() == str(i + 1), out
    return runs / (time.perf_counter() - t0)


def subprocess_baseline(runs: int) -> float:
    t0 = time.perf_counter()
    for i in range(runs):
        out = subprocess.run([sys.executable, "-I", "-c", CODE], input=f"{i}\n", capture_output=True, text=True,
                             timeout=60).stdout
        assert out.strip() == str(i + 1)
    return runs / (time.perf_counter() - t0)


def replacement_time(backend) -> tuple[float, float]:
    """(s until the killed container is out of the pool with ``size`` healthy ones serving,
    s until a brand-new container has taken its place)."""
    pool = backend.pool
    assert pool.wait_full(60)
    with pool._cond:
        victim = pool._idle[0].name
    subprocess.run(["docker", "kill", victim], capture_output=True, timeout=30)
    t0 = time.perf_counter()
    serving = None
    while True:
        with pool._cond:
            names = [h.name for h in pool._idle if h.alive()]
        now = time.perf_counter() - t0
        if serving is None and victim not in names and len(names) >= pool.size:
            serving = now
        if victim not in names and len(names) == pool.target:
            return serving if serving is not None else now, now
        if now > 60:
            return serving or float("inf"), float("inf")
        time.sleep(0.01)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=40)
    ap.add_argument("--tests", type=int, default=10)
    ap.add_argument("--baseline-runs", type=int, default=8)
    ap.add_argument("--skip-docker", action="store_true")
    args = ap.parse_args()
    print(f"cpus={os.cpu_count()}  load={os.getloadavg()[0]:.1f}  workload: {args.submissions} submissions x "
          f"{args.tests} trivial stdin/stdout tests")
    rows = []
    if not args.skip_docker:
        from rlvr.sandbox import docker_usable
        from rlvr.sandbox.docker_backend import (
            DEFAULT_IMAGE,
            DockerBackend,
            DockerConfig,
        )

        ok, why = docker_usable()
        if not ok:
            print(f"docker: not usable ({why}); use --skip-docker")
            return 1
        b = DockerBackend(DockerConfig())
        t = time.perf_counter()
        b.pool.wait_full(120)
        cold = time.perf_counter() - t
        try:
            throughput(b, 4, args.tests, b.pool.size)  # warm-up
            tps = throughput(b, args.submissions, args.tests, 2 * b.pool.size)
            lat, over = latency(b)
            base = docker_run_baseline(DEFAULT_IMAGE, args.baseline_runs)
            repl = replacement_time(b)
        finally:
            b.close()
        rows += [
            (f"docker pool (size {b.pool.size} + {b.pool.spares} spare) tests/s", f"{tps:8.1f}", ">= 40"),
            ("docker run per test (baseline) tests/s", f"{base:8.2f}", ""),
            ("ratio pool / baseline", f"{tps / base:8.1f}x", ">= 10x"),
            ("warm 1-test submission latency ms", f"{lat:8.1f}", ""),
            ("warm per-submission overhead ms", f"{over:8.1f}", "<= 50"),
            ("killed container: full capacity again in s", f"{repl[0]:8.2f}", "<= 1"),
            ("killed container: new container ready in s", f"{repl[1]:8.2f}", ""),
            ("pool cold start (all containers) s", f"{cold:8.2f}", ""),
        ]
    from rlvr.sandbox.local_backend import LocalBackend

    lb = LocalBackend()
    lb.pool.wait_full(60)
    try:
        throughput(lb, 4, args.tests, lb.pool.size)
        ltps = throughput(lb, args.submissions, args.tests, 2 * lb.pool.size)
        rtps = raw_throughput(lb, args.submissions, args.tests, 2 * lb.pool.size)
        _, lover = latency(lb)
    finally:
        lb.close()
    sbase = subprocess_baseline(max(args.baseline_runs, 20))
    rows += [
        (f"local pool (size {lb.pool.size}) tests/s", f"{ltps:8.1f}", ">= 100"),
        ("python -c per test (baseline) tests/s", f"{sbase:8.1f}", ""),
        ("ratio local / baseline", f"{ltps / sbase:8.1f}x", ""),
        ("local warm per-submission overhead ms", f"{lover:8.1f}", ""),
        ("local raw backend.run (no judging) tests/s", f"{rtps:8.1f}", ""),
        ("ratio judged / raw", f"{ltps / rtps:8.2f}x", "~1x"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value}  {('target ' + target) if target else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
