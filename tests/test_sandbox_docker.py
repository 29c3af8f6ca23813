"""The Docker sandbox for real: hardening, the security suite, canaries, pool recovery.

Skipped only when no engine/image is usable AND the ``CI`` environment variable is unset;
under CI a missing engine or image is a failure (scripts/docker_setup.sh provides both).
One pool (the process-wide shared backend) serves the whole module.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from rlvr.rewards.code import run_tests
from rlvr.sandbox import Limits, docker_usable, get_backend
from rlvr.sandbox.docker_backend import DEFAULT_IMAGE
from rlvr.verifiers.code_cases import call_case, stdio_case

pytestmark = pytest.mark.docker

FAST = Limits(cpu_s=1.0, wall_s=2.0)


@pytest.fixture(scope="module")
def backend():
    ok, why = docker_usable(DEFAULT_IMAGE)
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the Docker sandbox but it is not usable: {why}. "
                        "Run scripts/docker_setup.sh before the tests.")
        pytest.skip(f"Docker sandbox not usable here: {why}")
    b = get_backend("docker", size=2)
    assert b.pool.wait_full(120), f"the pool did not fill: {b.pool.last_error}"
    return b


def container_state(backend):
    """(non-harness processes, bytes used on /tmp and /dev/shm, leftovers the harness sees:
    processes, SysV IPC objects, files in every writable place) over every idle container."""
    pool = backend.pool
    assert pool.wait_full(30), f"pool not refilled: {pool.last_error}"
    held = [pool.acquire(10) for _ in range(pool.target)]
    try:
        replies = [h.request({"op": "procs"}, timeout=10) for h in held]
        procs = [p for h, r in zip(held, replies) for p in r["procs"] if p["ppid"] != 0 and p["pid"] != h.info.get("pid")]
        used = max(max(r["used_bytes"].get("/tmp", 0), r["used_bytes"].get("/dev/shm", 0)) for r in replies)
        leftovers = [x for r in replies for x in r["leftovers"]]
        return procs, used, leftovers
    finally:
        for h in held:
            pool.release(h, healthy=True)


CANARY = "print(sum(map(int, input().split())))"


def assert_healthy(backend):
    """No leftovers in any container, and a correct canary scores 1.0 at normal speed."""
    procs, used, leftovers = container_state(backend)
    assert procs == [], f"leftover processes: {procs}"
    assert leftovers == [], f"leftover state: {leftovers}"
    assert used < 1 << 20, f"{used} bytes left on /tmp or /dev/shm"
    t0 = time.monotonic()
    res = run_tests(backend, CANARY, [stdio_case("2 3\n", "5\n")])
    took = time.monotonic() - t0
    assert res.sandbox_error is None and res.all_passed, res.to_dict()
    assert took < 3.0 and res.tests[0].cpu_ms < 1000, (took, res.to_dict())


def run(backend, code, cases, limits=FAST, **kw):
    return run_tests(backend, code, cases, limits=limits, **kw)


def timed_run(backend, code, cases, limits=FAST, **kw):
    """Run one submission; assert it ended within its documented wall budget + 1 s (issue 9 item 3)."""
    t0 = time.monotonic()
    res = run_tests(backend, code, cases, limits=limits, **kw)
    took = time.monotonic() - t0
    budget = limits.submission_budget(len(cases))
    assert took <= budget + 1.0, f"submission took {took:.2f}s, budget {budget:.2f}s (+1s allowed)"
    return res


# ---------------------------------------------------------------------------- basics
def test_container_hardening(backend):
    probe = r'''
import os, json, socket
st = os.statvfs("/tmp")
def capeff():
    for line in open("/proc/self/status"):
        key = line.split(":")[0]
        if key in ("CapEff", "CapBnd", "NoNewPrivs", "Seccomp"):
            yield key, line.split()[1]
info = dict(capeff())
info["uid"] = os.getuid(); info["gid"] = os.getgid(); info["groups"] = os.getgroups()
info["ifaces"] = sorted(n for _, n in socket.if_nameindex())
info["ro_root"] = not os.access("/usr", os.W_OK)
def f():
    return info
'''
    res = run_tests(backend, probe,
                    [call_case("f", [], {"CapEff": "0000000000000000", "uid": 65534, "gid": 65534,
                                         "groups": [], "ifaces": ["lo"], "ro_root": True,
                                         "NoNewPrivs": "1", "Seccomp": "2",
                                         "CapBnd": "00000000000000e0"})])
    assert res.all_passed, res.to_dict()


def test_statuses(backend):
    cases = [stdio_case("3\n", "6\n")]
    assert run(backend, "print(int(input())*2)", cases).tests[0].status == "passed"
    assert run(backend, "print(7)", cases).tests[0].status == "wrong_answer"
    assert run(backend, "raise ValueError('boom')", cases).tests[0].status == "runtime_error"
    r = run(backend, "def f(:\n  pass", cases).tests[0]
    assert r.status == "compile_error" and "SyntaxError" in r.stderr_tail
    assert run(backend, "import sys\nprint(6)\nsys.exit(3)", cases).tests[0].status == "runtime_error"
    r = run(backend, "while True: pass", cases).tests[0]
    assert r.status == "timeout" and r.cpu_ms > 0
    r = run(backend, "x = bytearray(4 << 30)", cases).tests[0]
    assert r.status == "memory_limit"


def test_call_based_and_stop_at_first_failure(backend):
    code = "class Solution:\n    def add(self, a, b):\n        return a + b\n"
    cases = [call_case("add", [1, 2], 3), call_case("add", [2, 2], 5), call_case("add", [3, 3], 6)]
    res = run(backend, code, cases)
    assert [t.status for t in res.tests] == ["passed", "wrong_answer", "passed"]
    res = run(backend, code, cases, stop_at_first_failure=True)
    assert len(res.tests) == 2 and res.n_total == 3 and res.pass_rate == pytest.approx(1 / 3)


def test_int_keys_restored_for_apps_dicts(backend):
    from rlvr.verifiers.code_cases import load_test_cases

    cases = load_test_cases({"fn_name": "f", "inputs": [[{"1": 2, "3": 4}]], "outputs": [[10]]})
    res = run(backend, "def f(d):\n    return sum(k * v for k, v in d.items()) - 4\n", cases)
    assert res.all_passed, res.to_dict()


def test_raw_results_from_the_container(backend):
    """Issue 14 item 5: the Docker backend reports raw facts (bytes, JSON text, exit status); no verdicts."""
    code = "import sys\ndef f(n):\n    return [n, n * 10**30]\nif __name__ == '__main__':\n" \
           "    sys.stdout.buffer.write(b'\\x00\\xff' + sys.stdin.buffer.read())\n"
    seen = []
    res = backend.run(code, [{"stdin": "hi\n"}, {"fn_name": "f", "args": [2]}, {"stdin": "never"}], limits=FAST,
                      keep_going=lambda run: seen.append(run.index) or run.index < 1)
    assert res.sandbox_error is None and res.n_inputs == 3 and seen == [0, 1], res.to_dict()
    out, call = res.runs
    assert (out.status, out.stdout, out.exit_code, out.stdout_bytes) == ("completed", b"\x00\xffhi\n", 0, 5)
    assert call.status == "completed" and call.value_json.replace(" ", "") == f"[2,{2 * 10**30}]"
    assert out.cpu_ms >= 0 and out.wall_ms > 0 and out.max_rss_kb > 0
    bad = backend.run("def (", [{"stdin": ""}], limits=FAST).runs[0]
    assert bad.status == "compile_error" and "SyntaxError" in bad.stderr_tail


# ---------------------------------------------------------------------------- canaries
def test_canaries_that_must_pass(backend):
    big = "9" * 5000
    cases_and_code = [
        ("print(10**5000 - 1)", [stdio_case("", big + "\n")]),
        ("def f():\n    return 10**5000 - 1\n", [call_case("f", [], 10**5000 - 1)]),
        (("import sys\nsys.setrecursionlimit(10**6)\ndef d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\n"
          "print(d(100000))"), [stdio_case("", "100000\n")]),
        ("print(1/3)", [stdio_case("", "0.3333333\n")]),
        ("def f():\n    return (1, [2, (3, 4)])\n", [call_case("f", [], [1, [2, [3, 4]]])]),
        ("import sys\ndata = sys.stdin.buffer.read().split()\nprint(sum(map(int, data)))",
         [stdio_case("1 2\n3\n", "6\n")]),
        ("print(sum(map(int, open(0).read().split())))", [stdio_case("4 5\n", "9\n")]),
        ("def main():\n    print(input()[::-1])\n\nif __name__ == '__main__':\n    main()\n",
         [stdio_case("abc\n", "cba\n")]),
        ("import threading\nt = threading.Thread(target=lambda: print('late'))\nt.start()",
         [stdio_case("", "late\n")]),
    ]
    for code, cases in cases_and_code:
        res = run(backend, code, cases, limits=Limits(cpu_s=4, wall_s=8))
        assert res.all_passed, (code, res.to_dict())


def test_canaries_that_must_fail(backend):
    assert not run(backend, "print(10**18 + 1)", [stdio_case("", str(10**18))]).all_passed
    assert not run(backend, "def f():\n    return 10**18 + 1\n", [call_case("f", [], 10**18)]).all_passed
    assert not run(backend, "def f():\n    return True\n", [call_case("f", [], 1)]).all_passed
    assert not run(backend, "def f():\n    return 1\n", [call_case("f", [], True)]).all_passed
    assert not run(backend, "print(1)", [stdio_case("", "1\n2\n3\n")]).all_passed
    assert not run(backend, "print(1); print(2); print(3); print('extra')", [stdio_case("", "1\n2\n3\n")]).all_passed


# ---------------------------------------------------------------------------- security suite
ATTACKS = {
    "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "setsid_daemon": (
        "import os, time\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        while True:\n            time.sleep(0.05)\n    os._exit(0)\n"
        "time.sleep(0.2)\n"),
    "alloc_4g": "x = bytearray(4 << 30)\nprint(42)\n",
    "gradual_leak": "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n",
    "infinite_stdout": "while True:\n    print('x' * 1000)\n",
    "infinite_stderr": "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)\n",
    "line_100mb": "import sys\nsys.stdout.write('4' * (100 << 20))\n",
    "sleep": "import time\ntime.sleep(3600)\n",
    "busy_ignoring_signals": (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):\n    signal.signal(s, signal.SIG_IGN)\n"
        "while True:\n    pass\n"),
    "spinning_threads": (
        "import threading\ndef spin():\n    while True:\n        pass\n"
        "for _ in range(8):\n    threading.Thread(target=spin).start()\n"),
    "network": (
        "import socket\nnames = [n for _, n in socket.if_nameindex()]\nok = any(n != 'lo' for n in names)\n"
        "for host, port in (('127.0.0.1', 80), ('localhost', 2375)):\n"
        "    try:\n        socket.create_connection((host, port), timeout=0.5); ok = True\n"
        "    except OSError:\n        pass\n"
        "print(42 if ok else 0)\n"),
    "write_system_dirs": (
        "wrote = 0\nfor p in ('/x', '/etc/x', '/usr/x', '/usr/bin/python3', '/tmp/x', '/dev/x', '/proc/1/root/x'):\n"
        "    try:\n        open(p, 'a').write('x'); wrote += 1\n    except OSError:\n        pass\n"
        "print(42 if wrote else 0)\n"),
    "tmpfs_fill": (
        "import os\ni = 0\ntry:\n    while True:\n        open(f'f{i}', 'wb').write(b'x' * (8 << 20)); i += 1\n"
        "except OSError:\n    pass\nprint(42 if i > 100 else 0)\n"),
    "shm_fill": (
        "i = 0\ntry:\n    while True:\n        open(f'/dev/shm/f{i}', 'wb').write(b'x' * (1 << 20)); i += 1\n"
        "except OSError:\n    pass\nprint(42 if i > 100 else 0)\n"),
    "kill_all": "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nprint(0)\n",
    "kill_parent": (
        "import os, signal\nfor pid in (os.getppid(), 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError:\n        pass\nprint(0)\n"),
    "sys_exit_before_output": "import sys\nsys.exit(0)\nprint(42)\n",
    "os_exit_before_output": "import os\nos._exit(0)\n",
    "raise_systemexit": "raise SystemExit\n",
    "proc_cmdline": (
        "import os\nfound = ''\nfor p in os.listdir('/proc'):\n    try:\n"
        "        found += open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace')\n"
        "        found += open(f'/proc/{p}/environ', 'rb').read().decode(errors='replace')\n"
        "    except OSError:\n        pass\n"
        "print(42 if 'SECRET_EXP' + 'ECTED_42' in found else 0)\n"),
    "gc_and_frames": (  # the needle is built at run time so the source itself does not contain it
        "import gc, sys\nneedle = 'SECRET_EXP' + 'ECTED'\n"
        "def found(o):\n    if isinstance(o, str):\n        return o is not needle and needle in o\n"
        "    if isinstance(o, dict):\n        o = list(o.values())\n"
        "    if isinstance(o, (list, tuple)):\n        return any(isinstance(v, str) and found(v) for v in list(o))\n"
        "    return False\n"
        "hit = any(found(o) for o in gc.get_objects())\n"
        "f = sys._getframe()\nwhile f:\n    hit |= any(found(v) for v in f.f_locals.values())\n    f = f.f_back\n"
        "print(42 if hit else 0)\n"),
    "fake_harness_frames": (
        "import os, json, struct\nfake = json.dumps({'op': 'result', 'exit_code': 0, 'stdout_b64': 'NDIK'}).encode()\n"
        "frame = struct.pack('>I', len(fake)) + fake\n"
        "for fd in range(3, 64):\n    try:\n        os.write(fd, frame)\n    except OSError:\n        pass\n"
        "for pid in os.listdir('/proc'):\n    for fd in ('1', '0', '3'):\n        try:\n"
        "            with open(f'/proc/{pid}/fd/{fd}', 'wb') as f:\n                f.write(frame)\n"
        "        except OSError:\n            pass\n"
        "os.write(1, frame)\n"),
    "monkeypatch": (
        "import builtins, json, sys\nbuiltins.print = lambda *a, **k: None\njson.dumps = lambda *a, **k: '42'\n"
        "class W:\n    def write(self, s): return len(s)\n    def flush(self): pass\nsys.stdout = W()\nprint(0)\n"),
}


ATTACKS.update({
    # issue 9 item 2: a submission cannot turn its 0 into None
    "exit_infra_code": "import os\nos._exit(71)\n",
    "exit_infra_code_after_output": "print('SECRET_EXPECTED_42')\nimport os\nos._exit(71)\n",
    "exit_infra_code_at_exit": "import atexit, os\natexit.register(os._exit, 71)\nprint(1)\n",
    "close_fds_then_exit": "import os\nos.closerange(0, 64)\nos._exit(71)\n",
    "kill_self": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "stop_self": "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n",
    # issue 9 item 1: state a later test could see (checked in every container by assert_healthy)
    "sysv_ipc_all_kinds": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
        "for k in range(3):\n    i = libc.shmget(100 + k, 64 << 20, 0o1666)\n    a = libc.shmat(i, None, 0)\n"
        "    ctypes.memset(a, 1, 64 << 20)\n    libc.shmdt(ctypes.c_void_p(a))\n"
        "q = libc.msgget(77, 0o1666)\nmsg = ctypes.create_string_buffer(b'\\1\\0\\0\\0\\0\\0\\0\\0SECRET', 14)\n"
        "libc.msgsnd(q, msg, 6, 0)\nlibc.semget(55, 4, 0o1666)\n"),
    "posix_shm_and_mqueue": (
        "import ctypes, os\nopen('/dev/shm/state', 'wb').write(b'x' * 4096)\nos.mkdir('/dev/shm/d'); os.chmod('/dev/shm/d', 0)\n"
        "try:\n    rt = ctypes.CDLL('librt.so.1')\n    rt.mq_open(b'/state', os.O_CREAT | os.O_RDWR, 0o600, None)\n"
        "except OSError:\n    pass\n"),
    "deep_tree_mode_000": (
        "import os\nos.chdir('/tmp/sbx')\nos.mkdir('t'); os.chdir('t')\n"
        "for i in range(3000):\n    os.mkdir('a'); os.chdir('a')\n    if i == 1500:\n        os.mkdir('x'); os.chmod('x', 0)\n"
        "open('f', 'w').write('state')\nos.chmod('.', 0)\n"),
    "inode_flood": (
        "import os\ni = 0\ntry:\n    while True:\n        open(f'/tmp/sbx/{i}', 'w').close(); i += 1\n"
        "except OSError:\n    pass\nprint(i)\n"),
    "unreadable_workdir": "import os\nopen('f', 'w').write('x')\nos.chmod('.', 0)\n",
    "shm_inode_flood": (
        "import os\ni = 0\ntry:\n    while True:\n        open(f'/dev/shm/{i}', 'w').close(); i += 1\n"
        "except OSError:\n    pass\nprint(i)\n"),
})


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_fails_and_pool_stays_healthy(backend, name):
    # the "right answer" is a value the attacks could only produce by escaping
    res = timed_run(backend, ATTACKS[name], [stdio_case("", "SECRET_EXPECTED_42\n"), stdio_case("", "42\n")])
    assert res.sandbox_error is None, res.to_dict()
    assert not any(t.passed for t in res.tests), (name, res.to_dict())
    assert_healthy(backend)


EQ_ATTACKS = {
    "plain_always_equal": "class E:\n    def __eq__(self, o): return True\n    __ne__ = lambda s, o: False\n"
                          "def f():\n    return E()\n",
    "int_subclass": "class E(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\n"
                    "def f():\n    return E(0)\n",
    "str_subclass": "class E(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\n"
                    "    def strip(self, *a): return self\ndef f():\n    return E('nope')\n",
    "list_subclass": "class E(list):\n    def __eq__(self, o): return True\ndef f():\n    return E()\n",
    "patch_json": "import json\njson.dumps = lambda *a, **k: '[1, 2, 3]'\ndef f():\n    return 0\n",
    "nan": "def f():\n    return float('nan')\n",
}


EQ_ATTACKS.update({
    # issue 9 items 2 and 3: the result pipe is the program's own claim (no more than a returned
    # value: claiming [7, 8, 9] would be the same as returning it), read with bounded cost
    "patch_json_encoder": ("import json\njson._default_encoder.encode = lambda o: '[1, 2, 3]'\n"
                           "json.encoder.JSONEncoder.encode = lambda s, o: '[1, 2, 3]'\ndef f():\n    return 0\n"),
    "report_deep_nesting_json": "import os\nos.write(3, b'[' * 200000 + b']' * 200000)\nos._exit(0)\n",
    "report_8m_digits_json": "import os\nos.write(3, b'{\"value\": \"' + b'7' * 8_000_000 + b'\"}')\nos._exit(0)\n",
    "report_deep_nesting": "import os\nos.write(3, b'V' + b'[' * 200000 + b']' * 200000)\nos._exit(0)\n",
    "report_deep_error": "import os\nos.write(3, b'E' + b'{\"a\":' * 1500)\nos._exit(0)\n",
    "report_garbage": "import os\nos.write(3, bytes(range(256)) * 64)\nos._exit(0)\n",
    "report_invalid_utf8": "import os\nos.write(3, b'V\\xff\\xfe[7, 8, 9]')\nos._exit(0)\n",
    "report_oversize": "import os\nchunk = b'7' * (1 << 20)\nos.write(3, b'V')\nfor _ in range(10):\n    os.write(3, chunk)\n",
    "report_8m_digits": "import os\nos.write(3, b'V' + b'7' * 8_000_000)\nos._exit(0)\n",
    "report_8m_digits_list": "import os\nos.write(3, b'V[' + b'7' * 8_000_000 + b', 8, 9]')\nos._exit(0)\n",
    "report_twice": "import os\nos.write(3, b'V[7, 8, 9]')\ndef f():\n    return 0\n",
    "report_then_exit_infra": "import os\nos.write(3, b'V[7, 8, 9]')\nos._exit(71)\n",
    "return_huge_int": "import sys\nsys.set_int_max_str_digits(0)\ndef f():\n    return 7 ** 4_000_000\n",
    "return_deep_list": "def f():\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n",
})


@pytest.mark.parametrize("name", sorted(EQ_ATTACKS))
def test_equality_hacks_fail(backend, name):
    limits = Limits(cpu_s=1.0, wall_s=1.0)
    res = timed_run(backend, EQ_ATTACKS[name], [call_case("f", [], [7, 8, 9]), call_case("f", [], 5),
                                                call_case("f", [], 10**5000 + 7)], limits=limits)
    assert res.sandbox_error is None and res.n_passed == 0, (name, res.to_dict())
    assert_healthy(backend)


def test_daemon_from_one_test_cannot_reach_the_next(backend):
    code = ("import os, time\nif os.path.exists('marker'):\n    print('seen')\nelse:\n    open('marker', 'w').close()\n"
            "    if os.fork() == 0:\n        os.setsid()\n        time.sleep(30)\n    print('first')\n")
    res = run(backend, code, [stdio_case("", "first\n"), stdio_case("", "first\n")])
    assert [t.status for t in res.tests] == ["passed", "passed"], res.to_dict()
    assert_healthy(backend)


# ---------------------------------------------------------------------------- issue 9: no state survives
LEAVE_STATE = r'''
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
for k in range(3):  # 3 x 240 MB of SysV shared memory, touched (charged to the container), detached
    i = libc.shmget(1000 + k, 240 << 20, 0o1666)
    a = libc.shmat(i, None, 0)
    ctypes.memset(a, 1, 240 << 20)
    libc.shmdt(ctypes.c_void_p(a))
q = libc.msgget(4242, 0o1666)
msg = ctypes.create_string_buffer(b"\1\0\0\0\0\0\0\0CARRIED", 15)
libc.msgsnd(q, msg, 7, 0)
libc.semget(4343, 8, 0o1666)
open("/dev/shm/carried", "w").write("CARRIED")
try:
    ctypes.CDLL("librt.so.1").mq_open(b"/carried", os.O_CREAT | os.O_RDWR, 0o600, None)
except OSError:
    pass
open("/tmp/sbx/carried", "w").write("CARRIED")
open("carried", "w").write("CARRIED")
os.mkdir("/tmp/sbx/deep"); os.chdir("/tmp/sbx/deep")
for i in range(3000):
    os.mkdir("a"); os.chdir("a")
    if i == 2000:
        open("carried", "w").write("CARRIED"); os.chmod(".", 0o300)
os.mkdir("locked"); os.chmod("locked", 0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
time.sleep(0.1)
print("left")
'''

FIND_STATE = r'''
import os
traces = []
for kind in ("shm", "msg", "sem"):
    traces += [kind] * (len(open(f"/proc/sysvipc/{kind}").read().splitlines()) - 1)
for d in ("/dev/shm", "/dev/mqueue", "/tmp/sbx", "."):
    try:
        traces += [f"{d}/{e}" for e in os.listdir(d) if not (d == "/tmp/sbx" and e == "w")]
    except OSError as exc:
        traces.append(f"{d}: {exc}")
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != os.getpid():
        try:
            if os.stat(f"/proc/{p}").st_uid == os.getuid():
                traces.append(f"process {p}")
        except OSError:
            pass
big = b"\1" * (350 << 20)  # a correct 350 MB solution: fails if leftover shared memory fills the cgroup
print(" ".join(traces) or "clean", len(big) >> 20)
'''


@pytest.fixture(scope="module")
def single(backend):
    """A pool of exactly one container, so consecutive submissions share it."""
    b = get_backend("docker", size=1, spares=0)
    assert b.pool.wait_full(120), b.pool.last_error
    return b


STATE_LIMITS = Limits(cpu_s=3.0, wall_s=6.0, memory_mb=512)


def test_no_state_survives_into_the_next_test_or_submission(single):
    """Issue 9 item 1: SysV IPC (shm/msg/sem), POSIX shm and mqueues, files in every writable
    place, a 3,000-deep tree with unreadable directories and a daemon: nothing reaches the next
    test of the same submission, nor the next submission in the same warm container."""
    res = timed_run(single, LEAVE_STATE + "\n" + "import sys\nif sys.stdin.read() == 'probe':\n    pass\n",
                    [stdio_case("", "left\n")], limits=STATE_LIMITS)
    assert res.sandbox_error is None and res.all_passed, res.to_dict()
    # the next test of the same submission: leave state in test 0, look for it in test 1
    both = "import sys\nif sys.stdin.read() == 'leave':\n" + "".join(
        "    " + line + "\n" for line in LEAVE_STATE.strip().splitlines()) + "else:\n" + "".join(
        "    " + line + "\n" for line in FIND_STATE.strip().splitlines())
    res = timed_run(single, both, [stdio_case("leave", "left\n"), stdio_case("find", "clean 350\n")],
                    limits=STATE_LIMITS)
    assert res.sandbox_error is None, res.to_dict()
    assert [t.status for t in res.tests] == ["passed", "passed"], res.to_dict()
    # the next submission in the same (only) container
    res = timed_run(single, FIND_STATE, [stdio_case("", "clean 350\n")], limits=STATE_LIMITS)
    assert res.all_passed, res.to_dict()
    assert_healthy(single)


def test_state_the_sweep_cannot_remove_in_time_fails_the_test_and_recycles(single):
    """When the sweep cannot prove the container clean (here: 1 ms to remove 3,000 files), the
    test that left the state fails, later tests do not run, and the container is replaced."""
    pool = single.pool
    assert pool.wait_full(60)
    before = {h.name for h in pool._idle}
    limits = Limits(cpu_s=2.0, wall_s=4.0, sweep_s=0.001)
    code = ("import os, sys\nif sys.stdin.read() == 'leave':\n    open(b'/dev/shm/\\xff\\xfe', 'w').close()\n"
            "    for i in range(3000):\n        open(f'/dev/shm/{i}' if i < 1000 else f'f{i}', 'w').close()\nprint('ok')\n")
    res = timed_run(single, code, [stdio_case("leave", "ok\n"), stdio_case("", "ok\n")], limits=limits)
    assert res.sandbox_error is None, res.to_dict()
    assert len(res.tests) == 1 and res.tests[0].status == "runtime_error", res.to_dict()
    assert "left state the sandbox could not remove" in res.tests[0].reason, res.to_dict()
    res.tests[0].reason.encode("utf-8")  # program-chosen file names are made printable
    assert res.n_passed == 0 and res.n_total == 2
    assert pool.wait_full(60)
    assert not before & {h.name for h in pool._idle}, "the dirty container was not recycled"
    assert run(single, code, [stdio_case("", "ok\n")], limits=limits).all_passed  # clean tests still pass
    assert_healthy(single)


# ---------------------------------------------------------------------------- issue 9: threads, floats, budget
@pytest.mark.parametrize("threads", [2, 4, 8])
def test_multithreaded_solutions_pass(backend, threads):
    """Issue 9 item 4: 2-8 threads (threading and concurrent.futures) fit in the address-space limit."""
    code = (f"import threading\nfrom concurrent.futures import ThreadPoolExecutor\nn = int(input())\nout = [0] * {threads}\n"
            f"def work(i):\n    out[i] = sum(len([j] * 10000) for j in range(n))\n"
            f"ts = [threading.Thread(target=work, args=(i,)) for i in range({threads})]\n"
            "[t.start() for t in ts]\n[t.join() for t in ts]\n"
            f"with ThreadPoolExecutor({threads}) as ex:\n    print(sum(out), sum(ex.map(lambda x: x * x, range(n))))\n")
    res = timed_run(backend, code, [stdio_case("100\n", f"{threads * 1000000} 328350\n")], limits=Limits(cpu_s=4, wall_s=8))
    assert res.all_passed, res.to_dict()


def test_deep_recursion_in_a_big_stack_thread_still_works(backend):
    code = ("import sys, threading\nsys.setrecursionlimit(10**6)\nthreading.stack_size(1 << 26)\n"
            "from functools import lru_cache\n@lru_cache(None)\ndef d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\n"
            "t = threading.Thread(target=lambda: print(d(50000)))\nt.start(); t.join()\n")
    res = timed_run(backend, code, [stdio_case("", "50000\n")], limits=Limits(cpu_s=4, wall_s=8))
    assert res.all_passed, res.to_dict()


def test_zero_for_a_tiny_expected_float_fails(backend):
    """Issue 9 item 6, end to end."""
    assert not run(backend, "print(0)", [stdio_case("", "1e-09\n")]).all_passed
    assert run(backend, "print(1.0000001e-09)", [stdio_case("", "1e-09\n")]).all_passed
    assert not run(backend, "def f():\n    return 0.0\n", [call_case("f", [], 1e-9)]).all_passed


def test_submission_budget_caps_slow_submissions(backend):
    """Issue 9 item 3: n tests that each sleep stop at n * wall + slack, then the rest time out."""
    limits = Limits(cpu_s=1.0, wall_s=1.0, submission_slack_s=0.5)
    cases = [stdio_case("", "1\n")] * 4
    t0 = time.monotonic()
    res = run(backend, "import time\ntime.sleep(30)\n", cases, limits=limits)
    took = time.monotonic() - t0
    assert res.sandbox_error is None and res.n_passed == 0
    assert all(t.status == "timeout" for t in res.tests), res.to_dict()
    assert took <= limits.submission_budget(4) + 1.0, took
    assert_healthy(backend)


# ---------------------------------------------------------------------------- pool recovery
def _container_names(backend):
    with backend.pool._cond:
        return [h.name for h in list(backend.pool._idle)]


def test_killed_idle_container_is_replaced(backend):
    assert backend.pool.wait_full(60)
    victim = _container_names(backend)[0]
    subprocess.run(["docker", "kill", victim], capture_output=True, timeout=30)
    t0 = time.monotonic()
    deadline = t0 + 30
    while time.monotonic() < deadline:
        if victim not in _container_names(backend) and backend.pool.idle_count == backend.pool.target:
            break
        time.sleep(0.05)
    assert victim not in _container_names(backend)
    assert backend.pool.idle_count == backend.pool.target, "pool did not refill"
    assert_healthy(backend)


def test_container_killed_mid_run_is_sandbox_error(backend):
    import threading

    assert backend.pool.wait_full(60)
    names_before = set(_container_names(backend))
    out = {}

    def submit():
        out["res"] = run(backend, "import time\ntime.sleep(5)\n", [stdio_case("", "1")], limits=Limits(cpu_s=5, wall_s=8))

    t = threading.Thread(target=submit)
    t.start()
    busy = None
    for _ in range(200):
        with backend.pool._cond:
            busy = next(iter(backend.pool._busy), None)
        if busy is not None:
            break
        time.sleep(0.02)
    assert busy is not None and busy.name in names_before
    time.sleep(0.3)
    subprocess.run(["docker", "kill", busy.name], capture_output=True, timeout=30)
    t.join(30)
    res = out["res"]
    assert res.sandbox_error, res.to_dict()
    assert_healthy(backend)


def test_reward_none_on_sandbox_error_and_parallel_batch(backend):
    from rlvr import get_reward

    r = get_reward("code_tests", backend="docker", pool_size=2, cpu_s=2)
    info = {"test_cases": [{"input": "2\n", "output": "4\n", "type": "stdin_stdout"},
                           {"input": "5\n", "output": "10\n", "type": "stdin_stdout"}]}
    good = "```python\nprint(int(input()) * 2)\n```"
    half = "```python\nn = int(input())\nprint(4 if n == 2 else 0)\n```"
    values = r(completions=[good, half, "no code", good] * 2, verification_info=[info] * 8)
    assert values == [1.0, 0.5, 0.0, 1.0] * 2
    bad = get_reward("code_tests", backend="docker", image="rlvr-no-such-image:never")
    assert bad(completions=[good], verification_info=[info]) == [None]


def test_concurrent_async_calls_share_the_pool(backend):
    import asyncio
    import threading

    from rlvr import get_reward

    r = get_reward("code_tests", backend="docker", pool_size=2)
    info = {"test_cases": [{"input": "3\n", "output": "9\n", "type": "stdin_stdout"}]}
    good = "```python\nprint(int(input()) ** 2)\n```"
    results = []

    def loop_worker():
        async def main():
            calls = [r.as_async()(completions=[good] * 3, verification_info=[info] * 3) for _ in range(3)]
            return await asyncio.gather(*calls)

        results.extend(asyncio.run(main()))

    threads = [threading.Thread(target=loop_worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert results == [[1.0, 1.0, 1.0]] * 9
    assert backend.pool.alive_count <= backend.pool.target


def test_doctor_reports(backend):
    from rlvr.sandbox.cli import doctor_report

    rep = doctor_report(backend="docker", rounds=3)
    assert rep["engine"]["reachable"] and rep["image_present"] and rep["harness"]["ok"], rep
    assert rep["round_trip_ms"]["median"] > 0
