"""The Ray engine of ``rlvr score`` (``--engine ray``): the same chunks, scored by a pool of Ray actors.

Only *where* chunks are scored changes; the runner still writes, resumes, summarises and
reports exactly as with local worker processes (:func:`run_ray` takes the runner's
``consume`` callback and hands it every :class:`~rlvr.scoring.chunk.ChunkResult` in input
order), so the output is byte-identical to ``--engine local``.

The pipeline is one Ray Data dataset:

* **read**: one read task (a custom :class:`ray.data.Datasource`) pinned to the driver's node,
  so a local input file works on a remote cluster. It runs the runner's
  :class:`~rlvr.scoring.sources.ChunkReader` (``--resume`` skip and check included) and
  yields one block per chunk. The chunk size adapts as with the local engine: the driver
  writes the wanted size to a small file the read task (same node) reads before each chunk.
* **score**: ``map_batches`` over a fixed pool of actors (``--workers``), one chunk per call.
  Each actor unpickles the scoring plan once, so its reward stack (the math worker pool,
  the Docker sandbox pool) stays warm for the whole run.
* **collect**: the driver iterates the results with ``preserve_order`` and calls ``consume``.

Fault tolerance: actors are restarted without limit (a node lost, an actor killed) and a
chunk whose actor died is retried up to ``max_task_retries`` times (default 3), so no row
is lost or duplicated. A lost node makes Ray Data 2.60 abandon the dataset
(``ActorUnavailableError``); the pipeline is then started again after the last consumed chunk
(also at most ``max_task_retries`` times). A chunk that kills its actor every time (a hostile
row eating all memory) ends the run with :class:`RayEngineFailed` (exit 5, rows before it
written).

Ray is imported only here, and only when ``--engine ray`` runs.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rlvr.runtime import ray_cluster
from rlvr.runtime.ray_cluster import stderr_to_file
from rlvr.scoring.chunk import ChunkResult, ChunkSizing, score_chunk
from rlvr.scoring.plan import ScoringPlan
from rlvr.scoring.resume import ResumeError
from rlvr.scoring.sources import ChunkReader, InputReadError, JsonlSource, Source

__all__ = [
    "ACTOR_CLASS_NAME", "RayEngineFailed", "RayOptions", "RaySession", "RayUsageError", "connect", "run_ray",
]

#: the scoring actors' class; their process title is ``ray::...RlvrChunkScorer...``
ACTOR_CLASS_NAME = "RlvrChunkScorer"
#: object store of a local instance the engine starts (chunks are at most 8 MiB of input)
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 * 1024
#: adaptive chunking (without --chunk-size): chunks of about this long, within these line counts
TARGET_CHUNK_SECONDS = 0.5
MIN_CHUNK_LINES, MAX_CHUNK_LINES = 8, 16384
#: larger chunks than the local engine's: a Ray task costs ~20 ms more than a local worker's chunk
CHUNK_SIZING = ChunkSizing(TARGET_CHUNK_SECONDS, MIN_CHUNK_LINES, MAX_CHUNK_LINES)
FIRST_CHUNK_LINES = 32


class RayUsageError(ValueError):
    """Bad Ray options or an unreachable address (the runner reports it as a usage error, exit 2)."""


class RayEngineFailed(RuntimeError):
    """The cluster could not finish a chunk (actor retries exhausted, cluster lost): exit 5."""


@dataclass(frozen=True)
class RayOptions:
    """How ``--engine ray`` reaches and uses a cluster.

    ``address``: ``HOST:PORT`` of a running cluster's GCS (``ray start --head`` prints it), or
    ``auto``; ``None`` uses ``RAY_ADDRESS`` when set, else starts a local instance sized to
    ``actors`` (stopped when the run ends, also when the driver is killed). ``actors``: the
    number of scoring actors (``--workers``); ``None`` or 0: as many as the cluster's CPUs
    (and ``resources``) allow. ``actor_cpus``: CPUs each actor reserves (a reward stack that
    runs its own worker processes may want more than 1). ``resources``: custom resources each
    actor needs, e.g. ``{"docker": 1}`` so code_tests actors land on nodes started with
    ``ray start --resources '{"docker": 8}'``. ``max_task_retries``: how often a chunk whose
    actor died is retried. ``runtime_env``: Ray's runtime environment for the job (e.g.
    ``{"py_modules": [...]}`` to ship a ``--plugin`` module to the nodes).
    """

    address: str | None = None
    actors: int | None = None
    actor_cpus: float = 1.0
    resources: Mapping[str, float] = field(default_factory=dict)
    max_task_retries: int = 3
    runtime_env: Mapping[str, Any] | None = None
    object_store_bytes: int = LOCAL_OBJECT_STORE_BYTES


# ---------------------------------------------------------------------------- connecting
def check_reachable(address: str) -> None:
    """:func:`rlvr.runtime.ray_cluster.check_reachable`, failing as a :class:`RayUsageError` (exit 2)."""
    try:
        ray_cluster.check_reachable(address)
    except ray_cluster.ClusterUnreachable as exc:
        raise RayUsageError(str(exc)) from None


def _quiet_ray_logging() -> None:
    for name in ("ray", "ray.data", "ray._private", "ray.util"):
        logging.getLogger(name).setLevel(logging.ERROR)


@dataclass
class RaySession:
    """A connected Ray driver; :meth:`close` disconnects (and stops a local instance it started)."""

    address: str
    local: bool
    actors: int
    cluster_cpus: float
    options: RayOptions = field(default_factory=RayOptions)
    temp_paths: list[str] = field(default_factory=list)
    #: filled in by :func:`run_ray`: ``first_result_s`` (seconds until the first chunk came back: actor
    #: start-up included), ``first_rows`` (that chunk's output rows), ``restarts`` (pipelines started
    #: again after a lost node); the summary shows this dict as ``ray_run``
    timing: dict[str, Any] = field(default_factory=dict)

    #: how the runner sizes the next chunk from the last one's scoring time
    chunk_sizing: ClassVar[ChunkSizing] = CHUNK_SIZING

    def summary(self) -> dict[str, Any]:
        """The fields ``--summary-json`` gets for a Ray run (``ray_run`` is filled in as the run goes)."""
        return {"engine": "ray", "address": self.address, "actors": self.actors, "ray_run": self.timing}

    def close(self) -> None:
        import ray

        with contextlib.suppress(Exception):
            ray.shutdown()
        for path in self.temp_paths:
            shutil.rmtree(path, ignore_errors=True)


def _fitting_actors(totals: Mapping[str, float], opts: RayOptions) -> int:
    """How many actors the cluster's resources hold (CPUs and custom resources)."""
    need = {"CPU": float(opts.actor_cpus), **{k: float(v) for k, v in opts.resources.items()}}
    counts = [int(totals.get(name, 0.0) // amount) for name, amount in need.items() if amount > 0]
    return min(counts) if counts else max(1, int(totals.get("CPU", 1)))


def connect(opts: RayOptions) -> RaySession:
    """Connect to the cluster (or start a local instance) and size the actor pool.

    Raises :class:`RayUsageError` for an unreachable address, a Ray Client (``ray://``)
    address, or a cluster that cannot hold one actor."""
    if opts.actor_cpus <= 0:
        raise RayUsageError("--ray-actor-cpus must be > 0")
    if opts.max_task_retries < 0:
        raise RayUsageError("--ray-max-retries must be >= 0")
    address = opts.address if opts.address is not None else os.environ.get("RAY_ADDRESS") or None
    if address and address.startswith("ray://"):
        raise RayUsageError(
            f"--address {address}: Ray Client (ray://) addresses are not supported: the input is read on the "
            "driver's node; run rlvr score on a node of the cluster with --address HOST:PORT (the GCS address)"
        )
    try:
        import ray
    except ImportError:
        raise RayUsageError("--engine ray needs Ray: pip install 'rlvr[ray]'") from None
    if address and address != "auto":
        check_reachable(address)
    _quiet_ray_logging()
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.ERROR,
        "configure_logging": True,
    }
    if opts.runtime_env:
        kwargs["runtime_env"] = dict(opts.runtime_env)
    local = not address
    if local:
        cpus = (opts.actors or 0) * opts.actor_cpus
        if cpus:
            kwargs["num_cpus"] = max(1, int(-(-cpus // 1)))
        if opts.resources:
            kwargs["resources"] = {k: float(v) * max(1, opts.actors or 1) for k, v in opts.resources.items()}
        kwargs["object_store_memory"] = opts.object_store_bytes
    env_address = os.environ.pop("RAY_ADDRESS", None) if local else None
    # the driver's core worker logs C++ warnings to stderr (e.g. about actor constructor arguments kept in
    # the object store); rlvr reports every failure itself, in one line
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        with stderr_to_file() as captured, contextlib.redirect_stdout(sys.stderr):  # stdout may be the output
            try:
                ray.init(address=address, **kwargs)
            except BaseException:
                captured.keep = True
                raise
    except Exception as exc:  # noqa: BLE001 - Ray's start-up errors (connection, version mismatch, /dev/shm)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        what = f"cannot connect to the Ray cluster at {address}" if address else "cannot start a local Ray instance"
        raise RayUsageError(f"{what}: {first}") from None
    finally:
        if env_address is not None:
            os.environ["RAY_ADDRESS"] = env_address
    _quiet_ray_logging()
    totals = ray.cluster_resources()
    fitting = _fitting_actors(totals, opts)
    actors = opts.actors or fitting
    if fitting < 1 or (not local and actors > fitting and opts.resources):
        missing = ", ".join(f"{k}={v:g}" for k, v in {"CPU": opts.actor_cpus, **opts.resources}.items())
        session = RaySession(address or "local", local, 0, 0.0)
        session.close()
        raise RayUsageError(f"the Ray cluster cannot hold {actors} actor(s) needing {missing} each "
                            f"(it has {dict(sorted(totals.items()))})")
    gcs = ray.get_runtime_context().gcs_address if hasattr(ray.get_runtime_context(), "gcs_address") else None
    where = address or "local"
    if local:
        where = f"local ({gcs})" if gcs else "local"
    return RaySession(where, local, actors, float(totals.get("CPU", 0.0)), opts)


def spool_stdin(source: Source) -> tuple[Source, str]:
    """Copy a source that cannot be reopened (stdin) to a temporary file; returns it and its folder."""
    folder = tempfile.mkdtemp(prefix="rlvr-stdin-")
    path = os.path.join(folder, "input.jsonl")
    with open(path, "wb") as out:
        for line in source.lines():
            out.write(line if line.endswith(b"\n") else line + b"\n")
    spooled = JsonlSource(path)
    spooled.label = source.label
    return spooled, folder


# ---------------------------------------------------------------------------- the pipeline
def _read_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("first_line", pa.int64()), ("lines", pa.binary()), ("bytes_read", pa.int64()),
                      ("resume_error", pa.string()), ("read_error", pa.binary())])


def _result_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("first_line", pa.int64()), ("data", pa.binary()), ("stats", pa.binary()),
                      ("n_lines", pa.int64()), ("n_bytes", pa.int64()), ("seconds", pa.float64()),
                      ("bytes_read", pa.int64()), ("resume_error", pa.string()), ("read_error", pa.binary())])


