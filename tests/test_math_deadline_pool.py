"""The generic kill-and-respawn worker pool (rlvr.runtime.deadline_pool), with stdlib handlers."""

from __future__ import annotations

import asyncio
import os
import pickle
import threading
import time

import pytest

from rlvr.runtime.deadline_pool import DeadlinePool


@pytest.fixture(scope="module")
def sleep_pool():
    pool = DeadlinePool("time:sleep", workers=2)
    yield pool
    pool.close()


def test_results_in_order_and_timeouts_kill(sleep_pool):
    start = time.monotonic()
    out = sleep_pool.run([0, 30, 0, 0.01], timeout=1.0)
    elapsed = time.monotonic() - start
    assert [o.status for o in out] == ["ok", "timeout", "ok", "ok"]
    assert out[1].seconds < 1.0 + 1.0  # killed within 1 s of its deadline
    assert elapsed < 15  # nothing waited for the 30 s sleep


def test_worker_is_respawned_and_keeps_working(sleep_pool):
    before = sleep_pool.restarts
    out = sleep_pool.run([10, 0, 10, 0], timeout=0.5)
    assert [o.status for o in out] == ["timeout", "ok", "timeout", "ok"]
    assert sleep_pool.restarts >= before + 2
    assert [o.status for o in sleep_pool.run([0, 0], timeout=0.5)] == ["ok", "ok"]


def test_handler_exception_is_an_error_outcome():
    pool = DeadlinePool("math:factorial", workers=1)
    try:
        out = pool.run([5, -1, 6], timeout=5)
        assert out[0].value == 120 and out[2].value == 720
        assert out[1].status == "error" and "ValueError" in out[1].error
    finally:
        pool.close()


def test_worker_death_is_reported_and_replaced():
    pool = DeadlinePool("os:_exit", workers=1)
    try:
        out = pool.run([3], timeout=5)
        assert out[0].status == "error" and "worker died" in out[0].error
    finally:
        pool.close()


def test_no_deadline_when_timeout_is_none_or_zero(sleep_pool):
    for timeout in (None, 0):
        assert sleep_pool.run([0.2], timeout=timeout)[0].status == "ok"


def test_from_threads_and_asyncio(sleep_pool):
    results: list[list[str]] = []

    def call():
        results.append([o.status for o in sleep_pool.run([0.05, 5, 0.05], timeout=0.5)])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [["ok", "timeout", "ok"]] * 4

    async def main():
        return await asyncio.gather(*(asyncio.to_thread(sleep_pool.run, [0.01, 3], 0.3) for _ in range(2)))

    for out in asyncio.run(main()):
        assert [o.status for o in out] == ["ok", "timeout"]


def test_pool_is_not_picklable(sleep_pool):
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(sleep_pool)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pool_inherited_through_fork_restarts_in_child(sleep_pool):
    sleep_pool.run([0], timeout=1)  # a live worker in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            ok = sleep_pool.run([0, 5], timeout=0.5)
            os.write(write, ",".join(o.status for o in ok).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() == "ok,timeout"
    os.close(read)
    assert sleep_pool.run([0], timeout=1)[0].status == "ok"  # the parent's workers are intact


# ----------------------------------------------------------------------------- batch budget, preemption
def test_batch_budget_bounds_the_whole_call():
    pool = DeadlinePool("time:sleep", workers=2, preempt_after=None)  # no parking: a plain queue
    try:
        pool.run([0], timeout=1)  # started
        start = time.monotonic()
        out = pool.run([0, 30, 30, 0, 0], timeout=20, budget=2.0)
        elapsed = time.monotonic() - start
        assert elapsed < 2.0 + 1.0, elapsed
        assert [o.status for o in out] == ["ok"] + ["timeout"] * 4
        assert all(o.budget_exhausted for o in out[1:])
        assert "before this task started" in out[4].error and "finished" in out[1].error
        assert [o.status for o in pool.run([0, 0], timeout=1)] == ["ok", "ok"]  # healthy afterwards
    finally:
        pool.close()


def test_slow_tasks_are_parked_so_the_queue_moves():
    # one worker, a task that would hold it for 30 s in front of quick ones: the quick ones
    # finish right away (the slow one is parked after preempt_after seconds), and the call
    # ends at the budget, not after the slow task
    pool = DeadlinePool("time:sleep", workers=1, preempt_after=0.2)
    try:
        pool.run([0], timeout=1)
        start = time.monotonic()
        out = pool.run([30, 0.01, 0.01, 0.01], timeout=20, budget=3.0)
        assert [o.status for o in out] == ["timeout", "ok", "ok", "ok"]
        assert out[0].budget_exhausted and time.monotonic() - start < 4.0
    finally:
        pool.close()


def test_parked_processes_are_bounded_and_cleaned_up():
    pool = DeadlinePool("time:sleep", workers=1, preempt_after=0.1, max_parked=2)
    try:
        out = pool.run([30, 30, 30, 30, 0], timeout=1.0, budget=6.0)
        # at most 1 running + 2 parked: the last two slow tasks run in turn to their deadline
        assert [o.status for o in out] == ["timeout"] * 4 + ["ok"]
        assert all(not o.budget_exhausted for o in out[:4])  # each hit its own 1 s deadline
        assert all(o.seconds < 1.0 + 0.5 for o in out[:4])  # running time, parked time excluded
    finally:
        pool.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_replacement_workers_are_forked_warm():
    # the maths initializer (sympy imports and a warm-up: about a second) runs once, in the
    # template; a replacement worker is a fork of it, not a fresh interpreter
    pool = DeadlinePool("time:sleep", workers=1, initializer="rlvr.math.symbolic:start_worker")
    try:
        pool.run([0], timeout=1)
        start = time.monotonic()
        out = pool.run([5, 5, 5, 0], timeout=0.2)  # three kills, three replacements
        assert [o.status for o in out] == ["timeout"] * 3 + ["ok"]
        assert time.monotonic() - start < 0.2 * 3 + 1.0
    finally:
        pool.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_no_worker_outlives_a_killed_owner_even_parked_ones():
    import signal
    import subprocess
    import sys

    owner = subprocess.Popen([sys.executable, "-c", (
        "import threading, time\n"
        "from rlvr.runtime.deadline_pool import DeadlinePool\n"
        "pool = DeadlinePool('time:sleep', workers=1, preempt_after=0.1)\n"
        "threading.Thread(target=pool.run, args=([30, 30, 30] + [0.2] * 40, 60), daemon=True).start()\n"
        "time.sleep(1.5)\n"
        "print(pool._template.proc.pid, flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        group = int(owner.stdout.readline())  # the template leads the workers' process group
        os.killpg(group, 0)  # alive now, with parked workers in it
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return  # the whole group is gone
            time.sleep(0.1)
        os.killpg(group, signal.SIGKILL)  # do not leak them from the test run
        pytest.fail("workers outlived their owner")
    finally:
        owner.kill()


def test_infrastructure_errors_are_told_apart_from_task_errors():
    died = DeadlinePool("os:_exit", workers=1)  # the task kills its worker: the payload's doing
    broken = DeadlinePool("time:sleep", workers=1, initializer="math:sqrt")  # cannot start at all
    try:
        out = died.run([3], timeout=5)[0]
        assert out.status == "error" and not out.infrastructure
        out = broken.run([0, 0], timeout=5)
        assert [o.status for o in out] == ["error", "error"] and all(o.infrastructure for o in out)
    finally:
        died.close()
        broken.close()
