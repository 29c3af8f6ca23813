"""The local backend: the same trusted harness as a host subprocess, for machines without Docker.

**This is not a security boundary.** Solutions run as *your* user on *your* host with only
rlimits (address space, CPU seconds, file size, open files), a wall deadline, output caps, a
private working directory and a process sweep after every test. What it does NOT stop:

* network access (no network namespace): a solution can reach the internet and your LAN;
* reading or writing any file your user can (your home directory, datasets, credentials);
* a fork bomb: ``RLIMIT_NPROC`` is per-user and ignored for root, so a fork bomb can slow the
  whole machine until the test's deadline (processes are then killed by the sweep);
* memory pressure across tests running in parallel (``RLIMIT_AS`` is per process);
* killing other processes of your user where Landlock signal scoping (ABI >= 6) is missing;
* SysV IPC objects and ``/dev/shm`` files it leaves (sweeping them on a host could delete your
  other programs' objects).

What it does keep: expected outputs never enter the harness, results are compared in the
trainer process, and the JSON of returned values is produced in the child, so the
always-equal, frame-walking and fake-result exploits fail here exactly as in Docker. Each
test's process enters a Landlock domain (else a user namespace) before the code runs, so it
cannot ptrace or read the memory of the harness or of the trainer that holds the expected
outputs (``/proc/<pid>/mem``); where neither is available every test is a ``sandbox_error``.
``get_backend("auto")`` never picks this backend unless the fallback is opted in.
Use it for trusted data or on a throwaway VM (e.g. Colab); use the Docker backend otherwise.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
from typing import Any

from rlvr.sandbox.backend import PooledBackend
from rlvr.sandbox.channel import HarnessProcess, harness_source
from rlvr.sandbox.pool import WorkerPool

__all__ = ["LocalBackend"]

_STACK_BYTES = 256 << 20


def _raise_stack_limit() -> None:  # runs in the harness process before exec
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
        target = _STACK_BYTES if hard == resource.RLIM_INFINITY else min(_STACK_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_STACK, (max(soft, target) if soft != resource.RLIM_INFINITY else soft, hard))
    except (ValueError, OSError):
        pass


class LocalBackend(PooledBackend):
    """Pool of host harness processes (``python -I -c <harness>``); see the module docstring."""

    def __init__(self, size: int | None = None, *, python: str | None = None, max_uses: int = 500,
                 acquire_timeout: float = 300.0):
        self.python = python or sys.executable
        self.size = max(1, int(size if size is not None else min(16, os.cpu_count() or 1)))
        self._tmp = tempfile.mkdtemp(prefix="rlvr-local-sbx-")

        def start(serial: int) -> HarnessProcess:
            workroot = os.path.join(self._tmp, str(serial))
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2",
                   "RLVR_SANDBOX_WORKROOT": workroot, "RLVR_SANDBOX_NO_DROP": "1",
                   "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            return HarnessProcess([self.python, "-I", "-c", harness_source()], name=f"local-{serial}", env=env,
                                  preexec_fn=_raise_stack_limit)

        pool = WorkerPool(start, self.size, max_uses=max_uses, start_timeout=30.0, name="local")
        super().__init__(pool, name="local", acquire_timeout=acquire_timeout)

    def close(self) -> None:
        super().close()
        import shutil

        shutil.rmtree(self._tmp, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(python=self.python, security_boundary=False)
        return d
