"""Load a dataset's rows from a local file or the Hugging Face Hub, and convert them.

* A local ``.jsonl`` / ``.jsonl.gz`` / ``.json`` (one object per line, or one array) is read here;
  ``.parquet`` goes through ``datasets``. Errors name the file and line.
* Anything else is a Hub dataset: ``datasets.load_dataset(source, config, split=...)``, the code
  path real runs take. ``limit`` becomes a ``split[:N]`` slice so that a 500-row run does not
  convert 220k rows.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from rlvr.layouts.base import ConversionReport, convert_rows

__all__ = ["DatasetLoadError", "load_layout", "read_local_rows"]

LOCAL_SUFFIXES = (".jsonl", ".json", ".gz", ".parquet")


class DatasetLoadError(RuntimeError):
    """A dataset could not be read (the message names the source and what to do)."""


def read_local_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a local JSONL (optionally gzipped), JSON-array or Parquet file.

    Raises:
        DatasetLoadError: missing file, a line that is not a JSON object (file:line in the message).
    """
    path = Path(path)
    if not path.exists():
        raise DatasetLoadError(f"dataset file not found: {path}")
    if path.suffix == ".parquet":
        import datasets

        return [dict(r) for r in datasets.load_dataset("parquet", data_files=str(path), split="train")]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        data = json.loads(text)
        if not all(isinstance(r, dict) for r in data):
            raise DatasetLoadError(f"{path}: expected an array of JSON objects")
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


def _hub_rows(source: str, config: str | None, split: str, limit: int | None) -> Any:
    import datasets

    if limit is not None and "[" not in split:
        split = f"{split}[:{limit}]"
    try:
        return datasets.load_dataset(source, config, split=split)
    except Exception as exc:  # network, auth, unknown name: one actionable message
        raise DatasetLoadError(
            f"could not load Hub dataset {source!r} (config {config!r}, split {split!r}): "
            f"{type(exc).__name__}: {exc}. Check the name and the network, or pass a local .jsonl/.parquet file."
        ) from exc


def load_layout(source: str | Path, layout: str, *, config: str | None = None, split: str = "train",
                limit: int | None = None, system_prompt: str | None = None
                ) -> tuple[list[dict[str, Any]], ConversionReport]:
    """Read ``source`` (local file or Hub name) and convert its rows with ``layout``.

    Args:
        source: a local ``.jsonl``/``.jsonl.gz``/``.json``/``.parquet`` path, or a Hub dataset name.
        layout: a name from :data:`rlvr.layouts.LAYOUTS`.
        config: the Hub config name (``"main"`` for GSM8K).
        split: the Hub split (slicing syntax allowed).
        limit: at most this many rows are read from the Hub and kept.
        system_prompt: ``None`` for the layout's default, ``""`` for no system turn.

    Returns:
        The converted rows and the kept/skipped counts.

    Raises:
        DatasetLoadError: unreadable source, or no usable row at all.
        LayoutError: a row lacks a column the layout needs (wrong layout for the dataset).
    """
    path = Path(source).expanduser()
    is_local = path.exists() or any(str(source).endswith(s) for s in LOCAL_SUFFIXES)
    raw = read_local_rows(path) if is_local else _hub_rows(str(source), config, split, limit)
    rows, report = convert_rows(raw, layout, system_prompt, limit=limit)
    if not rows:
        raise DatasetLoadError(f"{source}: no usable rows for layout {layout!r} ({report.skipped} skipped)")
    return rows, report
