"""The local backend (host subprocess harness): statuses, canaries, the exploits it does stop.

The local backend is NOT a security boundary (no network/filesystem isolation, no pids limit);
the attacks it cannot stop (fork bombs, network, writes to the user's files) are documented in
``rlvr.sandbox.local_backend`` and docs/sandbox.md and are not run here.
"""

from __future__ import annotations

import os

import pytest

from rlvr.sandbox import Limits
from rlvr.sandbox.local_backend import LocalBackend
from rlvr.verifiers.code_cases import call_case, stdio_case

FAST = Limits(cpu_s=1.0, wall_s=2.0)


@pytest.fixture(scope="module")
def local():
    b = LocalBackend(size=2)
    assert b.pool.wait_full(60), b.pool.last_error
    yield b
    b.close()


def run(b, code, cases, limits=FAST, **kw):
    return b.run_tests(code, cases, limits=limits, **kw)


def test_statuses(local):
    c = [stdio_case("3\n", "6\n")]
    assert run(local, "print(int(input())*2)", c).tests[0].status == "passed"
    assert run(local, "print(5)", c).tests[0].status == "wrong_answer"
    assert run(local, "1/0", c).tests[0].status == "runtime_error"
    assert run(local, "def (", c).tests[0].status == "compile_error"
    assert run(local, "import time\ntime.sleep(30)", c).tests[0].status == "timeout"
    assert run(local, "x = bytearray(8 << 30)", c).tests[0].status == "memory_limit"
    assert run(local, "while True: print('x' * 4096)", c).tests[0].status == "output_limit"


def test_canaries(local):
    assert run(local, "print(10**5000)", [stdio_case("", "1" + "0" * 5000)]).all_passed
    deep = "import sys\nsys.setrecursionlimit(10**6)\ndef d(n):\n    return 0 if n == 0 else 1 + d(n-1)\nprint(d(100000))"
    assert run(local, deep, [stdio_case("", "100000")], limits=Limits(cpu_s=4, wall_s=8)).all_passed
    assert run(local, "def f():\n    return (1, 2)", [call_case("f", [], [1, 2])]).all_passed
    assert run(local, "import sys\nprint(sys.stdin.buffer.read().decode().upper())", [stdio_case("ab", "AB")]).all_passed
    assert run(local, "print(open(0).read().strip()[::-1])", [stdio_case("abc\n", "cba")]).all_passed
    assert run(local, "if __name__ == '__main__':\n    print(1)", [stdio_case("", "1")]).all_passed
    assert not run(local, "def f():\n    return True", [call_case("f", [], 1)]).all_passed
    assert not run(local, "print(10**18+1)", [stdio_case("", str(10**18))]).all_passed


@pytest.mark.parametrize("code", [
    "class E:\n    def __eq__(self, o): return True\ndef f():\n    return E()\n",
    "class E(int):\n    def __eq__(self, o): return True\ndef f():\n    return E(1)\n",
    "import json\njson.dumps = lambda *a, **k: '5'\ndef f():\n    return 1\n",
    "import sys, gc\ndef f():\n    return [o for o in gc.get_objects() if isinstance(o, dict) and 'expected' in o][:1]\n",
    "import sys\nsys.exit(0)\n",
    "import os\nos._exit(0)\n",
])
def test_exploits_that_do_not_depend_on_isolation(local, code):
    assert not run(local, code, [call_case("f", [], 5)]).tests[0].passed


def test_daemon_is_swept(local):
    code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        open('pid', 'w').write(str(os.getpid()))\n        time.sleep(60)\n    os._exit(0)\n"
            "time.sleep(0.3)\nprint(open('pid').read())\n")
    res = run(local, code, [stdio_case("", "0")], compare=_capture)
    pid = int(_captured[-1])
    assert res.sandbox_error is None
    try:
        os.kill(pid, 0)
        state = open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0]
        alive = state not in ("Z", "X")
    except (ProcessLookupError, FileNotFoundError):
        alive = False
    assert not alive, "the double-forked daemon survived the sweep"


_captured: list[str] = []


def _capture_checker(stdin, expected, actual):
    _captured.append(actual.strip())
    return False


from rlvr.verifiers.code_compare import CompareOptions

_capture = CompareOptions(checker=_capture_checker)


def test_parallel_submissions_share_the_pool(local):
    from concurrent.futures import ThreadPoolExecutor

    def job(i):
        return run(local, "print(int(input()) + 1)", [stdio_case(f"{i}\n", f"{i + 1}\n")]).all_passed

    with ThreadPoolExecutor(8) as ex:
        assert all(ex.map(job, range(24)))
    assert local.pool.alive_count <= local.pool.size