class _Flow:
    """Driver -> read task feedback through a small file (the read task runs on the driver's node):
    the chunk size to cut next and how many chunks the driver has consumed. The read task keeps at
    most ``window`` chunks ahead of the driver, so memory stays bounded on any input and a new chunk
    size takes effect within a few chunks."""

    def __init__(self, path: str, window: int):
        self.path = path
        self.window = window

    def write(self, size: int, consumed: int) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{size} {consumed}")
        os.replace(tmp, self.path)

    def read(self) -> tuple[int, int] | None:
        try:
            with open(self.path) as f:
                size, consumed = f.read().split()
            return int(size), int(consumed)
        except (OSError, ValueError):
            return None  # the driver is gone (or mid-replace): the caller decides

    def wait(self, produced: int, size: int) -> int:
        """Block until fewer than ``window`` produced chunks are unconsumed; returns the size to use."""
        delay = 0.001
        while True:
            state = self.read()
            if state is None:
                if not os.path.exists(os.path.dirname(self.path)):
                    raise RuntimeError("the rlvr driver went away")
                time.sleep(delay)
                continue
            wanted, consumed = state
            if produced - consumed < self.window:
                return max(1, wanted or size)
            time.sleep(delay)
            delay = min(delay * 2, 0.02)


def _make_datasource(source: Source, skip_through: int, size: int, check: Callable[[bytes], None] | None,
                     flow: _Flow) -> Any:
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    cwd = os.getcwd()

    def read() -> Iterator[Any]:
        import pyarrow as pa

        os.chdir(cwd)  # a relative input path means the same file as on the driver (same node)
        schema = _read_schema()
        reader = ChunkReader(source.lines(), skip_through, size, check, defer_errors=True)
        produced = 0
        try:
            for first, lines in reader:
                yield pa.table([[first], [pickle.dumps(lines, protocol=5)], [reader.bytes_read], [None], [None]],
                               schema=schema)
                produced += 1
                reader.size = flow.wait(produced, reader.size)
        except ResumeError as exc:  # handed to the driver as data: it becomes the usual usage error
            yield pa.table([[0], [b""], [reader.bytes_read], [str(exc)], [None]], schema=schema)
            return
        if reader.error is not None:  # the input ended early (exit 6 after the chunks before it)
            error = pickle.dumps((reader.error.label, reader.error.after_line, reader.error.problem))
            yield pa.table([[0], [b""], [reader.bytes_read], [None], [error]], schema=schema)

    class ChunkDatasource(Datasource):
        """The input as one block per chunk, read by one task on the driver's node."""

        @property
        def supports_distributed_reads(self) -> bool:  # Ray pins the read task to the driver's node
            return False

        def estimate_inmemory_data_size(self) -> int | None:
            return source.total_bytes

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                           data_context: Any = None) -> list[Any]:
            meta = BlockMetadata(num_rows=None, size_bytes=source.total_bytes, input_files=None, exec_stats=None)
            return [ReadTask(read, meta)]

        def get_name(self) -> str:
            return "RlvrInput"

    return ChunkDatasource()


