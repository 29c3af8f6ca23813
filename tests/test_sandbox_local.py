"""The local backend (host subprocess harness): statuses, canaries, the exploits it does stop.

The local backend is NOT a security boundary (no network/filesystem isolation, no pids limit);
the attacks it cannot stop (fork bombs, network, writes to the user's files) are documented in
``rlvr.sandbox.local_backend`` and docs/sandbox.md and are not run here.
"""

from __future__ import annotations

import os

import pytest

from rlvr.rewards.code import run_tests
from rlvr.sandbox import Limits
from rlvr.sandbox.local_backend import LocalBackend
from rlvr.verifiers.code_cases import call_case, stdio_case
from rlvr.verifiers.code_compare import CompareOptions

FAST = Limits(cpu_s=1.0, wall_s=2.0)


@pytest.fixture(scope="module")
def local():
    b = LocalBackend(size=2)
    assert b.pool.wait_full(60), b.pool.last_error
    yield b
    b.close()


def run(b, code, cases, limits=FAST, **kw):
    return run_tests(b, code, cases, limits=limits, **kw)


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


_capture = CompareOptions(checker=_capture_checker)


def test_parallel_submissions_share_the_pool(local):
    from concurrent.futures import ThreadPoolExecutor

    def job(i):
        return run(local, "print(int(input()) + 1)", [stdio_case(f"{i}\n", f"{i + 1}\n")]).all_passed

    with ThreadPoolExecutor(8) as ex:
        assert all(ex.map(job, range(24)))
    assert local.pool.alive_count <= local.pool.size


# ---------------------------------------------------------------------------- issue 9 (local backend)
READ_ANCESTOR_MEMORY = r'''
import os, re
found = ""
pid = os.getpid()
for _ in range(4):  # the harness, then the process that holds the expected outputs, and above
    pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    if pid <= 1:
        break
    try:
        mem = open(f"/proc/{pid}/mem", "rb", 0)
        maps = open(f"/proc/{pid}/maps").read().splitlines()
    except OSError:
        continue
    for line in maps:
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if "r" not in line.split()[1] or hi - lo > 1 << 28:
            continue
        try:
            mem.seek(lo)
            m = re.search(rb"LOCAL_SECRET_[0-9a-f]{16}", mem.read(hi - lo))
        except (OSError, ValueError, OverflowError):
            continue
        if m:
            found = m.group().decode()
            break
    if found:
        break
print(found)
'''


def test_solution_cannot_read_expected_outputs_from_ancestor_memory(local):
    """Issue 9 item 5: /proc/PPID/mem (and the trainer above it) is not readable by the solution."""
    import secrets

    secret = "LOCAL_SECRET_" + secrets.token_hex(8)
    res = run(local, READ_ANCESTOR_MEMORY, [stdio_case("", secret + "\n")], limits=Limits(cpu_s=4, wall_s=8))
    assert res.sandbox_error is None, res.to_dict()
    assert not res.tests[0].passed, "the solution read the expected output from an ancestor's memory"


def test_solution_cannot_signal_the_harness_or_trainer(local):
    code = (f"import os, signal\nhits = 0\nfor pid in (os.getppid(), {os.getpid()}):\n    try:\n"
            "        os.kill(pid, 0); hits += 1\n    except OSError:\n        pass\nprint(hits)\n")
    res = run(local, code, [stdio_case("", "0\n")])
    assert res.all_passed, res.to_dict()


@pytest.mark.parametrize("threads", [2, 4, 8])
def test_multithreaded_solutions_pass(local, threads):
    """Issue 9 item 4: threads fit in the address-space limit (threading and concurrent.futures)."""
    code = (f"import threading\nfrom concurrent.futures import ThreadPoolExecutor\nn = int(input())\nout = [0] * {threads}\n"
            f"def work(i):\n    out[i] = sum(len([j] * 10000) for j in range(n))\n"
            f"ts = [threading.Thread(target=work, args=(i,)) for i in range({threads})]\n"
            "[t.start() for t in ts]\n[t.join() for t in ts]\n"
            f"with ThreadPoolExecutor({threads}) as ex:\n    print(sum(out), sum(ex.map(lambda x: x * x, range(n))))\n")
    res = run(local, code, [stdio_case("100\n", f"{threads * 1000000} 328350\n")], limits=Limits(cpu_s=4, wall_s=8))
    assert res.all_passed, res.to_dict()


def test_exit_code_71_and_garbage_reports_are_failures_not_sandbox_errors(local):
    """Issue 9 item 2 on the local backend."""
    for code in ("import os\nos._exit(71)\n", "import os\nos.write(3, b'V' + b'[' * 100000)\nos._exit(0)\n",
                 "import os\nos.write(3, b'E' + b'[' * 3000)\nos._exit(0)\n"):
        res = run(local, code, [call_case("f", [], 1)])
        assert res.sandbox_error is None and not res.tests[0].passed, (code, res.to_dict())


