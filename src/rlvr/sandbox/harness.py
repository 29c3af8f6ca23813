"""The trusted in-sandbox harness: one persistent process that runs untrusted Python tests.

This file is a standalone program (standard library only, Python >= 3.10). The host starts it
once per container (``python3 -I -c <this source>``, as the container's main process under
``--init``) or once per local worker, and then talks to it over its stdin/stdout with
length-prefixed JSON frames (4-byte big-endian length, then UTF-8 JSON). It never sees an
expected output: requests carry only the code, the test *input* (stdin text or call arguments)
and limits. Replies carry raw facts (exit status, CPU/wall time, stdout bytes, the JSON text
of a returned value); all judging happens on the host.

Requests (``op``) and replies:

* ``load {nonce, code, limits}`` -> ``loaded``: remembers the submission.
* ``run {nonce, index, stdin | (fn_name, args, int_keys), budget_s?}`` -> ``result``: one test in a
  fresh child; ``budget_s`` (what is left of the submission's wall budget) shortens the test's
  wall limit and bounds the sweep that follows it.
* ``end {nonce}`` -> ``ended {clean, leftovers}``: forgets the submission, sweeps processes/files.
* ``ping`` -> ``pong``; ``procs`` -> ``procs {procs, used_bytes, leftovers}`` (diagnostics).

What the host may believe and what it may not: exit status, signal, CPU/wall time and byte
counts are observed by the harness (``wait4``, pipe reads) and cannot be touched by the
solution. ``setup_ok`` is true only when the child wrote one byte on a private pipe *before*
the solution's code ran and closed it, so no exit code or output of the solution can make a
test look like an infrastructure failure. Everything else (stdout, stderr, the result pipe
``report_b64``) is the solution's own claim: the harness forwards it as opaque bytes within
byte caps and never parses it; the host parses it with bounded size, depth and digit counts.

Each test runs in a child forked from the harness that, before touching the code: starts a
new session, points fds 0/1/2 at private pipes (stdin from a memfd) and fd 3 at a private
result pipe, closes every other fd (the protocol channel included), raises its own OOM score,
drops to the unprivileged solution uid/gid (when the harness runs as root), and sets rlimits
(address space, CPU seconds, file size, open files, no core files). The harness reads the
pipes with a wall deadline and byte caps, kills the whole process group on overrun, and after
every test kills every remaining solution process (a helper running as the solution uid calls
``kill(-1, SIGKILL)``; the harness is a child subreaper, so double-forked daemons come back to
it), removes every SysV IPC object (shared memory, message queues, semaphores), every entry of
the writable places (its work root, ``/dev/shm``, ``/dev/mqueue``; any depth, any mode) and
then *verifies* that nothing is left; a sweep that cannot prove the container clean says so
(``clean: false``) and the host recycles the container.

Child setup also: a modest default thread stack (``THREAD_STACK``; the main thread keeps the
large ``RLIMIT_STACK``), at most two malloc arenas (so threads fit in the address-space limit),
``RLIMIT_MSGQUEUE=0`` (no POSIX message queues), and, when the harness does not drop privileges
(the local backend), a Landlock domain (or else a user namespace) so the solution cannot
ptrace, read the memory of, or signal any process outside its own tree (the harness, the
trainer that holds the expected outputs).
"""

from __future__ import annotations

import atexit
import base64
import builtins
import io
import json
import os
import resource
import select
import signal
import struct
import sys
import threading
import time
import traceback
import types

PROTOCOL_VERSION = 2
MAX_FRAME = 256 * 1024 * 1024
SOLUTION_UID = 65534
SOLUTION_GID = 65534
PR_SET_CHILD_SUBREAPER = 36
RESULT_FD = 3
SETUP_OK_FD = 4
STDERR_TAIL = 4096
#: Default stack of threads the solution starts (the main thread keeps RLIMIT_STACK).
THREAD_STACK = 16 << 20
SYSV_KINDS = ("shm", "msg", "sem")
SHARED_DIRS = ("/dev/shm", "/dev/mqueue")


# --------------------------------------------------------------------------- framing
def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        try:
            data = os.read(fd, min(n, 1 << 20))
        except InterruptedError:
            continue
        if not data:
            return None
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def read_frame(fd: int) -> dict | None:
    head = _read_exact(fd, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">I", head)
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    body = _read_exact(fd, size)
    if body is None:
        return None
    return json.loads(body)