class RlvrChunkScorer:
    """A Ray Data actor: unpickles the plan once, then scores one chunk per call."""

    def __init__(self, plan: ScoringPlan):
        self.plan = plan

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        cols: dict[str, list[Any]] = {name: [] for name in _result_schema().names}
        for row in batch.to_pylist():
            error = row["resume_error"]
            if error is None and row["read_error"] is None:
                result = score_chunk(self.plan, row["first_line"], pickle.loads(row["lines"]))
                values = (result.first_line, result.data, pickle.dumps(result.stats, protocol=5), result.n_lines,
                          result.n_bytes, result.seconds)
            else:
                values = (0, b"", b"", 0, 0, 0.0)
            for name, value in zip(("first_line", "data", "stats", "n_lines", "n_bytes", "seconds"), values):
                cols[name].append(value)
            cols["bytes_read"].append(row["bytes_read"])
            cols["resume_error"].append(error)
            cols["read_error"].append(row["read_error"])
        return pa.table(cols, schema=_result_schema())


def _actor_class() -> type:
    """The actor class under its public name (Ray names the process after it)."""
    return type(ACTOR_CLASS_NAME, (RlvrChunkScorer,), {"__module__": __name__, "__qualname__": ACTOR_CLASS_NAME})


def _short(exc: BaseException) -> str:
    """One line about a Ray failure: its innermost cause, not Ray's wrapper text."""
    cause: BaseException = exc
    seen = set()
    while id(cause) not in seen:
        seen.add(id(cause))
        inner = getattr(cause, "cause", None) or cause.__cause__
        if not isinstance(inner, BaseException):
            break
        cause = inner
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return f"{type(cause).__name__}: {text[:300]}" if text else type(cause).__name__


