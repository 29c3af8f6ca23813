"""Scoring files of completions (JSONL, gz/zst, Parquet, Hugging Face datasets): the engine behind ``rlvr score``.

Modules, one job each:

* :mod:`rlvr.scoring.jsonl`: fast JSON encode/decode (orjson when installed, stdlib otherwise);
* :mod:`rlvr.scoring.sources`: the input as raw JSON lines (JSONL, gz, zst) cut into chunks, ``--limit``;
  :mod:`rlvr.scoring.columnar_sources`: Parquet and Hugging Face datasets as such lines;
* :mod:`rlvr.scoring.line_ranges`: byte ranges of a plain JSONL file, read by the workers themselves;
* :mod:`rlvr.scoring.rows`: one input line -> a :class:`~rlvr.scoring.rows.InputRow` or a line error;
* :mod:`rlvr.scoring.plan`: which rewards run, with which weights (``--reward``/``--config``/``--param``);
* :mod:`rlvr.scoring.chunk`: score a chunk of lines into output rows (groups stay in one reward call);
* :mod:`rlvr.scoring.stats`: running statistics and the end-of-run summary;
* :mod:`rlvr.scoring.resume`: verify an interrupted output file and find where it stopped;
* :mod:`rlvr.scoring.output`: the output file: locked, written a whole chunk at a time (disk full);
* :mod:`rlvr.scoring.parquet_output`: ``-o x.parquet``: a resumable side file, converted when complete;
* :mod:`rlvr.scoring.workers`: worker processes scoring chunks in parallel, stopped in milliseconds;
* :mod:`rlvr.scoring.ray_engine`: ``--engine ray``: the same chunks on a Ray Data actor pool;
* :mod:`rlvr.scoring.interrupts`: Ctrl-C: the first one stops the run, later ones are ignored;
* :mod:`rlvr.scoring.progress`: a one-line progress display for terminals;
* :mod:`rlvr.scoring.runner`: reading, engines, writing, resume, exit codes and summary together.

Nothing here imports the reward modules until a run starts.
"""

from __future__ import annotations

__all__ = ["ScoreOptions", "run_scoring"]


def __getattr__(name: str):
    if name in __all__:
        from rlvr.scoring import runner

        return getattr(runner, name)
    raise AttributeError(name)
