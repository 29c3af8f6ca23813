"""Timing helper shared by the benchmarks (not part of the library)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_rate(fn: Callable[[], object], n: int, repeats: int) -> tuple[float, float]:
    """Run ``fn`` (which processes ``n`` items) ``repeats`` times; return the best
    (items/s in CPU time, items/s in wall time). CPU time is the steadier figure on a shared machine."""
    cpu_best = wall_best = 0.0
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        c1, w1 = time.process_time(), time.perf_counter()
        cpu_best = max(cpu_best, n / max(c1 - c0, 1e-9))
        wall_best = max(wall_best, n / max(w1 - w0, 1e-9))
    return cpu_best, wall_best
