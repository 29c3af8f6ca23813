"""How `rlvr score` scales with workers: the local engine (worker processes) vs the Ray engine (actors).

Generates its own input, then for every worker count (1, 2, 4, ... up to the CPUs, and the CPU
count itself) runs the installed ``rlvr score`` once per engine on the same file, in the same run,
and prints side by side:

* ``rows/s``: output rows per second of the scoring phase (the summary's ``seconds``: from opening
  the input to the last row written; for Ray this includes starting the actors, but not connecting
  to or starting Ray itself, shown apart as ``init s``);
* ``eff``: scaling efficiency throughput(n) / (n x throughput(1)) against the same engine's
  1-worker run of this series;
* ``steady``: Ray rows/s after the first chunk came back (actor start-up excluded), and its
  efficiency; what a long run converges to;
* ``ray/local``: Ray's rows/s over the local engine's at the same worker count, and
  ``overhead`` = local/ray - 1 (end to end and steady).

Suites: ``math`` (``-r math_accuracy -r format=0.5``, ROWS rows, default 40,000: the rows of
``bench_cli.py``) and ``code`` (``-r code_tests``, CODE_ROWS generated programs, 4 stdin tests
each, in the Docker sandbox; ``--code-backend local`` on a machine without Docker).

Usage::

    python benchmarks/bench_scale.py                        # both suites, 1, 2, 4... up to the CPUs
    python benchmarks/bench_scale.py --suite math --rows 40000 --workers 1,2,4,8,16
    python benchmarks/bench_scale.py --address 10.0.0.5:6379 --workers 8,16,32   # a real cluster

With ``--address`` the Ray engine runs on that cluster (the local engine still on this machine).
Runs unchanged on a laptop, a 16-core box or a cluster head node. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import make_rows  # noqa: E402

MATH_REWARDS = ["-r", "math_accuracy", "-r", "format=0.5"]

ADD = "a, b = map(int, input().split())\nprint(a + b)"
WRONG = "a, b = map(int, input().split())\nprint(a - b)"
SLOWISH = "import math\na, b = map(int, input().split())\nprint(sum(1 for _ in range(20000)) * 0 + a + b)"


def make_code_rows(n: int, seed: int = 0) -> list[str]:
    """Stdin/stdout programs (open-r1 ``verification_info`` layout): right, wrong, slower, no code."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cases = []
        for _ in range(4):
            a, b = rng.randint(-99, 99), rng.randint(-99, 99)
            cases.append({"input": f"{a} {b}\n", "output": f"{a + b}\n", "type": "stdin_stdout"})
        kind = rng.random()
        body = ADD if kind < 0.5 else WRONG if kind < 0.8 else SLOWISH if kind < 0.95 else None
        completion = f"<think>\nadd\n</think>\n```python\n{body}\n```" if body else "I cannot write it."
        rows.append(json.dumps({"id": f"c{i}", "completion": completion,
                                "verification_info": {"language": "python", "test_cases": cases}}))
    return rows


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_workers() -> list[int]:
    n, out, w = cpus(), [], 1
    while w < n:
        out.append(w)
        w *= 2
    return out + [n]


def rlvr_command() -> list[str]:
    exe = Path(sys.executable).parent / "rlvr"
    return [str(exe)] if exe.exists() else [shutil.which("rlvr") or "rlvr"]


