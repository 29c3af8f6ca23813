"""``rlvr score``: read an input (JSONL, gzip/zstandard JSONL, Parquet, a Hugging Face dataset),
score it in chunks (optionally in parallel), write rows (JSONL, or Parquet at the end), resume
interrupted runs, summarise.

Exit codes (also in ``rlvr score --help`` and ``docs/cli.md``):

* ``0`` every row scored cleanly;
* ``1`` some rows failed (a malformed line, or a reward status ``error``/``invalid_input``;
  see :mod:`rlvr.scoring.stats`);
* ``2`` usage or configuration error, or an existing output that cannot be resumed (nothing
  scored);
* ``3`` the output file is being written by another ``rlvr score`` run (nothing touched);
* ``4`` the output could not be written (disk full, quota, I/O error): the file holds whole
  chunks up to the failure; continue with ``--resume`` once there is room;
* ``5`` a worker process died or failed (e.g. killed for memory): the rows before its chunk
  are written; continue with ``--resume``;
* ``6`` the input could not be read to the end (a truncated or corrupt gzip, zstandard or
  Parquet file): the rows of every line before the damage are written; the message names the
  last good input line; repair the input, then continue with ``--resume``;
* ``130`` interrupted (Ctrl-C): the output holds whole chunks; continue with ``--resume``;
* ``141`` stdout was closed by its reader (``rlvr score ... | head``), the usual code of a
  command stopped by SIGPIPE; nothing is printed.

An interrupt, a write error, a worker failure and an unreadable input print exactly one line on stderr.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rlvr.scoring.chunk import ChunkResult, ChunkSizing, score_job
from rlvr.scoring.interrupts import InterruptGuard
from rlvr.scoring.output import Output, OutputLocked, OutputWriteError, open_output_fd
from rlvr.scoring.parquet_output import check_parquet_output, is_parquet_path, rows_path
from rlvr.scoring.plan import ScoringPlan, plan_summary
from rlvr.scoring.progress import Progress
from rlvr.scoring.resume import ResumeError, ResumePoint, resume_point_of
from rlvr.scoring.rows import InputRow, LineError, parse_line
from rlvr.scoring.sources import ChunkReader, InputError, InputReadError, Source, check_columns, open_source
from rlvr.scoring.stats import RunStats

__all__ = [
    "AUTO_PARALLEL_BYTES", "EXIT_BROKEN_PIPE", "EXIT_FAILED_ROWS", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_OK",
    "EXIT_INPUT_FAILED", "EXIT_USAGE", "EXIT_WORKER_FAILED", "EXIT_WRITE_FAILED", "OutputLocked",
    "ScoreOptions", "UsageError",
    "run_scoring",
]

#: ``--workers auto`` uses several processes only for input files at least this large.
AUTO_PARALLEL_BYTES = 32 * 1024 * 1024
#: Adaptive chunking aims at chunks taking about this long (output is flushed per chunk).
TARGET_CHUNK_SECONDS = 0.25
MIN_CHUNK_LINES, MAX_CHUNK_LINES = 8, 4096
LOCAL_CHUNK_SIZING = ChunkSizing(TARGET_CHUNK_SECONDS, MIN_CHUNK_LINES, MAX_CHUNK_LINES)

EXIT_OK, EXIT_FAILED_ROWS, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED, EXIT_WRITE_FAILED, EXIT_WORKER_FAILED = 3, 4, 5
EXIT_INPUT_FAILED = 6
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


class UsageError(ValueError):
    """Bad invocation (exit code 2)."""


@dataclass
class ScoreOptions:
    input: str
    plan: ScoringPlan
    output: str = "-"
    workers: int | None = None  #: None or 0: auto
    resume: bool = False
    overwrite: bool = False
    summary_json: str | None = None
    progress: bool | None = None  #: None: when stderr is a terminal
    chunk_lines: int | None = None  #: fixed lines per chunk; None: adaptive
    quiet: bool = False
    extra_summary: dict[str, Any] = field(default_factory=dict)
    split: str | None = None  #: --split (Hugging Face datasets)
    config_name: str | None = None  #: --config-name (load_dataset)
    limit: int | None = None  #: --limit: only the first N input lines
    engine: str = "local"  #: "local" (worker processes) or "ray" (a Ray cluster, see rlvr.scoring.ray_engine)
    ray: Any = None  #: rlvr.scoring.ray_engine.RayOptions for engine "ray" (None: defaults)


# ---------------------------------------------------------------------------- reading
def _resume_check(point: ResumePoint, id_column: str, completion_column: str | None = None) -> Callable[[bytes], None]:
    """Check that input line ``point.last_line`` is the line the last kept output row came from."""
    from rlvr.scoring.jsonl import dumps, loads

    last = point.records[-1]
    last_line = point.last_line  # only these two are captured: the Ray engine pickles the check

    def check(raw: bytes) -> None:
        item = parse_line(raw, last_line, id_column, completion_column)
        if item is None:
            problem = "is blank"
        elif isinstance(item, LineError) != ("error" in last):
            problem = "is malformed" if isinstance(item, LineError) else "is a valid row"
            problem += " but the output row for it says " + ("it is malformed" if "error" in last else "otherwise")
        elif isinstance(item, InputRow) and (len(item.completions) if item.is_group else None) != last.get("group_size"):
            problem = "has another number of completions than its output rows"
        elif loads(dumps(item.row_id)) != last.get("id"):
            problem = f"has id {_short_repr(item.row_id)}, its output rows have id {_short_repr(last.get('id'))}"
        else:
            return
        raise ResumeError(f"input line {last_line} {problem}: the output was scored from another input; "
                          "resume with that input, or score into a new file")

    return check


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _auto_workers(source: Source) -> int:
    size = source.total_bytes
    if size is None:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if size < AUTO_PARALLEL_BYTES or cpus < 2:
        return 1
    return min(cpus, 8)


# ---------------------------------------------------------------------------- the run
def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    parts = []
    while True:
        part = os.read(fd, 1 << 24)
        if not part:
            return b"".join(parts)
        parts.append(part)


def _open_output(opts: ScoreOptions, names: list[str], stats: RunStats) -> tuple[Output, ResumePoint | None]:
    """Open and lock the output (verified and cut to the resume point with ``--resume``).

    Raises :class:`UsageError` or :class:`OutputLocked`; nothing in an existing file is
    changed before the lock is held and every check passed."""
    if opts.output == "-":
        if opts.resume:
            raise UsageError("--resume needs an output file (-o OUT.jsonl), not stdout")
        return Output.stdout(), None
    out_path = Path(opts.output)
    if opts.input != "-" and out_path.exists() and Path(opts.input).exists() and out_path.samefile(opts.input):
        raise UsageError("the output file is the input file; choose another -o")
    if not out_path.exists():
        if out_path.parent and not out_path.parent.is_dir():
            raise UsageError(f"the output folder {out_path.parent} does not exist")
        try:
            return Output(open_output_fd(out_path, create=True), str(out_path), owned=True), None
        except FileExistsError:
            pass  # created meanwhile (another run?): treated as an existing file below
        except OSError as exc:
            raise UsageError(f"cannot create the output {out_path}: {exc.strerror or exc}") from None
    try:
        fd = open_output_fd(out_path, create=False)
    except OSError as exc:
        if not (opts.resume or opts.overwrite):
            raise UsageError(f"{out_path} exists; pass --resume to continue it or --overwrite to replace it") from None
        raise UsageError(f"cannot open the output {out_path}: {exc.strerror or exc}") from None
    out = Output(fd, str(out_path), owned=True)
    try:
        if opts.resume:
            if not out.regular:
                raise UsageError(f"--resume needs a regular output file; {out_path} is not one")
            try:
                point = resume_point_of(_read_all(fd), str(out_path))
            except ResumeError as exc:
                raise UsageError(str(exc)) from None
            if point.reward_names is not None and point.reward_names != names:
                raise UsageError(
                    f"{out_path} was scored with rewards {point.reward_names}, this run has {names}; "
                    "resume with the same --reward/--config, or write a new file"
                )
            stats.add_output_records(point.records)
            out.truncate(point.keep_bytes)
            return out, point
        if not opts.overwrite:
            raise UsageError(f"{out_path} exists; pass --resume to continue it or --overwrite to replace it")
        out.truncate(0)
        return out, None
    except BaseException:
        out.close()
        raise


def run_scoring(opts: ScoreOptions, stderr: TextIO | None = None) -> int:
    """Run ``rlvr score``; returns the exit code (see the module doc). Raises
    :class:`UsageError` for bad options and :class:`OutputLocked` when another run holds the
    output. Installs its own SIGINT handler for the run (main thread only)."""
    stderr = stderr or sys.stderr
    plan = opts.plan
    names = plan.names
    if opts.summary_json == "-" and opts.output == "-":
        raise UsageError("--summary-json - needs the rows in a file (-o OUT.jsonl): both would go to stdout")
    if is_parquet_path(opts.output):
        try:
            check_parquet_output(opts.output, plan, resume=opts.resume, overwrite=opts.overwrite, input_path=opts.input)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    try:
        source = open_source(opts.input, split=opts.split, config_name=opts.config_name, limit=opts.limit)
        check_columns(source, plan.completion_column)
    except FileNotFoundError:
        raise UsageError(f"input file {opts.input} does not exist (use - for stdin)") from None
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if opts.workers is not None and opts.workers < 0:
        raise UsageError("--workers must be >= 0 (0: auto)")
    if opts.engine not in ("local", "ray"):
        raise UsageError(f"--engine must be 'local' or 'ray', not {opts.engine!r}")
    if opts.engine == "ray":
        return _run_on_ray(opts, source, plan, names, stderr)
    with InterruptGuard() as guard:
        return _run(opts, source, plan, names, guard, stderr)


def _run_on_ray(opts: ScoreOptions, source: Source, plan: ScoringPlan, names: list[str], stderr: TextIO) -> int:
    """Connect to Ray (before the output is touched: an unreachable cluster scores nothing), then run."""
    from rlvr.scoring.ray_engine import RayOptions, RayUsageError, connect, spool_stdin

    ray_opts = opts.ray or RayOptions()
    ray_opts = dataclasses.replace(ray_opts, actors=opts.workers or ray_opts.actors)
    try:
        session = connect(ray_opts)
    except RayUsageError as exc:
        raise UsageError(str(exc)) from None
    try:
        if not source.reopenable:  # stdin: Ray's read task reopens the input, so copy it to a file first
            source, folder = spool_stdin(source)
            session.temp_paths.append(folder)
        opts = dataclasses.replace(opts, extra_summary={**opts.extra_summary, **session.summary()})
        with InterruptGuard() as guard:
            return _run(opts, source, plan, names, guard, stderr, session)
    finally:
        session.close()


def _run(opts: ScoreOptions, source: Source, plan: ScoringPlan, names: list[str], guard: InterruptGuard,
         stderr: TextIO, session: Any = None) -> int:
    stats = RunStats(names, plan.pass_metric, plan.pass_threshold)
    parquet = is_parquet_path(opts.output)  # rows go to a JSONL side file, converted at the end
    rows_file = rows_path(opts.output) if parquet else opts.output
    out, point = _open_output(dataclasses.replace(opts, output=rows_file), names, stats)
    done_through = point.last_line if point else 0
    resumed_lines = stats.lines
    workers = session.actors if session is not None else opts.workers or _auto_workers(source)
    total_bytes = source.total_bytes
    show = stderr.isatty() if opts.progress is None else opts.progress
    progress = Progress(stderr, total_bytes, show and not opts.quiet)
    size = opts.chunk_lines or (MIN_CHUNK_LINES * 4 if workers == 1 else 256)
    sizing = session.chunk_sizing if session is not None else LOCAL_CHUNK_SIZING
    check = _resume_check(point, plan.id_column, plan.completion_column) if point and point.records else None
    new_rows = 0
    start = time.perf_counter()
    interrupted = False
    failure: OutputWriteError | None = None
    worker_failure: str | None = None
    read_error: InputReadError | None = None
    input_lines: Iterator[bytes] | None = None

    def consume(result: ChunkResult) -> None:
        nonlocal new_rows, done_through
        if guard.interrupted:  # a reward swallowed the KeyboardInterrupt: stop anyway, and keep this chunk out
            raise KeyboardInterrupt
        if result.data:
            with guard.deferred():
                out.write(result.data)
        stats.merge(result.stats)
        new_rows += result.stats.rows
        done_through = result.first_line + result.n_lines - 1
        if not opts.chunk_lines:
            reader.size = sizing.next_size(result, reader.size)
        progress.update(reader.bytes_read, stats.lines, new_rows, stats.malformed + stats.failed_rows)

    try:
        if session is None and hasattr(source, "line_ranges"):  # a plain JSONL file: workers read their own lines
            reader = source.line_ranges(done_through, size, check, workers=workers)
        else:
            input_lines = source.lines()
            reader = ChunkReader(input_lines, done_through, size, check, defer_errors=True)
        if session is not None:  # --engine ray
            from rlvr.scoring.ray_engine import RayEngineFailed, run_ray

            try:
                run_ray(plan, source, reader, consume, session, lambda: guard.interrupted, opts.chunk_lines)
            except RayEngineFailed as exc:
                worker_failure = str(exc)
        elif workers <= 1:
            for job in reader:
                consume(score_job(plan, job))
        else:
            from rlvr.scoring.workers import WorkerFailed, run_parallel

            try:
                run_parallel(plan, reader, workers, consume, guard.deferred)
            except WorkerFailed as exc:
                worker_failure = str(exc)
        read_error = getattr(reader, "error", None)  # the input ended early: rows before it are written
        if parquet and read_error is None and worker_failure is None and not guard.interrupted:
            from rlvr.scoring.parquet_output import write_parquet

            try:
                write_parquet(rows_file, opts.output, plan)
            except OSError as exc:
                raise OutputWriteError(opts.output, exc) from None
    except InputReadError as exc:  # an engine that raises it instead of keeping it on the reader
        read_error = exc
    except KeyboardInterrupt:
        interrupted = True
    except OutputWriteError as exc:
        failure = exc
    except ResumeError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if input_lines is not None:
            input_lines.close()  # type: ignore[attr-defined] - a generator: closes its file
        out.close()
    interrupted = interrupted or guard.interrupted
    seconds = time.perf_counter() - start
    progress.close()
    if failure is not None and failure.broken_pipe and opts.output == "-":
        _silence_stdout()  # `rlvr score ... | head`: the reader went away; say nothing
        return EXIT_BROKEN_PIPE
    summary = stats.to_dict(plan.weights)
    summary.update({
        "input": opts.input,
        "output": opts.output,
        "seconds": seconds,
        "new_rows": new_rows,
        "rows_per_s": new_rows / seconds if seconds > 0 else None,
        "workers": workers,
        "resumed_lines": resumed_lines,
        "interrupted": interrupted,
        "plan": plan_summary(plan),
        **opts.extra_summary,
    })
    if opts.output == "-":
        where = f"stdout got every row up to input line {done_through}"
    elif done_through:
        where = f"{rows_file} holds every row up to input line {done_through}; continue with --resume"
    else:
        where = f"{rows_file} holds no rows yet; run again (--resume works too)"
    code = EXIT_FAILED_ROWS if stats.any_failed else EXIT_OK
    if failure is not None:
        summary["error"] = str(failure)
        print(f"rlvr score: error: {failure}; {where}", file=stderr)
        code = EXIT_WRITE_FAILED
    elif worker_failure is not None:
        summary["error"] = worker_failure
        first, _, rest = worker_failure.partition("\n")
        print(f"rlvr score: error: {first.rstrip(':')}; {where}", file=stderr)
        if rest.strip():  # a reward or rlvr bug: its traceback, for the report
            print(rest.rstrip(), file=stderr)
        code = EXIT_WORKER_FAILED
    elif read_error is not None:
        summary["error"] = str(read_error)
        print(f"rlvr score: error: {read_error}; {where}", file=stderr)
        code = EXIT_INPUT_FAILED
    elif interrupted:
        print(f"rlvr score: interrupted; {where}", file=stderr)
        code = EXIT_INTERRUPTED
    elif not opts.quiet:
        print(stats.format_text(plan.weights, seconds, workers, new_rows, resumed_lines), file=stderr)
    if opts.summary_json == "-":  # rows went to a file (checked before the run)
        try:
            sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            _silence_stdout()  # `... --summary-json - | head`: say nothing
            return EXIT_BROKEN_PIPE
    elif opts.summary_json:
        try:
            with open(opts.summary_json, "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=2, default=str)
                f.write("\n")
        except OSError as exc:
            if code in (EXIT_OK, EXIT_FAILED_ROWS):
                print(f"rlvr score: error: cannot write the summary to {opts.summary_json}: {exc}", file=stderr)
                import errno

                return EXIT_WRITE_FAILED if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO) else EXIT_USAGE
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
