"""How `rlvr score --engine local` scales with worker processes, and what the parent costs.

Generates ROWS math rows (default 40,000, the rows of ``bench_cli.py``: think blocks, answers
in tags, boxes and phrases, some malformed lines), then for each worker count (1, 2, 4, ... up
to the CPUs, and the CPU count itself) runs one fresh Python process that scores the file with
``run_scoring`` (what ``rlvr score`` runs after parsing its arguments) and measures:

* ``score s`` / ``rows/s``: the scoring phase (from opening the input to the last row written);
* ``eff``: scaling efficiency throughput(n) / (n x throughput(1)), the baseline being the
  1-worker run of the same series in the same run;
* ``e2e rows/s`` / ``e2e eff``: the same for the whole process (interpreter start, imports,
  building the reward stack: a fixed cost that caps efficiency on small inputs);
* ``parent us/row``: CPU time (user + system) of the parent process per row during scoring:
  the serial part; ``ceiling`` = 1 / that, the most rows/s any number of workers can reach;
  ``share`` = parent CPU / (parent + worker CPU);
* ``workers us/row``: CPU time of the worker processes per row (a growing figure with more
  workers means per-worker overhead). Helper processes a worker starts (math-verify worker
  pools) are not reaped by it and so not counted.

``--compare-src DIR`` runs every configuration a second time with ``PYTHONPATH=DIR`` (e.g. an
exported older ``src`` folder) and prints both series side by side.

Usage: ``python benchmarks/bench_local_engine.py [ROWS] [--reward SPEC ...] [--workers 1,2,4]
[--repeat N] [--compare-src DIR]``. Runs unchanged on a laptop, a 16-core box or bigger.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import make_rows  # noqa: E402

HARNESS = r"""
import json, os, resource, sys, time
from rlvr.scoring.plan import build_plan
from rlvr.scoring.runner import ScoreOptions, run_scoring
inp, out, summary, workers, rewards = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
plan = build_plan(rewards)
opts = ScoreOptions(input=inp, plan=plan, output=out, workers=workers, overwrite=True, quiet=True,
                    summary_json=summary, progress=False)
def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime
p0, c0, t0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
code = run_scoring(opts)
wall = time.perf_counter() - t0
p1, c1 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
s = json.load(open(summary))
print(json.dumps({"code": code, "rows": s["rows"], "wall": wall, "parent_cpu": p1 - p0, "child_cpu": c1 - c0}))
"""


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_counts(limit: int) -> list[int]:
    counts, n = [], 1
    while n < limit:
        counts.append(n)
        n *= 2
    return counts + [limit]


def run_once(src_dir: str | None, inp: Path, tmp: Path, workers: int, rewards: list[str]) -> dict:
    env = dict(os.environ)
    if src_dir:
        env["PYTHONPATH"] = os.pathsep.join([src_dir, env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-c", HARNESS, str(inp), str(tmp / "out.jsonl"), str(tmp / "summary.json"), str(workers),
           *rewards]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    e2e = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the harness failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["code"] not in (0, 1):
        raise SystemExit(f"rlvr scoring ended with exit code {result['code']}")
    result["e2e"] = e2e
    return result


def best(results: list[dict]) -> dict:
    return min(results, key=lambda r: r["wall"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", nargs="?", type=int, default=40_000)
    ap.add_argument("--reward", action="append", help="reward spec (default: math_accuracy, format=0.5)")
    ap.add_argument("--workers", help="comma-separated worker counts (default: 1, 2, 4, ... up to the CPUs)")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per configuration")
    ap.add_argument("--compare-src", metavar="DIR", help="also run with PYTHONPATH=DIR (another rlvr src folder)")
    args = ap.parse_args()
    rewards = args.reward or ["math_accuracy", "format=0.5"]
    counts = [int(x) for x in args.workers.split(",")] if args.workers else worker_counts(cpus())
    if counts[0] != 1:
        counts = [1] + counts
    series = {"this tree": None}
    if args.compare_src:
        series = {"compare": args.compare_src, "this tree": None}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inp = tmp / "bench.jsonl"
        inp.write_text("\n".join(make_rows(args.rows)) + "\n", encoding="utf-8")
        size_mb = inp.stat().st_size / 1e6
        runs: dict[tuple[str, int], list[dict]] = {}
        for _ in range(args.repeat):  # interleaved, so load from other processes hits every configuration alike
            for workers in counts:
                for label, src in series.items():
                    runs.setdefault((label, workers), []).append(run_once(src, inp, tmp, workers, rewards))
        print(f"{args.rows:,} rows ({size_mb:.1f} MB), rewards {rewards}, {cpus()} CPUs, best of {args.repeat}; "
              f"load average {os.getloadavg()[0]:.1f}")
        head = (f"  {'series':<10} {'workers':>7} {'score s':>8} {'rows/s':>9} {'eff':>5}  {'e2e rows/s':>10} "
                f"{'e2e eff':>7}  {'parent us/row':>13} {'ceiling rows/s':>14} {'share':>6}  {'workers us/row':>14}")
        print(head)
        for label in series:
            one = best(runs[(label, 1)])
            base, base_e2e = one["rows"] / one["wall"], one["rows"] / one["e2e"]
            for workers in counts:
                r = best(runs[(label, workers)])
                rows = r["rows"]
                rate, rate_e2e = rows / r["wall"], rows / r["e2e"]
                parent_us = r["parent_cpu"] / rows * 1e6
                total_cpu = r["parent_cpu"] + r["child_cpu"]
                print(f"  {label:<10} {workers:>7} {r['wall']:8.2f} {rate:9,.0f} {rate / (workers * base):5.2f}  "
                      f"{rate_e2e:10,.0f} {rate_e2e / (workers * base_e2e):7.2f}  {parent_us:13.2f} "
                      f"{1e6 / parent_us if parent_us else float('inf'):14,.0f} {r['parent_cpu'] / total_cpu:6.1%}  "
                      f"{r['child_cpu'] / rows * 1e6:14.2f}")
        if args.compare_src:
            ratios = [best(runs[("compare", w)])["wall"] / best(runs[("this tree", w)])["wall"] for w in counts]
            print("  rows/s this tree / compare (scoring phase): "
                  + ", ".join(f"{w} workers x{ratio:.2f}" for w, ratio in zip(counts, ratios)))


if __name__ == "__main__":
    main()
