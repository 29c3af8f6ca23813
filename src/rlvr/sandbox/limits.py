"""Per-test resource limits enforced inside the sandbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """Limits for every test of a submission.

    * ``cpu_s``: CPU seconds per test (``RLIMIT_CPU``, rounded up to whole seconds, plus a
      measured check); exceeding it is ``timeout``.
    * ``wall_s``: wall-clock seconds per test (default ``2 * cpu_s + 1``); the harness kills
      the process group at the deadline (``timeout``).
    * ``memory_mb``: address space (``RLIMIT_AS``) per test; a ``MemoryError`` or an OOM kill
      is ``memory_limit``. The container's cgroup limit is the backstop.
    * ``fsize_mb``: largest file the solution may write (``RLIMIT_FSIZE``).
    * ``nofile``: open file descriptors (``RLIMIT_NOFILE``).
    * ``stdout_bytes`` / ``stderr_bytes``: byte caps; exceeding one kills the test (``output_limit``).
    """

    cpu_s: float = 2.0
    wall_s: float | None = None
    memory_mb: int = 512
    fsize_mb: int = 16
    nofile: int = 64
    stdout_bytes: int = 8 << 20
    stderr_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        if self.cpu_s <= 0:
            raise ValueError("Limits.cpu_s must be > 0")
        if self.wall_s is not None and self.wall_s <= 0:
            raise ValueError("Limits.wall_s must be > 0")
        if self.memory_mb < 32:
            raise ValueError("Limits.memory_mb must be >= 32 (Python itself needs ~20 MB)")

    @property
    def wall(self) -> float:
        return float(self.wall_s) if self.wall_s is not None else 2.0 * self.cpu_s + 1.0

    def to_wire(self) -> dict:
        d = asdict(self)
        d["wall_s"] = self.wall
        return d