def write_frame(fd: int, obj: dict) -> None:
    body = json.dumps(obj, separators=(",", ":")).encode()
    data = struct.pack(">I", len(body)) + body
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        view = view[n:]


# --------------------------------------------------------------------------- the child
def _convert_int_keys(value):
    """APPS/TACO store dict arguments with JSON's string keys; restore integer keys."""
    if isinstance(value, dict):
        if value and all(isinstance(k, str) and k.lstrip("-").isdigit() for k in value):
            return {int(k): _convert_int_keys(v) for k, v in value.items()}
        return {k: _convert_int_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert_int_keys(v) for v in value]
    return value


def _isolate_from_host() -> str:
    """Put this process in a Landlock domain (else a user namespace): it can then no longer
    ptrace, read the memory of, or (Landlock ABI >= 6) signal processes outside its own tree.
    Returns the mechanism used; raises OSError when neither is available."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi >= 1:
        # Handle only "make block device" (never needed): the domain is what matters, not the rules.
        attr = struct.pack("QQQ", 1 << 11, 0, 3) if abi >= 6 else struct.pack("Q", 1 << 11)
        buf = ctypes.create_string_buffer(attr, len(attr))
        fd = libc.syscall(444, buf, len(attr), 0)
        if fd >= 0:
            try:
                if libc.prctl(38, 1, 0, 0, 0) == 0 and libc.syscall(446, fd, 0) == 0:  # NO_NEW_PRIVS; restrict_self
                    return f"landlock-{abi}"
            finally:
                os.close(fd)
    if hasattr(os, "unshare"):
        try:
            os.unshare(os.CLONE_NEWUSER)
            return "userns"
        except OSError:
            pass
    if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER
        return "userns"
    raise OSError("neither Landlock nor user namespaces are available")


def _child(code: str, fn_name, args, int_keys: bool, limits: dict, drop: bool, workroot: str,
           fds: tuple[int, int, int, int, int]) -> None:
    """Runs in the forked child; never returns (``os._exit``)."""
    rc = 70
    fds_ready = False
    try:
        os.setsid()
        in_fd, out_fd, err_fd, res_fd, ok_fd = fds
        for src, dst in ((in_fd, 0), (out_fd, 1), (err_fd, 2), (res_fd, RESULT_FD), (ok_fd, SETUP_OK_FD)):
            os.dup2(src, dst)
        os.closerange(SETUP_OK_FD + 1, 1 << 16)
        fds_ready = True
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass
        if drop:
            os.setgroups([])
            os.setgid(SOLUTION_GID)
            os.setuid(SOLUTION_UID)
        def lim(which, soft, hard=None):
            try:
                resource.setrlimit(which, (soft, soft if hard is None else hard))
            except (ValueError, OSError):
                pass

        cpu = max(1, int(-(-float(limits["cpu_s"]) // 1)))
        lim(resource.RLIMIT_CPU, cpu, cpu + 1)
        lim(resource.RLIMIT_AS, int(limits["memory_mb"]) << 20)
        lim(resource.RLIMIT_FSIZE, int(limits["fsize_mb"]) << 20)
        lim(resource.RLIMIT_NOFILE, int(limits["nofile"]))
        lim(resource.RLIMIT_CORE, 0)
        if hasattr(resource, "RLIMIT_MSGQUEUE"):
            lim(resource.RLIMIT_MSGQUEUE, 0)
        try:  # threads: a bounded default stack and few malloc arenas, so 2-8 threads fit in RLIMIT_AS
            threading.stack_size(THREAD_STACK)
        except (ValueError, RuntimeError):
            pass
        try:
            import ctypes

            ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX
        except Exception:
            pass
        workdir = os.path.join(workroot, "w")
        os.makedirs(workdir, mode=0o755, exist_ok=True)  # readable, so the harness can see it is empty
        os.chdir(workdir)
        os.umask(0o077)
        if not drop:  # same uid as the harness and the trainer: cut ptrace/memory/signal access instead
            _isolate_from_host()
        os.write(SETUP_OK_FD, b"1")  # written before any solution code runs, then closed for good
        os.close(SETUP_OK_FD)
    except BaseException as exc:
        try:  # the reason goes on the setup pipe (still ours: no solution code has run)
            if fds_ready:
                os.write(SETUP_OK_FD, b"!" + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")[:200])
        except BaseException:
            pass
        os._exit(71)  # no setup byte: the host reports a sandbox error

    # From here on the solution's code runs; the harness's own state is unreachable
    # (separate process, separate uid, no protocol fds).
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    enc = {"encoding": "utf-8", "errors": "strict"}
    stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), **enc)
    stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), **enc)
    stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                              write_through=True)
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = stdin, stdout, stderr
    result = io.FileIO(RESULT_FD, "w", closefd=True)
    dumps = json.dumps

    def report(obj) -> None:  # "V" + JSON text of the value, or "E" + JSON of {phase, type}
        try:
            if "value" in obj:
                result.write(b"V" + obj["value"].encode("utf-8", "surrogatepass"))
            else:
                result.write(b"E" + dumps(obj).encode())
            result.flush()
        except BaseException:
            pass

    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    main.__dict__["__file__"] = "solution.py"
    sys.modules["__main__"] = main
    sys.argv = ["solution.py"]

    def flush_all() -> None:
        for stream in {id(stdout): stdout, id(sys.stdout): sys.stdout, id(stderr): stderr}.values():
            try:
                stream.flush()
            except BaseException:
                pass

    def exit_code(exc: SystemExit) -> int:
        c = exc.code
        if c is None:
            return 0
        if isinstance(c, int) and not isinstance(c, bool):
            return c & 0xFF
        try:
            print(c, file=sys.stderr)
        except BaseException:
            pass
        return 1

    try:
        compiled = compile(code, "solution.py", "exec")
    except BaseException as exc:  # SyntaxError, ValueError (NUL bytes), MemoryError, RecursionError
        report({"phase": "compile", "type": type(exc).__name__})
        try:
            traceback.print_exc()
        except BaseException:
            pass
        flush_all()
        os._exit(1)

    rc = 0
    try:
        try:
            exec(compiled, main.__dict__)
            if fn_name:
                target = main.__dict__.get(fn_name)
                if not callable(target):
                    cls = main.__dict__.get("Solution")
                    target = getattr(cls(), fn_name, None) if isinstance(cls, type) else None
                if not callable(target):
                    report({"phase": "call", "type": "NameError", "msg": f"no function named {fn_name!r}"})
                    rc = 1
                else:
                    call_args = _convert_int_keys(args) if int_keys else args
                    value = target(*call_args)
                    try:
                        text = dumps(value)
                    except BaseException as exc:
                        report({"phase": "serialize", "type": type(exc).__name__})
                    else:
                        report({"value": text})
        except SystemExit as exc:
            rc = exit_code(exc)
        except BaseException as exc:
            rc = 1
            report({"phase": "run", "type": type(exc).__name__})
            try:
                traceback.print_exc()
            except BaseException:
                pass
        try:
            threading._shutdown()  # join non-daemon threads like a normal interpreter exit
        except BaseException:
            pass
        try:
            atexit._run_exitfuncs()
        except SystemExit as exc:
            rc = exit_code(exc)
        except BaseException:
            pass
    finally:
        flush_all()
        os._exit(rc)


# --------------------------------------------------------------------------- process sweeping
def _proc_table():
    """(pid, ppid, sid, uid, state) of every visible process."""
    table = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            uid = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        rest = stat[stat.rfind(b")") + 2:].split()
        table.append((int(entry), int(rest[1]), int(rest[3]), uid, rest[0].decode()))
    return table


def _children(me: int) -> list[int]:
    try:
        with open(f"/proc/{me}/task/{me}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Harness:
    def __init__(self) -> None:
        self.me = os.getpid()
        self.drop = os.geteuid() == 0 and os.environ.get("RLVR_SANDBOX_NO_DROP") != "1"
        self.has_proc = os.path.isdir("/proc/self")
        if os.environ.get("RLVR_SANDBOX_WORKROOT"):
            self.workroot = os.environ["RLVR_SANDBOX_WORKROOT"]
            os.makedirs(self.workroot, mode=0o700, exist_ok=True)
        else:
            import tempfile

            self.workroot = tempfile.mkdtemp(prefix="rlvr-sbx-")
        if self.drop:
            os.chmod(self.workroot, 0o1777)
            # Docker copies the image's /tmp mode (1777) onto the tmpfs: only the workroot may be writable.
            parent = os.path.dirname(os.path.abspath(self.workroot))
            if parent != "/" and os.stat(parent).st_uid == 0:
                os.chmod(parent, 0o755)
        self.sessions: set[int] = set()
        self.submission: dict | None = None
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            self.subreaper = True
        except Exception:
            self.subreaper = False

    # ------------------------------------------------------------------ one test
    def run_test(self, req: dict) -> dict:
        sub = self.submission
        if sub is None:
            return {"op": "error", "error": "run before load"}
        limits = sub["limits"]
        started = time.monotonic()
        budget = req.get("budget_s")
        budget = float(budget) if isinstance(budget, (int, float)) and budget > 0 else None
        wall = float(limits["wall_s"]) if budget is None else min(float(limits["wall_s"]), budget)
        stdin_data = (req.get("stdin") or "").encode("utf-8", "surrogateescape")
        memfd = _stdin_fd(stdin_data)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        ok_r, ok_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(sub["code"], req.get("fn_name"), req.get("args") or [], bool(req.get("int_keys")), limits,
                   self.drop, self.workroot, (memfd, out_w, err_w, res_w, ok_w))
        for fd in (memfd, out_w, err_w, res_w, ok_w):
            os.close(fd)
        self.sessions.add(pid)
        caps = {out_r: int(limits["stdout_bytes"]), err_r: int(limits["stderr_bytes"]),
                res_r: int(limits["stdout_bytes"]) + 4096, ok_r: 256}
        bufs = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray(), ok_r: bytearray()}
        over = None
        timed_out = False
        status = None
        rusage = None
        open_fds = set(bufs)
        poller = select.poll()
        for fd in open_fds:
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        exit_seen_at = None
        while True:
            now = time.monotonic()
            if status is None:
                got, st, ru = os.wait4(pid, os.WNOHANG)
                if got == pid:
                    status, rusage, exit_seen_at = st, ru, now
            if status is not None and (not open_fds or now - exit_seen_at > 0.05):
                break  # exited; grandchildren holding the pipes open get 50 ms, then the sweep
            if status is None and now - started > wall:
                timed_out = True
                break
            if over is not None:
                break
            if not open_fds:
                time.sleep(0.0005)
                continue
            timeout_ms = 5 if status is None else 2
            for fd, _ev in poller.poll(timeout_ms):
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:
                    data = b""
                if not data:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                    continue
                buf = bufs[fd]
                buf += data
                if len(buf) > caps[fd]:
                    over = {out_r: "stdout", err_r: "stderr", res_r: "result"}.get(fd)
                    if over is None:  # the setup pipe is closed before the code runs: cannot happen
                        poller.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    break
        if status is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            _, status, rusage = os.wait4(pid, 0)
        wall_ms = (time.monotonic() - started) * 1000.0
        if ok_r in open_fds:  # the child is gone and nothing else ever held this pipe: read never blocks
            try:
                bufs[ok_r] += os.read(ok_r, 256)
            except OSError:
                pass
        for fd in (out_r, err_r, res_r, ok_r):
            os.close(fd)
        sweep_s = float(limits.get("sweep_s") or 2.0)
        if budget is not None:
            sweep_s = min(sweep_s, max(0.25, budget - (time.monotonic() - started)))
        clean, leftovers = self.sweep(sweep_s)
        self.sessions.discard(pid)
        reply = {
            "op": "result",
            "index": req.get("index"),
            "setup_ok": bytes(bufs[ok_r]) == b"1",
            "setup_error": bytes(bufs[ok_r][1:]).decode("utf-8", "replace") if bufs[ok_r][:1] == b"!" else "",
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_ms": round((rusage.ru_utime + rusage.ru_stime) * 1000.0, 3),
            "wall_ms": round(wall_ms, 3),
            "wall_limit_s": wall,
            "max_rss_kb": int(rusage.ru_maxrss),
            "timed_out": timed_out,
            "over": over,
            "stdout_bytes": len(bufs[out_r]),
            "stderr_tail": bytes(bufs[err_r][-STDERR_TAIL:]).decode("utf-8", "replace"),
            "clean": clean,
            "leftovers": leftovers[:20],
        }
        if over is None:
            reply["stdout_b64"] = base64.b64encode(bytes(bufs[out_r])).decode()
            reply["report_b64"] = base64.b64encode(bytes(bufs[res_r])).decode()
        return reply

    # ------------------------------------------------------------------ cleanup
    def _kill_as_solution_uid(self) -> None:
        try:
            pid = os.fork()
        except OSError:  # pids limit reached: the direct kills above still run
            return
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(SOLUTION_GID)
                os.setuid(SOLUTION_UID)
                os.kill(-1, signal.SIGKILL)
            except BaseException:
                pass
            os._exit(0)
        os.waitpid(pid, 0)

    def _kill_processes(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            for sid in self.sessions:
                try:
                    os.killpg(sid, signal.SIGKILL)
                except OSError:
                    pass
            victims = self._solution_processes()
            if not victims:
                return True
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if self.drop:  # catches processes forked while we were killing
                self._kill_as_solution_uid()
            _reap_all()
            time.sleep(0.001)
        return not self._solution_processes()

    def _solution_processes(self) -> list[int]:
        if self.drop and self.has_proc:  # a container: its process table is small
            return [pid for pid, ppid, sid, uid, state in _proc_table()
                    if pid != self.me and state not in ("Z", "X")
                    and (uid == SOLUTION_UID or ppid == self.me or sid in self.sessions)]
        _reap_all()  # a host: only our own children (orphans come back to us as subreaper)
        return _children(self.me)

    def sweep(self, budget_s: float = 2.0) -> tuple[bool, list[str]]:
        """Kill every leftover solution process, remove its IPC objects and files, then verify.

        Returns ``(clean, leftovers)``; ``clean`` is True only when the verification found
        nothing (``leftovers`` names what was found otherwise)."""
        deadline = time.monotonic() + budget_s
        self._kill_processes(deadline)
        _reap_all()
        found = self.leftovers()
        if any(not item.startswith("process ") for item in found):
            self._remove_state(deadline)
            found = self.leftovers()
        return not found, found

    def _file_targets(self) -> list[str]:
        if not self.drop:
            w = os.path.join(self.workroot, "w")
            return [w] if os.path.lexists(w) else []
        targets = []
        for d in (self.workroot, *SHARED_DIRS):
            try:
                targets += [os.path.join(d, e) for e in os.listdir(d)]
            except OSError:
                pass
        return targets

    def leftovers(self) -> list[str]:
        """Everything a solution left behind, as seen by the harness (empty when clean)."""
        found = [f"process {pid}" for pid in self._solution_processes()]
        if self.drop:
            for kind in SYSV_KINDS:
                ids = _sysv_ids(kind)
                if ids is None:
                    found.append(f"sysv {kind}: /proc/sysvipc unreadable")
                else:
                    found += [f"sysv {kind} {i}" for i in ids]
            try:
                extra = [e for e in os.listdir(os.path.dirname(self.workroot) or "/")
                         if e != os.path.basename(self.workroot)]
                found += [f"file {os.path.dirname(self.workroot)}/{e}" for e in extra]
            except OSError:
                pass
        w = os.path.join(self.workroot, "w")
        found += [f"file {t}" for t in self._file_targets() if not (t == w and _empty_dir(t))]
        return found

    def _remove_state(self, deadline: float) -> None:
        """Remove SysV objects and files as the solution uid (their owner), within ``deadline``."""
        targets = self._file_targets()
        if not self.drop:
            _remove_paths(targets, deadline)
            return
        try:
            pid = os.fork()
        except OSError:
            return
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(SOLUTION_GID)
                os.setuid(SOLUTION_UID)
                _remove_sysv()
                _remove_paths(targets, deadline)
            except BaseException:
                pass
            os._exit(0)
        while True:
            got, _ = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                return
            if time.monotonic() > deadline:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                os.waitpid(pid, 0)
                return
            time.sleep(0.001)

    # ------------------------------------------------------------------ main loop
    def handle(self, req: dict) -> dict:
        op = req.get("op")
        if op == "run":
            return self.run_test(req)
        if op == "load":
            self.submission = {"code": req["code"], "limits": req["limits"]}
            return {"op": "loaded"}
        if op == "end":
            self.submission = None
            clean, found = self.sweep()
            self.sessions.clear()
            return {"op": "ended", "clean": clean, "leftovers": found[:20]}
        if op == "ping":
            return {"op": "pong"}
        if op == "procs":
            procs = []
            if self.has_proc:
                for pid, ppid, _sid, uid, state in _proc_table():
                    if pid in (self.me, 1) or state in ("Z", "X"):
                        continue
                    procs.append({"pid": pid, "ppid": ppid, "uid": uid, "state": state})
            used = {}
            for mount in ("/tmp", "/dev/shm", self.workroot):
                try:
                    st = os.statvfs(mount)
                    used[mount] = (st.f_blocks - st.f_bfree) * st.f_frsize
                except OSError:
                    pass
            return {"op": "procs", "procs": procs, "used_bytes": used, "leftovers": self.leftovers()[:50]}
        return {"op": "error", "error": f"unknown op {op!r}"}

    def serve(self, in_fd: int, out_fd: int) -> None:
        write_frame(out_fd, {"op": "ready", "version": PROTOCOL_VERSION, "pid": self.me, "uid": os.geteuid(),
                             "drop": self.drop, "subreaper": self.subreaper,
                             "python": sys.version.split()[0]})
        while True:
            req = read_frame(in_fd)
            if req is None:
                return
            try:
                reply = self.handle(req)
            except Exception as exc:  # the host treats this as a broken harness and recycles it
                reply = {"op": "error", "error": f"{type(exc).__name__}: {exc}"}
            reply["nonce"] = req.get("nonce")
            write_frame(out_fd, reply)


def _stdin_fd(data: bytes) -> int:
    """A seekable fd holding the test's stdin (a memfd; an unlinked temp file elsewhere)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("stdin", 0)
    else:
        import tempfile

        fd = os.dup(tempfile.TemporaryFile().fileno())
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _empty_dir(path: str) -> bool:
    try:
        return os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path)
    except OSError:
        return False


