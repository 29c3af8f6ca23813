"""Hostile programs against the Docker sandbox: how many were wrongly rewarded, how many were
turned into ``None``, whether the pool stayed healthy, and the worst host time per submission
against its documented wall budget, side by side with a correct canary measured in the same run.

    python benchmarks/bench_sandbox_hostile.py [--rounds 1] [--only NAME ...]

The programs are the hostile-program suite of ``tests/test_sandbox_docker.py`` (stdin/stdout
attacks, returned-value/result-pipe attacks, the leave-state-behind program). Each submission
has 2-3 tests whose expected outputs the program cannot know; after each one a correct canary
must score 1.0 and every container must report no leftovers (processes, SysV IPC, files).

Figures (issue 9): hostile programs tried / passed wrongly (must be 0) / turned into None (must
be 0) / unhealthy pool afterwards (must be 0); worst host seconds per submission vs its budget
(``n * wall + slack``; must stay within budget + 1 s); canary seconds (the baseline) and the
ratio worst-hostile / canary.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

from rlvr.rewards.code import run_tests
from rlvr.sandbox import Limits, docker_usable, get_backend
from rlvr.verifiers.code_cases import call_case, stdio_case

ROOT = Path(__file__).resolve().parents[1]


def load_suite():
    spec = importlib.util.spec_from_file_location("hostile_suite", ROOT / "tests" / "test_sandbox_docker.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def leftovers(backend) -> list[str]:
    pool = backend.pool
    pool.wait_full(60)
    held = [pool.acquire(30) for _ in range(pool.target)]
    try:
        return [x for h in held for x in h.request({"op": "procs"}, timeout=10).get("leftovers", [])]
    finally:
        for h in held:
            pool.release(h, healthy=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1, help="times each program is submitted")
    ap.add_argument("--only", nargs="*", help="run only these program names")
    args = ap.parse_args()
    ok, why = docker_usable()
    if not ok:
        print(f"docker: not usable ({why})")
        return 1
    suite = load_suite()
    stdio_limits = suite.FAST
    call_limits = Limits(cpu_s=1.0, wall_s=1.0)
    programs: list[tuple[str, str, list, Limits]] = []
    for name, code in sorted(suite.ATTACKS.items()):
        programs.append((name, code, [stdio_case("", "SECRET_EXPECTED_42\n"), stdio_case("", "42\n")], stdio_limits))
    for name, code in sorted(suite.EQ_ATTACKS.items()):
        programs.append((name, code, [call_case("f", [], [7, 8, 9]), call_case("f", [], 5),
                                      call_case("f", [], 10**5000 + 7)], call_limits))
    programs.append(("leave_state", suite.LEAVE_STATE, [stdio_case("", "SECRET\n")], suite.STATE_LIMITS))
    if args.only:
        programs = [p for p in programs if p[0] in set(args.only)]

    backend = get_backend("docker", size=2)
    assert backend.pool.wait_full(120), backend.pool.last_error
    canary_code, canary_cases = suite.CANARY, [stdio_case("2 3\n", "5\n")]
    canary_times: list[float] = []
    tried = wrong = none = unhealthy = 0
    worst = (0.0, 0.0, "")  # (host seconds - budget, host seconds, name)
    rows = []
    t_all = time.monotonic()
    for _ in range(args.rounds):
        for name, code, cases, limits in programs:
            budget = len(cases) * limits.wall + getattr(limits, "submission_slack_s", 1.0)
            t0 = time.monotonic()
            res = run_tests(backend, code, cases, limits=limits)
            took = time.monotonic() - t0
            tried += 1
            wrong += res.n_passed > 0
            none += res.sandbox_error is not None
            if took - budget > worst[0] or not worst[2]:
                worst = (took - budget, took, name)
            t1 = time.monotonic()
            canary = run_tests(backend, canary_code, canary_cases)
            canary_times.append(time.monotonic() - t1)
            left = leftovers(backend)
            healthy = canary.all_passed and canary.sandbox_error is None and not left
            unhealthy += not healthy
            rows.append((name, took, budget, res.n_passed, res.sandbox_error, healthy,
                         ",".join(sorted({t.status for t in res.tests}))))
    backend.close()
    elapsed = time.monotonic() - t_all
    width = max(len(r[0]) for r in rows)
    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}  {len(programs)} hostile programs x {args.rounds} "
          f"round(s) in {elapsed:.0f}s")
    print(f"{'program':<{width}}  {'host s':>7}  {'budget s':>8}  passed  None  healthy  statuses")
    for name, took, budget, passed, err, healthy, statuses in rows:
        print(f"{name:<{width}}  {took:7.2f}  {budget:8.2f}  {passed:6d}  {'yes' if err else 'no':>4}  "
              f"{'yes' if healthy else 'NO':>7}  {statuses}")
    canary_med = statistics.median(canary_times)
    print()
    print(f"hostile programs tried             : {tried}")
    print(f"passed wrongly (must be 0)         : {wrong}")
    print(f"turned into None (must be 0)       : {none}")
    print(f"pool unhealthy afterwards (must 0) : {unhealthy}")
    print(f"worst host time over budget        : {worst[0]:+.2f}s ({worst[2]}: {worst[1]:.2f}s; allowed +1.00s)")
    print(f"canary (baseline) median / max     : {canary_med * 1000:.0f} ms / {max(canary_times) * 1000:.0f} ms")
    print(f"worst hostile / canary median      : {worst[1] / canary_med:.0f}x")
    return 0 if (wrong == 0 and none == 0 and unhealthy == 0 and worst[0] <= 1.0) else 1


if __name__ == "__main__":
    sys.exit(main())
