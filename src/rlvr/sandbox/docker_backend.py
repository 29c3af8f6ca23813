"""The Docker backend: a warm pool of hardened containers, one persistent harness in each.

Each container is started with ``docker run -i`` and its main process (under ``--init``) is
the trusted harness, which speaks the frame protocol over the attached stdin/stdout. Flags
(see :func:`docker_run_argv`):

``--network none --read-only --tmpfs /tmp (small, nosuid,nodev,noexec, root-owned, few inodes)
--ipc none --tmpfs /dev/shm (small, few inodes) --sysctl kernel.shm_rmid_forced=1
--memory X --memory-swap X --pids-limit --cpus --cap-drop ALL
--cap-add SETUID --cap-add SETGID --cap-add KILL --security-opt no-new-privileges
--log-driver none --init --ulimit core=0``

The harness runs as root inside the container with only the capabilities it needs to drop
privileges and to kill the solution; solutions run as uid/gid 65534. Containers carry the
label ``rlvr.sandbox=1`` and are removed with ``docker rm -f`` when retired.

Each container has its own IPC namespace (``--ipc none``: private, with our own small
``/dev/shm`` tmpfs instead of Docker's, so its inode count is bounded too); inside it, SysV shared memory
is destroyed as soon as no process uses it (``kernel.shm_rmid_forced=1``), and the harness
removes every remaining IPC object after each test and verifies the namespace is empty.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any

from rlvr.sandbox.backend import PooledBackend
from rlvr.sandbox.channel import HarnessProcess, harness_source
from rlvr.sandbox.pool import WorkerPool

__all__ = ["DEFAULT_IMAGE", "DockerBackend", "DockerConfig", "docker_run_argv", "engine_status", "image_present"]

DEFAULT_IMAGE = os.environ.get("RLVR_SANDBOX_IMAGE", "rlvr-sandbox:latest")
LABEL = "rlvr.sandbox"


@dataclass(frozen=True)
class DockerConfig:
    """Container-level settings (per-test limits are :class:`~rlvr.sandbox.limits.Limits`).

    ``memory_mb`` is the container's cgroup limit (memory = memory-swap) and must exceed the
    per-test ``Limits.memory_mb`` plus ``tmpfs_mb``; ``size`` defaults to the number of CPUs
    divided by ``cpus`` (at least 1, at most 16); ``spares`` extra warm containers take over at
    once when a container is killed or recycled.
    """

    image: str = DEFAULT_IMAGE
    size: int | None = None
    cpus: float = 1.0
    memory_mb: int = 1024
    pids_limit: int = 128
    tmpfs_mb: int = 64
    tmpfs_inodes: int = 16384
    shm_mb: int = 8
    shm_inodes: int = 4096
    spares: int = 1
    max_uses: int = 200
    runtime: str | None = None  # e.g. "runsc" for gVisor
    docker: str = "docker"
    extra_args: tuple[str, ...] = field(default=())

    @property
    def pool_size(self) -> int:
        if self.size is not None:
            return max(1, int(self.size))
        return max(1, min(16, int((os.cpu_count() or 1) // max(self.cpus, 0.1))))


def docker_run_argv(cfg: DockerConfig, name: str) -> list[str]:
    """The full ``docker run`` command line of one sandbox container."""
    argv = [
        cfg.docker, "run", "-i", "--rm", "--name", name, "--label", f"{LABEL}=1",
        "--label", f"{LABEL}.owner={os.getpid()}",
        "--init",
        "--network", "none",
        "--read-only",
        "--tmpfs", f"/tmp:rw,nosuid,nodev,noexec,size={cfg.tmpfs_mb}m,nr_inodes={cfg.tmpfs_inodes},mode=755",
        "--ipc", "none",  # a private IPC namespace; /dev/shm is our own small tmpfs below
        "--tmpfs", f"/dev/shm:rw,nosuid,nodev,noexec,size={cfg.shm_mb}m,nr_inodes={cfg.shm_inodes},mode=1777",
        "--sysctl", "kernel.shm_rmid_forced=1",
        "--memory", f"{cfg.memory_mb}m", "--memory-swap", f"{cfg.memory_mb}m",
        "--pids-limit", str(cfg.pids_limit),
        "--cpus", f"{cfg.cpus:g}",
        "--cap-drop", "ALL", "--cap-add", "SETUID", "--cap-add", "SETGID", "--cap-add", "KILL",
        "--security-opt", "no-new-privileges",
        "--log-driver", "none",
        "--ulimit", "core=0",
        "--ulimit", "stack=268435456:268435456",
        "--user", "0:0",
        "--workdir", "/tmp",
        "--env", "RLVR_SANDBOX_WORKROOT=/tmp/sbx",
        "--env", "MALLOC_ARENA_MAX=2",
        "--hostname", "sandbox",
    ]
    if cfg.runtime:
        argv += ["--runtime", cfg.runtime]
    argv += list(cfg.extra_args)
    argv += [cfg.image, "python3", "-I", "-c", harness_source()]
    return argv


def _run(argv: list[str], timeout: float = 15.0) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def engine_status(docker: str = "docker", timeout: float = 10.0) -> tuple[bool, str]:
    """(reachable, server version or the reason it is not)."""
    if shutil.which(docker) is None:
        return False, f"the {docker!r} CLI is not installed"
    try:
        cp = _run([docker, "version", "--format", "{{.Server.Version}}"], timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"docker version failed: {exc}"
    if cp.returncode != 0:
        return False, (cp.stderr or cp.stdout).strip().splitlines()[-1] if (cp.stderr or cp.stdout).strip() else "engine not reachable"
    return True, cp.stdout.strip()


def image_present(image: str = DEFAULT_IMAGE, docker: str = "docker") -> bool:
    try:
        return _run([docker, "image", "inspect", "--format", "{{.Id}}", image]).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def remove_containers(names: list[str], docker: str = "docker") -> None:
    if names:
        try:
            _run([docker, "rm", "-f", *names], timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass


class DockerBackend(PooledBackend):
    """Warm pool of hardened containers (see the module docstring)."""

    def __init__(self, config: DockerConfig | None = None, *, acquire_timeout: float = 300.0):
        self.config = cfg = config or DockerConfig()
        prefix = f"rlvr-sbx-{os.getpid()}-{uuid.uuid4().hex[:6]}"

        def start(serial: int) -> HarnessProcess:
            name = f"{prefix}-{serial}"
            return HarnessProcess(docker_run_argv(cfg, name), name=name,
                                  on_destroy=lambda h: remove_containers([h.name], cfg.docker))

        pool = WorkerPool(start, cfg.pool_size, spares=cfg.spares, max_uses=cfg.max_uses, start_timeout=120.0, name="docker")
        super().__init__(pool, name="docker", acquire_timeout=acquire_timeout)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        c = self.config
        d.update(image=c.image, spares=c.spares, cpus=c.cpus, memory_mb=c.memory_mb, pids_limit=c.pids_limit, tmpfs_mb=c.tmpfs_mb,
                 tmpfs_inodes=c.tmpfs_inodes, shm_inodes=c.shm_inodes,
                 shm_mb=c.shm_mb, max_uses=c.max_uses, runtime=c.runtime or "runc (default)")
        return d
