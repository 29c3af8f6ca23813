"""Entry point of one :class:`~rlvr.runtime.deadline_pool.DeadlinePool` worker process.

Run as ``python -m rlvr.runtime.deadline_worker HANDLER [INITIALIZER] [MEMORY_MB]`` by the
pool (never by hand), or as ``... --template CONTROL_FD HANDLER [INITIALIZER] [MEMORY_MB]``: a
warm template process that forks workers on request (see :func:`template_main`). Protocol on the inherited pipes: frames of a 4-byte big-endian length
followed by a pickle. The worker first sends ``("ready", pid)``, then for each task frame
``(task_id, payload)`` replies ``("ok", task_id, result)`` or ``("error", task_id, message)``.
It exits on end of input (the parent closed the pipe or died) and, within about a
second, when the parent process dies while a task is running.

The worker runs every task on its **main thread**, so code that relies on ``signal`` works,
but the pool's deadline does not need it: the parent kills the worker.
"""

from __future__ import annotations

import importlib
import os
import pickle
import struct
import sys
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct(">I")


def _resolve(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _write_frame(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _die_with_parent() -> None:
    """Exit when the parent process goes away, even in the middle of a long task.

    (``PR_SET_PDEATHSIG`` is not used: it fires when the *thread* that started the worker
    exits, and rewards are routinely called from short-lived threads.)"""
    import signal
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                if os.getpgrp() == os.getpid():
                    # a group leader (a worker template): its forked workers share the group,
                    # parked (stopped) ones included, which could not run a watch of their own
                    os.killpg(os.getpid(), signal.SIGKILL)
                os._exit(0)

    threading.Thread(target=watch, name="rlvr-parent-watch", daemon=True).start()


def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _private_stdio() -> None:
    """Stray prints in tasks go to stderr; input comes from /dev/null."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def _prepare(init_ref: str | None, memory_mb: int) -> None:
    """Common start-up: parent watch, memory limit, recursion limit, then the initializer."""
    _die_with_parent()
    if memory_mb > 0:
        _limit_memory(memory_mb)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    if init_ref:
        _resolve(init_ref)()


def serve(handler: Callable[[Any], Any], in_fd: int, out_fd: int) -> int:
    """The task loop on the protocol pipes: ``("ready", pid)``, then one reply per task frame."""
    _write_frame(out_fd, ("ready", os.getpid()))
    while True:
        header = _read_exact(in_fd, _HEADER.size)
        if header is None:
            return 0
        body = _read_exact(in_fd, _HEADER.unpack(header)[0])
        if body is None:
            return 0
        task_id, payload = pickle.loads(body)
        try:
            reply: tuple[Any, ...] = ("ok", task_id, handler(payload))
        except BaseException as exc:  # report every failure; the parent decides the status
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            reply = ("error", task_id, f"{type(exc).__name__}: {str(exc)[:500]}")
        try:
            _write_frame(out_fd, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            _write_frame(out_fd, ("error", task_id, f"result is not picklable: {exc}"))


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--template":
        return template_main(int(argv[1]), argv[2:])
    handler_ref = argv[0]
    init_ref = argv[1] if len(argv) > 1 and argv[1] else None
    memory_mb = int(argv[2]) if len(argv) > 2 and argv[2] else 0

    in_fd, out_fd = os.dup(0), os.dup(1)  # keep the protocol pipes private
    _private_stdio()
    _prepare(init_ref, memory_mb)
    return serve(_resolve(handler_ref), in_fd, out_fd)


def template_main(control_fd: int, argv: list[str]) -> int:
    """A warm template: imports and initialises once, then forks one worker per request.

    Requests arrive on the control socket as one byte with two file descriptors attached (the
    task pipe's read end, the result pipe's write end); the reply is the new worker's pid (4
    bytes, big-endian). Each worker is a fork of the warm template, so it starts in
    milliseconds with every import and cache already in place. Children are reaped
    automatically and stay in the template's process group: when the pool's process dies the
    template kills the whole group (parked, i.e. stopped, workers included); a running worker
    also exits on its own within a second of its template's death.
    """
    import signal
    import socket

    handler_ref = argv[0]
    init_ref = argv[1] if len(argv) > 1 and argv[1] else None
    memory_mb = int(argv[2]) if len(argv) > 2 and argv[2] else 0
    control = socket.socket(fileno=control_fd)
    _private_stdio()
    _prepare(init_ref, memory_mb)
    handler = _resolve(handler_ref)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies: workers are reaped by the kernel
    control.sendall(b"R")
    try:
        return _fork_on_request(control, handler)
    finally:  # the pool closed the socket or died: no worker outlives the template
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _fork_on_request(control: Any, handler: Callable[[Any], Any]) -> int:
    import signal
    import socket

    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 16, 2)
        except OSError:
            return 0
        if not msg:
            return 0
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                control.close()  # the worker stays in the template's process group (see _die_with_parent)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _die_with_parent()
                code = serve(handler, fds[0], fds[1])
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        control.sendall(_HEADER.pack(pid))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