def _sysv_ids(kind: str) -> list[int] | None:
    """Ids of the SysV IPC objects of one kind in this IPC namespace (None: cannot tell)."""
    try:
        with open(f"/proc/sysvipc/{kind}") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return None
    return [int(line.split()[1]) for line in lines if line.split()]


def _remove_sysv() -> None:
    """IPC_RMID every SysV object this uid owns or created (runs as the solution uid)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for kind in SYSV_KINDS:
        for ident in _sysv_ids(kind) or []:
            if kind == "shm":
                libc.shmctl(ident, 0, None)
            elif kind == "msg":
                libc.msgctl(ident, 0, None)
            else:
                libc.semctl(ident, 0, 0)


def _remove_paths(paths, deadline: float) -> None:
    """Remove files and directory trees of any depth and any mode (the caller owns them).

    Iterative and relative (``fchdir`` down, ``..`` up), so neither Python's recursion limit,
    PATH_MAX nor the open-file limit stops it; mode-000 directories are opened up first."""
    import stat as st

    def enter(name: str, stack: list[str]) -> None:
        os.chmod(name, 0o700)  # a directory (checked without following links); nothing runs any more
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            os.fchdir(fd)
        finally:
            os.close(fd)
        stack.append(name)

    for path in paths:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        try:
            if not st.S_ISDIR(mode):
                os.unlink(path)
                continue
            os.chdir(os.path.dirname(path) or "/")
        except OSError:
            continue
        stack: list[str] = []
        try:
            enter(os.path.basename(path), stack)
            while stack:
                if time.monotonic() > deadline:
                    return
                descended = False
                with os.scandir(".") as it:
                    for entry in it:
                        if entry.is_dir(follow_symlinks=False):
                            enter(entry.name, stack)
                            descended = True
                            break
                        os.unlink(entry.name)
                if not descended:
                    os.chdir("..")
                    os.rmdir(stack.pop())
        except OSError:
            continue
        finally:
            try:
                os.chdir("/")
            except OSError:
                pass


def main() -> None:
    # Move the protocol channel off fds 0/1 so nothing else can write to it by accident;
    # fds 0-2 become /dev/null for the harness itself.
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    for fd in (in_fd, out_fd):
        os.set_inheritable(fd, False)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    Harness().serve(in_fd, out_fd)


if __name__ == "__main__":
    main()