def run_once(inp: Path, rewards: list[str], engine: str, workers: int, work: Path, env: dict,
             extra: list[str]) -> dict:
    out, summary = work / f"out-{engine}-{workers}.jsonl", work / f"summary-{engine}-{workers}.json"
    cmd = rlvr_command() + ["score", str(inp), *rewards, "-o", str(out), "--overwrite", "-q", "--workers",
                            str(workers), "--engine", engine, "--summary-json", str(summary), *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    data = json.loads(summary.read_text())
    rows, seconds = data["new_rows"], data["seconds"]
    result = {"rows": rows, "seconds": seconds, "rate": rows / seconds, "wall": wall, "digest": out.read_bytes()}
    timing = data.get("ray_run") or {}
    if timing:
        first_s, first_rows = timing["first_result_s"], timing["first_rows"]
        steady_s = max(seconds - first_s, 1e-9)
        result.update(first_s=first_s, steady=(rows - first_rows) / steady_s, init=wall - seconds)
    out.unlink()
    return result


def fmt(x: float | None, spec: str = ".0f") -> str:
    return "-" if x is None else format(x, spec)


def run_suite(name: str, inp: Path, rewards: list[str], workers: list[int], work: Path, env: dict,
              ray_extra: list[str], engines: list[str]) -> None:
    print(f"\n== {name}: {sum(1 for _ in open(inp, 'rb'))} input lines, rewards {' '.join(rewards)}", flush=True)
    results: dict[tuple[str, int], dict] = {}
    for n in workers:
        for engine in engines:
            results[engine, n] = run_once(inp, rewards, engine, n, work, env, ray_extra if engine == "ray" else [])
            r = results[engine, n]
            print(f"   {engine:5} {n:3} workers: {r['rows']} rows in {r['seconds']:.2f} s", flush=True)
            if ("local", n) in results and ("ray", n) in results:
                assert results["local", n]["digest"] == results["ray", n]["digest"], "engines disagree"
    head = (f"{'workers':>7} | {'local rows/s':>12} {'eff':>5} | {'ray rows/s':>10} {'eff':>5} {'steady':>8} "
            f"{'eff':>5} {'start s':>7} {'init s':>6} | {'ray/local':>9} {'overhead':>8} {'steady ovh':>10}")
    print(head)
    print("-" * len(head))
    base = {e: results.get((e, workers[0])) for e in engines}
    one = workers[0]
    for n in workers:
        loc, ray = results.get(("local", n)), results.get(("ray", n))
        cells = [f"{n:>7}"]
        if loc:
            cells.append(f"| {loc['rate']:>12.0f} {loc['rate'] / (n / one * base['local']['rate']):>5.2f}")
        else:
            cells.append(f"| {'-':>12} {'-':>5}")
        if ray:
            b = base["ray"]
            eff = ray["rate"] / (n / one * b["rate"])
            steady_eff = ray["steady"] / (n / one * b["steady"])
            cells.append(f"| {ray['rate']:>10.0f} {eff:>5.2f} {ray['steady']:>8.0f} {steady_eff:>5.2f} "
                         f"{ray['first_s']:>7.2f} {ray['init']:>6.2f}")
        else:
            cells.append(f"| {'-':>10} {'-':>5} {'-':>8} {'-':>5} {'-':>7} {'-':>6}")
        if loc and ray:
            cells.append(f"| {ray['rate'] / loc['rate']:>9.2f} {loc['rate'] / ray['rate'] - 1:>+8.0%} "
                         f"{loc['rate'] / ray['steady'] - 1:>+10.0%}")
        print(" ".join(cells))
    print(f"(eff against each engine's {one}-worker run; {cpus()} CPUs here; output identical across engines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=("math", "code", "all"), default="all")
    parser.add_argument("--rows", type=int, default=40_000, help="math rows (default 40,000)")
    parser.add_argument("--code-rows", type=int, default=400, help="code_tests rows (default 400)")
    parser.add_argument("--code-backend", choices=("docker", "local"), default="docker",
                        help="code_tests sandbox (local: no Docker needed, not a security boundary)")
    parser.add_argument("--workers", default=None, help="comma-separated worker counts (default 1,2,4... CPUs)")
    parser.add_argument("--engines", default="local,ray", help="which engines (default local,ray)")
    parser.add_argument("--address", default=None, help="Ray cluster address for the Ray engine (default: a "
                                                        "local Ray instance per run)")
    parser.add_argument("--chunk-size", type=int, default=None, help="pass --chunk-size to both engines")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")] if args.workers else default_workers()
    engines = [e for e in args.engines.split(",") if e]
    work = Path(tempfile.mkdtemp(prefix="rlvr-bench-scale-", dir="/tmp"))
    env = dict(os.environ, RAY_TMPDIR=str(work / "ray"))
    (work / "ray").mkdir()
    ray_extra = ["--address", args.address] if args.address else []
    common = ["--chunk-size", str(args.chunk_size)] if args.chunk_size else []
    try:
        if args.suite in ("math", "all"):
            inp = work / "math.jsonl"
            inp.write_text("\n".join(make_rows(args.rows)) + "\n", encoding="utf-8")
            run_suite("math_accuracy + format=0.5", inp, MATH_REWARDS + common, workers, work, env, ray_extra,
                      engines)
        if args.suite in ("code", "all"):
            inp = work / "code.jsonl"
            inp.write_text("\n".join(make_code_rows(args.code_rows)) + "\n", encoding="utf-8")
            rewards = ["-r", "code_tests", "-p", f"code_tests.backend={args.code_backend}"]
            run_suite(f"code_tests ({args.code_backend} sandbox)", inp, rewards + common, workers, work, env,
                      ray_extra, engines)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
