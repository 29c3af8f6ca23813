"""Benchmark Ctrl-C on ``rlvr score --workers 2``: time from SIGINT to process exit.

Generates a JSONL file (the rows of ``bench_cli.py``), then, in the same run:

* baseline: a bare Python process whose SIGINT handler calls ``os._exit(130)`` (the floor:
  signal delivery and process exit on this machine, under the same load);
* ``rlvr score --workers 2 -o OUT --resume`` (the installed command), interrupted N times
  (default 50) at random points while it writes rows: one SIGINT, or two 2 ms apart,
  alternately to the main process and to the whole process group (as a terminal's Ctrl-C);
  each run continues the previous one's output.

Each interrupted run must exit 130 with one line on stderr; at the end a last ``--resume``
completes the file, which must equal an uninterrupted run's output byte for byte (nothing lost
or duplicated). Prints max, p95 and median interrupt-to-exit times side by side.

Usage: ``python benchmarks/bench_cli_interrupt.py [--interrupts 50] [--rows 40000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cli import make_rows  # noqa: E402

BASELINE = "import os, signal, time\nsignal.signal(signal.SIGINT, lambda *a: os._exit(130))\ntime.sleep(600)\n"


def rlvr() -> list[str]:
    exe = shutil.which("rlvr")
    return [exe] if exe else [sys.executable, "-m", "rlvr.cli"]


def lines_in(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def interrupt(proc: subprocess.Popen, double: bool, group: bool) -> float:
    def send() -> None:
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)

    sent = time.perf_counter()
    send()
    if double:
        time.sleep(0.002)
        send()
    proc.wait(timeout=60)
    return time.perf_counter() - sent


def baseline_times(n: int) -> list[float]:
    times = []
    for i in range(n):
        proc = subprocess.Popen([sys.executable, "-c", BASELINE], start_new_session=True)
        time.sleep(0.15)  # well past interpreter start-up
        times.append(interrupt(proc, i % 2 == 1, i % 4 >= 2))
        if proc.returncode != 130:
            raise SystemExit(f"baseline exited {proc.returncode}")
    return times


def rlvr_times(src: Path, out: Path, n: int, rng: random.Random) -> list[float]:
    cmd = rlvr() + ["score", str(src), "-r", "format", "-r", "tag_count", "-j", "2", "--chunk-size", "64",
                    "-o", str(out), "--resume"]
    times = []
    for i in range(n):
        target = size_of(out) + rng.randint(1, 60_000)  # bytes: up to ~150 more rows
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        while proc.poll() is None and size_of(out) < target:
            time.sleep(0.001)
        time.sleep(rng.random() * 0.02)
        if proc.poll() is not None:
            raise SystemExit("the input is too small: a run finished before it was interrupted (use more --rows)")
        times.append(interrupt(proc, i % 2 == 1, i % 4 >= 2))
        err = proc.stderr.read().decode("utf-8", "replace")  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        if proc.returncode != 130 or len(err.strip().splitlines()) != 1 or "Traceback" in err:
            raise SystemExit(f"interrupt {i}: exit {proc.returncode}, stderr:\n{err}")
    return times


def describe(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return max(ordered), p95, statistics.median(ordered)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--interrupts", type=int, default=50)
    ap.add_argument("--rows", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("\n".join(make_rows(args.rows)) + "\n", encoding="utf-8")
        reference = Path(tmp) / "reference.jsonl"
        subprocess.run(rlvr() + ["score", str(src), "-r", "format", "-r", "tag_count", "-j", "2", "-o",
                                 str(reference), "-q"], check=False)
        out = Path(tmp) / "out.jsonl"
        base = baseline_times(min(args.interrupts, 20))
        times = rlvr_times(src, out, args.interrupts, rng)
        partial = lines_in(out)
        done = subprocess.run(rlvr() + ["score", str(src), "-r", "format", "-r", "tag_count", "-j", "2", "-o",
                                        str(out), "--resume", "-q"], check=False)
        same = out.read_bytes() == reference.read_bytes()
    print(f"{args.interrupts} interrupts of rlvr score -j 2 ({args.rows:,} rows; single/double SIGINT to the "
          f"process or its group); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<52} {'max s':>7} {'p95 s':>7} {'median s':>9}")
    b_max, b_p95, b_med = describe(base)
    r_max, r_p95, r_med = describe(times)
    print(f"  {f'baseline: bare python, SIGINT -> _exit ({len(base)}x)':<52} {b_max:7.3f} {b_p95:7.3f} {b_med:9.3f}")
    print(f"  {f'rlvr score -j 2, SIGINT -> exit 130 ({len(times)}x)':<52} {r_max:7.3f} {r_p95:7.3f} {r_med:9.3f}")
    print(f"  {'ratio':<52} {r_max / b_max:6.1f}x {r_p95 / b_p95:6.1f}x {r_med / b_med:8.1f}x")
    print(f"  rows written before the last resume: {partial:,}; final resume exit {done.returncode}; "
          f"output identical to an uninterrupted run: {same}")
    if not same or r_max >= 2.0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
