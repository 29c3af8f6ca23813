"""Entry point of one :class:`~rlvr.verifiers.deadline_pool.DeadlinePool` worker process.

Run as ``python -m rlvr.verifiers.deadline_worker HANDLER [INITIALIZER] [MEMORY_MB]`` by the
pool (never by hand). Protocol on the inherited pipes: frames of a 4-byte big-endian length
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
from typing import Any, Callable

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
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
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


def main(argv: list[str]) -> int:
    handler_ref = argv[0]
    init_ref = argv[1] if len(argv) > 1 and argv[1] else None
    memory_mb = int(argv[2]) if len(argv) > 2 and argv[2] else 0

    # keep the protocol pipes private: stray prints in tasks go to stderr, input from /dev/null
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _die_with_parent()
    if memory_mb > 0:
        _limit_memory(memory_mb)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))

    if init_ref:
        _resolve(init_ref)()
    handler = _resolve(handler_ref)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