def _pipeline(plan: ScoringPlan, source: Source, skip_through: int, size: int,
              check: Callable[[bytes], None] | None, flow: _Flow, session: RaySession) -> Any:
    """The dataset: one read task on the driver's node -> a pool of scoring actors."""
    import ray.data
    from ray.data import ActorPoolStrategy

    datasource = _make_datasource(source, skip_through, size, check, flow)
    ds = ray.data.read_datasource(datasource, override_num_blocks=1, num_cpus=0)
    opts = session.options
    # explicit (Ray Data's defaults are -1/-1: a chunk that kills its actor would be retried forever)
    remote_args: dict[str, Any] = {"max_restarts": -1, "max_task_retries": opts.max_task_retries}
    if opts.resources:
        remote_args["resources"] = dict(opts.resources)
    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for max_restarts/max_task_retries yet and warns about the
        # generic ones; its actor pool operator still reads them (and documents this use)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
        return ds.map_batches(
            _actor_class(),
            fn_constructor_args=(plan,),
            batch_size=1,
            batch_format="pyarrow",
            compute=ActorPoolStrategy(size=session.actors),
            num_cpus=opts.actor_cpus,
            **remote_args,
        )


def _cluster_loss(exc: BaseException) -> str | None:
    """The name of the Ray error behind ``exc`` when it means lost infrastructure (a node or its
    objects gone, an actor unreachable), for which the pipeline is started again; else ``None``
    (a chunk that killed its actor every retry, a bug: the run stops with exit 5)."""
    import ray.exceptions as rex

    kinds = tuple(getattr(rex, name) for name in (
        "ActorUnavailableError", "NodeDiedError", "ObjectLostError", "ObjectReconstructionFailedError",
        "OwnerDiedError", "RaySystemError", "LocalRayletDiedError", "WorkerCrashedError",
    ) if hasattr(rex, name))
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, kinds):
            return type(cause).__name__
        inner = getattr(cause, "cause", None)
        cause = inner if isinstance(inner, BaseException) else (cause.__cause__ or cause.__context__)
    return None


