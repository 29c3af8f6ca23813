"""``rlvr score -o OUT.parquet``: rows are scored into a JSONL side file, then converted to Parquet.

Parquet cannot be appended to, and a half-written Parquet file has no footer, so the run
writes its rows exactly as a JSONL run does, into ``OUT.parquet.partial.jsonl`` (locked, one
whole chunk per write, verified and continued by ``--resume``, cut back on a full disk).
Once every input line is scored, :func:`write_parquet` converts that file, streaming (record
batches of :data:`BATCH_ROWS` rows), into a temporary file next to ``OUT.parquet``, renames it
into place (atomic) and removes the side file. An interrupt or a full disk during the
conversion leaves the side file complete: ``--resume`` converts it again without rescoring.

The schema is fixed by the plan, so every batch has the same one:

* ``line`` int64, ``index`` int64, ``group_size`` int64, ``total`` float64, ``error`` string
  (nulls where the JSONL row has ``null`` or no such key);
* ``id``: int64 when every id of the file is an integer (or null) that fits, else string:
  string ids as they are, any other id as its JSON text (``7`` -> ``"7"``, ``[1, 2]`` -> ``"[1,2]"``);
* one struct column per reward, named after it: ``{value: float64, status: string, reason:
  string}`` (plus ``details: string``, the details as JSON text, with ``--details``); null for a
  malformed line's error row;
* ``columns`` (only with ``--keep``): the kept input fields as JSON text.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from rlvr.scoring.jsonl import dumps, loads
from rlvr.scoring.plan import ScoringPlan

__all__ = ["BATCH_ROWS", "FIXED_COLUMNS", "check_parquet_output", "is_parquet_path", "parquet_schema",
           "rows_path", "write_parquet"]

#: Rows per Parquet record batch (and row group granularity) during the conversion.
BATCH_ROWS = 4096
#: Columns every Parquet output has; reward columns must not use these names.
FIXED_COLUMNS = ("line", "id", "index", "group_size", "total", "error", "columns")
_INT64_MAX = 2**63 - 1


def is_parquet_path(path: str) -> bool:
    """Whether ``-o path`` asks for Parquet output."""
    return path != "-" and path.lower().endswith((".parquet", ".pq"))


def rows_path(path: str) -> str:
    """The JSONL side file the rows of ``path`` are scored into."""
    return path + ".partial.jsonl"


def check_parquet_output(path: str, plan: ScoringPlan, *, resume: bool, overwrite: bool, input_path: str = "-") -> None:
    """Refuse (``ValueError`` with the fix) what cannot become ``path``: pyarrow missing, a reward named
    like a fixed column, the input file itself, a finished Parquet file without ``--overwrite``."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ValueError(f"-o {path}: Parquet output needs pyarrow: pip install 'rlvr[io]'") from None
    clash = [name for name in plan.names if name in FIXED_COLUMNS]
    if clash:
        raise ValueError(f"-o {path}: reward column(s) {clash} would clash with the Parquet columns "
                         f"{', '.join(FIXED_COLUMNS)}; give them another name (alias in a stack file)")
    if input_path != "-" and os.path.exists(path) and os.path.exists(input_path) and os.path.samefile(path, input_path):
        raise ValueError("the output file is the input file; choose another -o")
    if os.path.exists(path) and not os.path.exists(rows_path(path)) and not overwrite:
        if resume:
            raise ValueError(f"{path} is a finished output (every row was scored; nothing to resume); "
                             "pass --overwrite to score again")
        raise ValueError(f"{path} exists; pass --overwrite to replace it")


def parquet_schema(plan: ScoringPlan, int_ids: bool) -> Any:
    """The Parquet schema of ``plan``'s rows (see the module doc)."""
    import pyarrow as pa

    fields = [("value", pa.float64()), ("status", pa.string()), ("reason", pa.string())]
    if plan.details:
        fields.append(("details", pa.string()))
    reward = pa.struct(fields)
    columns = [
        ("line", pa.int64()), ("id", pa.int64() if int_ids else pa.string()), ("index", pa.int64()),
        ("group_size", pa.int64()), ("total", pa.float64()), ("error", pa.string()),
    ]
    columns += [(name, reward) for name in plan.names]
    if plan.keep_columns:
        columns.append(("columns", pa.string()))
    return pa.schema(columns)


def _records(path: str) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as f:
        for raw in f:
            if raw.strip():
                yield loads(raw)


def _ids_are_ints(path: str) -> bool:
    for rec in _records(path):
        value = rec.get("id")
        if value is not None and not (type(value) is int and -_INT64_MAX - 1 <= value <= _INT64_MAX):
            return False
    return True


def _text_id(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return dumps(value).decode("utf-8", "replace")


def _batch(schema: Any, plan: ScoringPlan, records: list[dict[str, Any]], int_ids: bool) -> Any:
    import pyarrow as pa

    names = plan.names
    cols: dict[str, list[Any]] = {name: [] for name in schema.names}
    for rec in records:
        cols["line"].append(rec["line"])
        cols["id"].append(rec.get("id") if int_ids else _text_id(rec.get("id")))
        cols["index"].append(rec.get("index"))
        cols["group_size"].append(rec.get("group_size"))
        cols["total"].append(rec.get("total"))
        cols["error"].append(rec.get("error"))
        rewards = rec.get("rewards") or {}
        for name in names:
            entry = rewards.get(name)
            if entry is not None and plan.details:
                entry = dict(entry)
                details = entry.get("details")
                entry["details"] = None if details is None else dumps(details).decode("utf-8", "replace")
            cols[name].append(entry)
        if plan.keep_columns:
            kept = rec.get("columns")
            cols["columns"].append(None if kept is None else dumps(kept).decode("utf-8", "replace"))
    arrays = [pa.array(cols[field.name], type=field.type) for field in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_parquet(jsonl_path: str, parquet_path: str, plan: ScoringPlan) -> int:
    """Convert the finished JSONL rows in ``jsonl_path`` into ``parquet_path`` (temporary file, then an
    atomic rename), then remove ``jsonl_path``. Returns the number of rows. ``OSError`` when writing
    fails; ``parquet_path`` is then untouched and ``jsonl_path`` kept."""
    import pyarrow.parquet as pq

    int_ids = _ids_are_ints(jsonl_path)
    schema = parquet_schema(plan, int_ids)
    folder = os.path.dirname(os.path.abspath(parquet_path))
    tmp = os.path.join(folder, f".{os.path.basename(parquet_path)}.tmp-{os.getpid()}")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            batch: list[dict[str, Any]] = []
            for rec in _records(jsonl_path):
                batch.append(rec)
                if len(batch) >= BATCH_ROWS:
                    writer.write_batch(_batch(schema, plan, batch, int_ids))
                    rows += len(batch)
                    batch = []
            if batch or not rows:
                writer.write_batch(_batch(schema, plan, batch, int_ids))
                rows += len(batch)
        os.replace(tmp, parquet_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.unlink(jsonl_path)
    return rows