SWEEP_PROBE = r'''
import json, os, subprocess, sys
from rlvr.sandbox import harness
h = harness.Harness()
w = os.path.join(os.environ["RLVR_SANDBOX_WORKROOT"], "w")
out = {"initial": [h.leftovers(), h.sweep(2.0)]}
os.makedirs(w)
os.chdir(w)
for _ in range(3000):  # deeper than PATH_MAX and Python's recursion limit
    os.mkdir("a")
    os.chdir("a")
open("f", "w").write("x")
os.chmod(".", 0)
os.chdir("/")
proc = subprocess.Popen(["sleep", "30"])
out["found"] = h.leftovers()
out["pid"] = proc.pid
out["swept"] = h.sweep(5.0)
try:
    os.kill(proc.pid, 0)
    out["alive"] = True
except ProcessLookupError:
    out["alive"] = False
out["w_exists"] = os.path.exists(w)
print(json.dumps(out))
'''


def test_sweep_verdict_comes_from_looking(tmp_path):
    """The harness's sweep reports clean only when its verifier finds nothing left: leftovers
    (files of any depth and mode, live processes) are listed until they are really gone.
    Runs in its own process: the sweep kills every child of the process it runs in."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, RLVR_SANDBOX_WORKROOT=str(tmp_path / "root"), RLVR_SANDBOX_NO_DROP="1")
    cp = subprocess.run([sys.executable, "-c", SWEEP_PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout)
    assert out["initial"] == [[], [True, []]]
    assert any(x.startswith("file ") for x in out["found"]), out
    assert f"process {out['pid']}" in out["found"], out
    assert out["swept"] == [True, []] and not out["alive"] and not out["w_exists"], out


def test_oversized_or_odd_programs_fail_without_sandbox_error(local):
    """Model output can be huge or malformed: a failed test, never a harness crash or None."""
    for code in ("x = 1\n" * (3 << 20), "print('\ud800')\n", "print(1)\x00\n", "\ufeffprint(1)\n" + "#" * 100):
        res = run(local, code, [stdio_case("", "2\n")])
        assert res.sandbox_error is None and not res.all_passed, res.to_dict()
    assert local.pool.alive_count >= 1
    assert run(local, "print(2)", [stdio_case("", "2\n")]).all_passed


# ---------------------------------------------------------------------------- issue 14: raw results
def test_the_backend_reports_raw_results(local):
    """The sandbox says how each run ended and returns what the program produced; it judges nothing."""
    res = local.run("import sys\nsys.stdout.buffer.write(b'6\\xff\\n')\nsys.stdout.flush()\nprint(input())",
                    [{"stdin": "3\n"}], limits=FAST)
    run = res.runs[0]
    assert res.sandbox_error is None and res.n_inputs == 1 and res.backend == "local"
    assert (run.status, run.stdout, run.exit_code, run.value_json) == ("completed", b"6\xff\n3\n", 0, None)
    assert run.stdout_bytes == 5 and run.wall_ms > 0 and run.clean
    code = "def f(x):\n    return (x, [x * 2])\ndef g():\n    return {1}\ndef h():\n    pass\n"
    res = local.run(code, [{"fn_name": "f", "args": [3]}, {"fn_name": "g", "args": []}, {"fn_name": "h", "args": []},
                           {"fn_name": "nope", "args": []}], limits=FAST)
    assert [r.status for r in res.runs] == ["completed", "completed", "completed", "runtime_error"]
    assert res.runs[0].value_json.replace(" ", "") == "[3,[6]]"
    assert res.runs[1].value_json is None and res.runs[1].reason == "returned value is not JSON-serialisable"
    assert res.runs[2].value_json == "null"
    assert "NameError" in res.runs[3].reason
    crash = local.run("import sys\nprint('partial')\nsys.exit(3)", [{"stdin": ""}], limits=FAST).runs[0]
    assert (crash.status, crash.exit_code, crash.reason) == ("runtime_error", 3, "exit code 3")


def test_keep_going_decides_when_to_stop(local):
    seen = []

    def keep_going(run):
        seen.append(run.index)
        return run.stdout == b"1\n"

    inputs = [{"stdin": "1\n"}, {"stdin": "2\n"}, {"stdin": "3\n"}]
    res = local.run("print(input())", inputs, limits=FAST, keep_going=keep_going)
    assert seen == [0, 1] and [r.stdout for r in res.runs] == [b"1\n", b"2\n"] and res.n_inputs == 3
    assert len(local.run("print(input())", inputs, limits=FAST).runs) == 3


def test_only_input_keys_reach_the_harness(local):
    """Whatever else a caller puts in an input (an expected output, say) is not sent."""
    from rlvr.sandbox.backend import INPUT_KEYS

    sent = []
    real_acquire = local.pool.acquire

    def spying_acquire(timeout):
        h = real_acquire(timeout)
        real_request = h.request

        def request(req, timeout):
            sent.append(dict(req))
            return real_request(req, timeout=timeout)

        h.request = request
        return h

    local.pool.acquire = spying_acquire
    try:
        res = local.run("print(input())", [{"stdin": "7\n", "expected": "SECRET_OUT\n"}], limits=FAST)
    finally:
        del local.pool.acquire
    assert res.runs[0].stdout == b"7\n"
    runs = [r for r in sent if r.get("op") == "run"]
    assert runs and all(set(r) <= {"op", "index", "budget_s", *INPUT_KEYS} for r in runs), runs
    assert "SECRET_OUT" not in repr(sent)
