"""Benchmark ``rlvr score`` end to end (process start, JSON in/out, scoring, writing).

Generates a JSONL file of ROWS rows (default 100,000: strings, chat messages, some malformed
lines), then measures, in the same run:

* baseline: a plain Python loop that ``json.loads`` each line and calls each reward's
  ``score()`` one row at a time, writing ``json.dumps`` rows (no process start counted);
* ``rlvr score --workers 1`` (the installed command, end to end, in a subprocess);
* ``rlvr score --workers N`` (N = CPUs, at least 2).

Usage: ``python benchmarks/bench_cli.py [ROWS] [--reward NAME ...]`` (default rewards:
format, tag_count). Prints rows/s and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_rows(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["the", "of", "and", "to", "we", "so", "thus", "then", "let", "compute", "check", "answer", "sum", "total"]
    lines = []
    for i in range(n):
        think = " ".join(rng.choice(words) for _ in range(rng.randint(20, 80)))
        answer = str(rng.randint(0, 999))
        kind = rng.random()
        if kind < 0.6:
            completion: object = f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"
        elif kind < 0.8:
            completion = [{"role": "assistant", "content": f"<think>{think}</think> The answer is {answer}."}]
        elif kind < 0.995:
            completion = f"{think} so the answer is \\boxed{{{answer}}}"
        else:
            lines.append('{"id": "broken", "completion": ')
            continue
        lines.append(json.dumps({"id": f"r{i}", "prompt": "What is it?", "completion": completion, "solution": answer}))
    return lines


def baseline(path: Path, out: Path, rewards: list[str]) -> tuple[float, float]:
    from rlvr import get_reward

    objs = [(name, get_reward(name)) for name in rewards]
    start = time.perf_counter()
    cpu = time.process_time()
    with open(path, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for number, line in enumerate(f, 1):
            try:
                row = json.loads(line)
            except ValueError as exc:
                w.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
                continue
            fields = {k: v for k, v in row.items() if k not in ("completion", "prompt")}
            res = {}
            for name, r in objs:
                s = r.score(row["completion"], prompt=row.get("prompt"), **fields)
                res[name] = {"value": s.value, "status": s.status.value, "reason": s.reason}
            w.write(json.dumps({"line": number, "id": row.get("id"), "rewards": res}) + "\n")
    return time.perf_counter() - start, time.process_time() - cpu


def cli(path: Path, out: Path, rewards: list[str], workers: int) -> tuple[float, float]:
    exe = shutil.which("rlvr")
    cmd = [exe] if exe else [sys.executable, "-m", "rlvr.cli"]
    cmd += ["score", str(path), "-o", str(out), "--overwrite", "--workers", str(workers), "-q"]
    for r in rewards:
        cmd += ["--reward", r]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"rlvr score failed ({proc.returncode}): {proc.stderr}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", nargs="?", type=int, default=100_000)
    ap.add_argument("--reward", action="append")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per configuration")
    args = ap.parse_args()
    rewards = args.reward or ["format", "tag_count"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    par = max(2, cpus)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        lines = make_rows(args.rows)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        n = len(lines)
        size_mb = path.stat().st_size / 1e6
        out = Path(tmp) / "out.jsonl"
        configs = {
            "baseline (json.loads + reward.score per row, in-process)": lambda: baseline(path, out, rewards),
            "rlvr score --workers 1 (end to end)": lambda: cli(path, out, rewards, 1),
            f"rlvr score --workers {par} (end to end)": lambda: cli(path, out, rewards, par),
        }
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in configs}
        for _ in range(args.repeat):  # interleaved, so load from other processes hits all alike
            for label, fn in configs.items():
                runs[label].append(fn())
        print(f"{n:,} rows ({size_mb:.1f} MB), rewards {rewards}, {cpus} CPUs, best of {args.repeat}; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"  {'':<58} {'wall':>7}  {'rows/s':>10}  {'ratio':>6}  {'CPU s':>7}  {'rows/CPU-s':>10}  {'ratio':>6}")
        base_wall = n / min(w for w, _ in runs[next(iter(runs))])
        base_cpu = n / min(c for _, c in runs[next(iter(runs))])
        for label, results in runs.items():
            wall = min(w for w, _ in results)
            cpu = min(c for _, c in results)
            print(f"  {label:<58} {wall:7.2f}  {n / wall:>10,.0f}  x{n / wall / base_wall:5.2f}  {cpu:7.2f}  "
                  f"{n / cpu:>10,.0f}  x{n / cpu / base_cpu:5.2f}")


if __name__ == "__main__":
    main()