def run_ray(plan: ScoringPlan, source: Source, reader: ChunkReader, consume: Callable[[ChunkResult], None],
            session: RaySession, interrupted: Callable[[], bool] = lambda: False,
            fixed_size: int | None = None) -> None:
    """Score ``source`` on the connected cluster; ``consume`` gets every chunk's result in input order.

    ``reader`` carries the runner's chunking (``skip_through``, ``check_last``, ``size``:
    ``consume`` sets the next size with :attr:`RaySession.chunk_sizing`, and the read task
    follows it; ``fixed_size`` is ``--chunk-size``, else the first chunks are small); its ``bytes_read`` is kept current for the progress display, and ``error`` is set when the
    input ends early. When the cluster loses a node (or an actor becomes unreachable) mid-run,
    Ray Data 2.60 gives up on the chunk that was running there; the pipeline is then started
    again from the line after the last consumed chunk (at most ``max_task_retries`` times; the
    count is in ``session.timing["restarts"]``), so no row is lost or written twice.

    Raises :class:`~rlvr.scoring.resume.ResumeError` when the input does not match the output
    being resumed, :class:`RayEngineFailed` when the cluster cannot finish a chunk (the rows
    before it are consumed), and whatever ``consume`` raises (``KeyboardInterrupt``, a write
    error) unchanged.
    """
    import ray.data
    import ray.exceptions
    from ray.data import DataContext

    _quiet_ray_logging()  # after Ray Data configured its loggers (on import)
    # Ray Data logs a failed task with its traceback; rlvr reports it in one line (exit 5)
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    # Ray Data warns that one input "cannot use" the pool: the one read task streams many blocks
    warnings.filterwarnings("ignore", message=".*minimum number of concurrent actors")

    ctx = DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.target_max_block_size,
             ctx.actor_task_retry_on_errors)
    ctx.execution_options.preserve_order = True  # results in input order, whatever actor finishes first
    ctx.enable_progress_bars = False
    # every chunk stays its own block: Ray Data would otherwise merge the read task's blocks up to 128 MiB
    # and hand them to a single actor call
    ctx.target_max_block_size = 1
    # a chunk whose actor's node went away fails with ActorUnavailableError ("may or may not have run"):
    # scoring is a pure function of the chunk, so running it again is always safe
    ctx.actor_task_retry_on_errors = [ray.exceptions.ActorUnavailableError]
    started = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="rlvr-ray-")
    if fixed_size is None:  # start small: slow rewards (code_tests) spread over every actor from the start;
        reader.size = FIRST_CHUNK_LINES  # the read task stays a few chunks ahead, so sizes adapt quickly
    session.timing["restarts"] = 0
    done_through = reader.skip_through
    check = reader.check_last
    try:
        for attempt in itertools.count():
            flow = _Flow(os.path.join(folder, f"flow{attempt}"), window=2 * session.actors + 2)
            consumed = 0
            flow.write(reader.size, consumed)
            ds = _pipeline(plan, source, done_through, reader.size, check, flow, session)
            batches = iter(ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=1))
            try:
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        return
                    except KeyboardInterrupt:
                        raise
                    except Exception as exc:  # noqa: BLE001 - any cluster failure: restart, or exit 5 cleanly
                        if interrupted():
                            raise KeyboardInterrupt from None
                        if _cluster_loss(exc) is None or session.timing["restarts"] >= session.options.max_task_retries:
                            raise RayEngineFailed(f"the Ray engine failed while scoring the input after line "
                                                  f"{done_through} ({_short(exc)})") from None
                        session.timing["restarts"] += 1  # a node or actor was lost: go on from done_through
                        check = None  # the lines up to done_through were just scored from this very input
                        break
                    for row in batch.to_pylist():
                        if row["resume_error"] is not None:
                            raise ResumeError(row["resume_error"])
                        if row["read_error"] is not None:  # after every chunk before it: the runner reports it
                            reader.error = InputReadError(*pickle.loads(row["read_error"]))
                            reader.bytes_read = row["bytes_read"]
                            continue
                        reader.bytes_read = row["bytes_read"]
                        result = ChunkResult(row["data"], pickle.loads(row["stats"]), row["n_lines"],
                                             row["n_bytes"], row["seconds"], row["first_line"])
                        consume(result)
                        if "first_result_s" not in session.timing:
                            session.timing.update(first_result_s=time.perf_counter() - started,
                                                  first_rows=result.stats.rows)
                        done_through = result.first_line + result.n_lines - 1
                        consumed += 1
                        flow.write(reader.size, consumed)  # consume() sized the next chunk (chunk_sizing)
            finally:
                with contextlib.suppress(Exception):
                    batches.close()  # type: ignore[attr-defined]
    finally:
        (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.target_max_block_size,
         ctx.actor_task_retry_on_errors) = saved
        shutil.rmtree(folder, ignore_errors=True)

