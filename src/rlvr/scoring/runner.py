"""``rlvr score``: read a JSONL file, score it in chunks (optionally in parallel), write rows,
resume interrupted runs, summarise.

Exit codes: ``0`` every row scored cleanly; ``1`` some rows failed (a malformed line, or a
reward status ``error``/``invalid_input``; see :mod:`rlvr.scoring.stats`); ``2`` usage or
configuration error (nothing scored); ``130`` interrupted (the output so far is complete
up to a chunk and can be continued with ``--resume``).
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from rlvr.scoring.chunk import ChunkResult, score_chunk
from rlvr.scoring.plan import ScoringPlan, plan_summary
from rlvr.scoring.progress import Progress
from rlvr.scoring.resume import ResumeError, find_resume_point
from rlvr.scoring.stats import RunStats

__all__ = ["AUTO_PARALLEL_BYTES", "ScoreOptions", "UsageError", "run_scoring"]

#: ``--workers auto`` uses several processes only for input files at least this large.
AUTO_PARALLEL_BYTES = 32 * 1024 * 1024
#: A chunk never holds more than this many bytes of input (megabyte completions).
MAX_CHUNK_BYTES = 8 * 1024 * 1024
#: Adaptive chunking aims at chunks taking about this long (output is flushed per chunk).
TARGET_CHUNK_SECONDS = 0.25
MIN_CHUNK_LINES, MAX_CHUNK_LINES = 8, 4096

EXIT_OK, EXIT_FAILED_ROWS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


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


# ---------------------------------------------------------------------------- worker side
_WORKER_PLAN: ScoringPlan | None = None


def _init_worker(plan: ScoringPlan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = plan
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _work(job: tuple[int, list[bytes]]) -> ChunkResult:
    assert _WORKER_PLAN is not None
    return score_chunk(_WORKER_PLAN, job[0], job[1])


# ---------------------------------------------------------------------------- reading
class _ChunkReader:
    """Yields ``(first_line_number, [raw lines])``; ``size`` may change between chunks."""

    def __init__(self, stream: IO[bytes], skip_through: int, size: int):
        self.stream = stream
        self.skip_through = skip_through
        self.size = size
        self.bytes_read = 0

    def __iter__(self) -> Iterator[tuple[int, list[bytes]]]:
        number = 0
        batch: list[bytes] = []
        batch_bytes = 0
        first = 1
        for raw in self.stream:
            number += 1
            self.bytes_read += len(raw)
            if number <= self.skip_through:
                continue
            if not batch:
                first = number
            batch.append(raw)
            batch_bytes += len(raw)
            if len(batch) >= self.size or batch_bytes >= MAX_CHUNK_BYTES:
                yield first, batch
                batch, batch_bytes = [], 0
        if batch:
            yield first, batch


def _next_size(result: ChunkResult, fixed: int | None, current: int) -> int:
    if fixed:
        return fixed
    if result.seconds <= 0:
        return min(current * 2, MAX_CHUNK_LINES)
    wanted = int(result.n_lines * TARGET_CHUNK_SECONDS / result.seconds)
    wanted = min(wanted, current * 4)  # grow gradually
    return max(MIN_CHUNK_LINES, min(MAX_CHUNK_LINES, wanted))


def _auto_workers(input_path: str) -> int:
    if input_path == "-":
        return 1
    try:
        size = os.path.getsize(input_path)
    except OSError:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if size < AUTO_PARALLEL_BYTES or cpus < 2:
        return 1
    return min(cpus, 8)


# ---------------------------------------------------------------------------- the run
def _open_output(opts: ScoreOptions, names: list[str], stats: RunStats) -> tuple[IO[bytes], int]:
    """Open the output (truncating to the resume point); returns the stream and the last done line."""
    if opts.output == "-":
        if opts.resume:
            raise UsageError("--resume needs an output file (-o OUT.jsonl), not stdout")
        return sys.stdout.buffer, 0
    out_path = Path(opts.output)
    if opts.input != "-" and out_path.exists() and Path(opts.input).exists() and out_path.samefile(opts.input):
        raise UsageError("the output file is the input file; choose another -o")
    if opts.resume and out_path.exists():
        try:
            point = find_resume_point(out_path)
        except ResumeError as exc:
            raise UsageError(str(exc)) from None
        if point.reward_names is not None and point.reward_names != names:
            raise UsageError(
                f"{out_path} was scored with rewards {point.reward_names}, this run has {names}; "
                "resume with the same --reward/--config, or write a new file"
            )
        stats.add_output_records(point.records)
        with open(out_path, "r+b") as f:
            f.truncate(point.keep_bytes)
        return open(out_path, "ab"), point.last_line
    if out_path.exists() and not opts.overwrite and not opts.resume:
        raise UsageError(f"{out_path} exists; pass --resume to continue it or --overwrite to replace it")
    if out_path.parent and not out_path.parent.exists():
        raise UsageError(f"the output folder {out_path.parent} does not exist")
    return open(out_path, "wb"), 0


def run_scoring(opts: ScoreOptions, stderr: TextIO | None = None) -> int:
    """Run ``rlvr score``; returns the exit code. Raises :class:`UsageError` for bad options."""
    stderr = stderr or sys.stderr
    plan = opts.plan
    names = plan.names
    if opts.input != "-" and not Path(opts.input).is_file():
        raise UsageError(f"input file {opts.input} does not exist (use - for stdin)")
    if opts.workers is not None and opts.workers < 0:
        raise UsageError("--workers must be >= 0 (0: auto)")
    stats = RunStats(names, plan.pass_metric, plan.pass_threshold)
    out, done_through = _open_output(opts, names, stats)
    resumed_lines = stats.lines
    workers = opts.workers or _auto_workers(opts.input)
    total_bytes = None if opts.input == "-" else os.path.getsize(opts.input)
    show = stderr.isatty() if opts.progress is None else opts.progress
    progress = Progress(stderr, total_bytes, show and not opts.quiet)
    in_stream: IO[bytes] = sys.stdin.buffer if opts.input == "-" else open(opts.input, "rb")  # noqa: SIM115 - closed in finally
    size = opts.chunk_lines or (MIN_CHUNK_LINES * 4 if workers == 1 else 256)
    reader = _ChunkReader(in_stream, done_through, size)
    new_rows = 0
    start = time.perf_counter()
    code = EXIT_OK
    interrupted = False

    def consume(result: ChunkResult) -> None:
        nonlocal new_rows
        if result.data:
            out.write(result.data)
            out.flush()
        stats.merge(result.stats)
        new_rows += result.stats.rows
        reader.size = _next_size(result, opts.chunk_lines, reader.size)
        progress.update(reader.bytes_read, stats.lines, new_rows, stats.malformed + stats.failed_rows)

    try:
        if workers <= 1:
            for first, lines in reader:
                consume(score_chunk(plan, first, lines))
        else:
            _run_parallel(plan, reader, workers, consume)
    except KeyboardInterrupt:
        interrupted = True
    except BrokenPipeError:  # `rlvr score ... | head`: the reader went away
        progress.close()
        _silence_stdout()
        return EXIT_FAILED_ROWS
    finally:
        if in_stream is not sys.stdin.buffer:
            in_stream.close()
        if out is not sys.stdout.buffer:
            out.close()
        else:
            try:
                out.flush()
            except BrokenPipeError:
                _silence_stdout()
    seconds = time.perf_counter() - start
    progress.close()
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
    if not opts.quiet:
        text = stats.format_text(plan.weights, seconds, workers, new_rows, resumed_lines)
        if interrupted:
            text += f"\n  interrupted: continue with --resume (-o {opts.output})"
        print(text, file=stderr)
    if opts.summary_json:
        try:
            with open(opts.summary_json, "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=2, default=str)
                f.write("\n")
        except OSError as exc:
            print(f"rlvr score: error: cannot write the summary to {opts.summary_json}: {exc}", file=stderr)
            return EXIT_USAGE
    if interrupted:
        return EXIT_INTERRUPTED
    if stats.any_failed:
        code = EXIT_FAILED_ROWS
    return code


def _run_parallel(plan: ScoringPlan, reader: _ChunkReader, workers: int, consume: Any) -> None:
    """Chunks go to a process pool; results are written in input order, at most
    ``2 * workers`` chunks in flight (memory stays bounded on huge files)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    pool = ctx.Pool(workers, initializer=_init_worker, initargs=(plan,))
    pending: collections.deque = collections.deque()
    try:
        for job in reader:
            pending.append(pool.apply_async(_work, (job,)))
            if len(pending) >= 2 * workers:
                consume(pending.popleft().get())
        while pending:
            consume(pending.popleft().get())
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
