"""The generic kill-and-respawn worker pool (rlvr.verifiers.deadline_pool), with stdlib handlers."""

from __future__ import annotations

import asyncio
import os
import pickle
import threading
import time

import pytest

from rlvr.verifiers.deadline_pool import DeadlinePool


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
