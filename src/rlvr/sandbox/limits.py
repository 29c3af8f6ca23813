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
      The returned value of a call-based test has the ``stdout_bytes`` cap too.
    * ``submission_slack_s``: see :meth:`submission_budget`.
    * ``sweep_s``: seconds the sandbox may spend, after a test, removing what the program left
      (processes, IPC objects, files); when that is not enough, the test fails ("left state the
      sandbox could not remove"), the remaining tests do not run and the worker is recycled.

    A whole submission of ``n`` tests has a wall budget of ``n * wall + submission_slack_s``
    seconds, counted from the moment its code is loaded in a worker (:meth:`submission_budget`).
    Each test's wall limit is cut to what is left of it; when it is used up the test in flight
    and the tests not yet run fail with ``timeout`` (and a worker that did not answer in time
    is recycled), so a submission returns within its budget plus about half a second.
    """

    cpu_s: float = 2.0
    wall_s: float | None = None
    memory_mb: int = 512
    fsize_mb: int = 16
    nofile: int = 64
    stdout_bytes: int = 8 << 20
    stderr_bytes: int = 1 << 20
    submission_slack_s: float = 1.0
    sweep_s: float = 2.0

    def __post_init__(self) -> None:
        if self.cpu_s <= 0:
            raise ValueError("Limits.cpu_s must be > 0")
        if self.wall_s is not None and self.wall_s <= 0:
            raise ValueError("Limits.wall_s must be > 0")
        if self.sweep_s <= 0:
            raise ValueError("Limits.sweep_s must be > 0")
        if self.submission_slack_s < 0:
            raise ValueError("Limits.submission_slack_s must be >= 0")
        if self.memory_mb < 32:
            raise ValueError("Limits.memory_mb must be >= 32 (Python itself needs ~20 MB)")

    def submission_budget(self, n_tests: int) -> float:
        """Wall seconds a submission of ``n_tests`` tests may take: ``n * wall + submission_slack_s``."""
        return max(0, n_tests) * self.wall + self.submission_slack_s

    @property
    def wall(self) -> float:
        return float(self.wall_s) if self.wall_s is not None else 2.0 * self.cpu_s + 1.0

    def to_wire(self) -> dict:
        d = asdict(self)
        d["wall_s"] = self.wall
        return d
