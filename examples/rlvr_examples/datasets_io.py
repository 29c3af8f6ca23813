"""Load a stage's datasets: from the Hugging Face Hub by name or from a local file.

* A local ``.jsonl``/``.json`` file is read line by line (``.json`` may also be one array);
  ``.parquet`` goes through ``datasets``. Errors name the file and line.
* Anything else is a Hub dataset: ``datasets.load_dataset(source, config_name, split=split)``
  (real users keep this code path; ``--smoke`` swaps in the bundled samples).
* ``@stage_name`` is the verified JSONL a rejection-sampling stage wrote (``kept.jsonl``).
* ``rlvr:countdown`` generates seeded, always-solvable countdown tasks (``generate:`` options).

Rows are converted by their layout's converter, mixed, shuffled with the stage seed, and
returned as plain dicts; :func:`to_hf_dataset` turns them into a ``datasets.Dataset``.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rlvr_examples.config import DatasetConfig, StageConfig
from rlvr_examples.converters import convert_rows

__all__ = ["DatasetLoadError", "load_stage_rows", "read_local_rows", "to_hf_dataset"]

log = logging.getLogger("rlvr_examples")

LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet")


class DatasetLoadError(RuntimeError):
    """A dataset could not be read (message names the source and the fix)."""


def read_local_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a local JSONL/JSON/parquet file."""
    if not path.exists():
        raise DatasetLoadError(f"dataset file not found: {path}")
    if path.suffix == ".parquet":
        import datasets

        return list(datasets.load_dataset("parquet", data_files=str(path), split="train"))
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json" and text.lstrip().startswith("["):
        data = json.loads(text)
        if not all(isinstance(r, dict) for r in data):
            raise DatasetLoadError(f"{path}: expected an array of objects")
        return data
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetLoadError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DatasetLoadError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


def _hub_rows(cfg: DatasetConfig) -> Iterable[dict[str, Any]]:
    import datasets

    split = cfg.split
    if cfg.limit is not None and "[" not in split:
        split = f"{split}[:{cfg.limit}]"  # never download-and-convert 220k rows for a 500-row run
    try:
        ds = datasets.load_dataset(cfg.source, cfg.config_name, split=split)
    except Exception as exc:  # network, auth, unknown name: all worth one clear message
        raise DatasetLoadError(
            f"could not load Hub dataset {cfg.source!r} (config {cfg.config_name!r}, split {split!r}): "
            f"{type(exc).__name__}: {exc}. Check the name and your network, or point 'source' at a local "
            ".jsonl/.parquet file."
        ) from exc
    return ds


GENERATORS = ("rlvr:countdown",)


def _generated_rows(cfg: DatasetConfig) -> list[dict[str, Any]]:
    """``rlvr:countdown``: seeded, always-solvable tasks from :mod:`rlvr.tasks.countdown`."""
    if cfg.source != "rlvr:countdown":
        raise DatasetLoadError(f"unknown generator {cfg.source!r}; known: {', '.join(GENERATORS)}")
    from rlvr.tasks.countdown import CountdownTaskConfig, generate_countdown_tasks

    params = dict(cfg.generate)
    n = int(params.pop("n", cfg.limit or 1000))
    seed = int(params.pop("seed", 0))
    try:
        task_cfg = CountdownTaskConfig(**params)
    except (TypeError, ValueError) as exc:
        raise DatasetLoadError(f"rlvr:countdown generate options: {exc}") from None
    return [{"target": t.target, "nums": list(t.nums)} for t in generate_countdown_tasks(n, seed, task_cfg)]


def _source_rows(cfg: DatasetConfig, stage_output: Callable[[str], Path]) -> Iterable[dict[str, Any]]:
    if cfg.source.startswith("rlvr:"):
        return _generated_rows(cfg)
    if cfg.source.startswith("@"):
        path = stage_output(cfg.source[1:]) / "kept.jsonl"
        if not path.exists():
            raise DatasetLoadError(f"dataset {cfg.source}: {path} does not exist; run stage {cfg.source[1:]!r} first")
        return read_local_rows(path)
    path = Path(cfg.source).expanduser()
    if path.suffix in LOCAL_SUFFIXES or path.exists():
        return read_local_rows(path)
    return _hub_rows(cfg)


def load_stage_rows(stage: StageConfig, stage_output: Callable[[str], Path]) -> list[dict[str, Any]]:
    """Every dataset of ``stage``, converted, limited, mixed and shuffled."""
    rows: list[dict[str, Any]] = []
    for cfg in stage.datasets:
        converted, report = convert_rows(_source_rows(cfg, stage_output), cfg.layout, cfg.system_prompt)
        if cfg.limit is not None:
            converted = converted[: cfg.limit]
        log.info("stage %s: %s (%s): %d rows kept, %d skipped", stage.name, cfg.source, cfg.layout, len(converted), report.skipped)
        rows.extend(converted)
    if not rows:
        raise DatasetLoadError(f"stage {stage.name!r}: no usable rows in {[d.source for d in stage.datasets]} "
                               "(every row was skipped by its layout's converter: check 'layout:')")
    if stage.shuffle_seed is not None:
        random.Random(stage.shuffle_seed).shuffle(rows)
    return rows


def to_hf_dataset(rows: list[dict[str, Any]]) -> Any:
    """``datasets.Dataset`` of the rows (nested dicts such as ``verification_info`` kept as JSON
    strings are not needed: Arrow infers the struct from all rows)."""
    import datasets

    if not rows:
        raise DatasetLoadError("no usable rows: every row was skipped by the converter (check the layout)")
    return datasets.Dataset.from_list(rows)
