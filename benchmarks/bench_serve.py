"""``rlvr serve`` throughput and overhead, side by side with in-process scoring (same run, same data).

    python benchmarks/bench_serve.py [--requests 16] [--batch 64] [--workers 2]

For ``format`` and ``math_accuracy``, each served alone by a real ``rlvr serve`` process on
127.0.0.1 (loopback only) and called through the client trainers use
(:func:`rlvr.adapters.remote.remote_reward`):

1. rows/s with 1 and with 8 concurrent clients (threads, each sending ``--requests`` batches of
   ``--batch`` rows), next to the same reward called in-process by the same number of threads
   (ratio = server / in-process; > 1 means the server's worker processes beat the GIL);
2. per-request overhead at batch 64: median wall time of one request through the server minus the
   median in-process time of the same batch, one client, sequential.

Bounded: 2 x (8 + 1) x ``--requests`` requests per reward. The machine may be shared: compare the
ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from rlvr import get_reward
from rlvr.adapters.remote import remote_reward


def _batch(seed: int, n: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    completions, solutions = [], []
    for _ in range(n):
        a, b = rng.randint(1, 99), rng.randint(1, 99)
        answer = rng.choice([str(a + b), str(a + b + 1), f"\\frac{{{2 * (a + b)}}}{{2}}", "x"])
        think = " ".join(rng.choice(["so", "then", str(a), str(b), "add", "carry"]) for _ in range(rng.randint(20, 200)))
        completions.append(rng.choice([f"<think>{think}</think><answer>\\boxed{{{answer}}}</answer>",
                                       f"{think} so the answer is \\boxed{{{answer}}}"]))
        solutions.append(str(a + b))
    return completions, solutions


def _start(reward: str, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("rlvr") or sys.exit("the rlvr command is not installed")
    proc = subprocess.Popen([exe, "serve", "-r", reward, "--port", str(port), "-j", str(workers),
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"rlvr serve -r {reward} did not become ready")


def _rows_per_s(func, seed: int, batch: int, clients: int, requests: int) -> float:
    """Every request gets its own fresh batch (no result cache helps either side)."""
    batches = [_batch(seed + i, batch) for i in range(clients * requests)]

    def client(c: int) -> int:
        rows = 0
        for r in range(requests):
            completions, solutions = batches[c * requests + r]
            func(completions=completions, solution=solutions)
            rows += len(completions)
        return rows

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        rows = sum(pool.map(client, range(clients)))
    return rows / (time.perf_counter() - t0)


def _median_seconds(func, seed: int, batch: int, repeats: int) -> float:
    times = []
    for i in range(repeats):
        completions, solutions = _batch(seed + i, batch)
        t0 = time.perf_counter()
        func(completions=completions, solution=solutions)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=16, help="requests per client per measurement")
    ap.add_argument("--batch", type=int, default=64, help="rows per request")
    ap.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="server scoring processes")
    args = ap.parse_args()
    warm = _batch(-1, args.batch)
    print(f"rlvr serve vs in-process: batch {args.batch}, {args.requests} requests per client, "
          f"{args.workers} server worker(s), {os.cpu_count()} CPU(s)\n")
    print(f"{'reward':<14} {'clients':>7} {'in-process rows/s':>18} {'server rows/s':>14} {'ratio':>7}")
    overheads = []
    for name in ("format", "math_accuracy"):
        local = get_reward(name)
        local(completions=warm[0], solution=warm[1])  # start deadline workers
        proc, url = _start(name, args.workers)
        try:
            remote = remote_reward(url, name=name)
            remote(completions=warm[0], solution=warm[1])
            for clients in (1, 8):
                base = _rows_per_s(local, 1000 * clients, args.batch, clients, args.requests)
                served = _rows_per_s(remote, 100_000 + 1000 * clients, args.batch, clients, args.requests)
                print(f"{name:<14} {clients:>7} {base:>18.0f} {served:>14.0f} {served / base:>7.2f}")
            t_local = _median_seconds(local, 200_000, args.batch, args.requests)
            t_remote = _median_seconds(remote, 300_000, args.batch, args.requests)
            overheads.append((name, t_local, t_remote))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    print(f"\nper-request overhead at batch {args.batch} (1 client, median of {args.requests}):")
    print(f"{'reward':<14} {'in-process ms':>14} {'server ms':>10} {'overhead ms':>12}")
    for name, t_local, t_remote in overheads:
        print(f"{name:<14} {t_local * 1e3:>14.2f} {t_remote * 1e3:>10.2f} {(t_remote - t_local) * 1e3:>12.2f}")


if __name__ == "__main__":
    main()
