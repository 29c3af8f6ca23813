"""Parquet files and Hugging Face datasets as :class:`~rlvr.scoring.sources.Source` s of JSON lines.

Each row becomes one JSON object line (``rlvr.scoring.jsonl.dumps``; values JSON cannot hold,
such as bytes, decimals or timestamps, are written as their ``str``), with ``null`` top-level
values left out: columnar formats cannot tell "absent" from ``null``. Rows are read a record
batch (:data:`BATCH_ROWS` rows) at a time, so memory is bounded by the batch, not the input.
pyarrow and datasets are imported only when such an input is opened (extra ``rlvr[io]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from rlvr.scoring.sources import _IO_HINT, InputError, InputReadError, LineStream, Source, _problem

__all__ = ["BATCH_ROWS", "HubDatasetSource", "ParquetSource", "SavedDatasetSource"]

#: Rows converted to JSON lines per Parquet / dataset batch.
BATCH_ROWS = 1024


def _rows_to_lines(rows: list[dict[str, Any]]) -> list[bytes]:
    from rlvr.scoring.jsonl import dumps

    return [dumps({k: v for k, v in row.items() if v is not None}) for row in rows]


def _import_pyarrow(what: str) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"reading {what} needs pyarrow: {_IO_HINT}") from None
    return pq


class ParquetSource(Source):
    """A Parquet file, read one record batch at a time (memory bounded by the batch, not the file)."""

    def __init__(self, path: str, batch_rows: int = BATCH_ROWS):
        pq = _import_pyarrow(path)
        self.path = path
        self.label = path
        self.batch_rows = batch_rows
        self.total_bytes = os.path.getsize(path)
        try:
            meta = pq.ParquetFile(path)
            self.num_rows = meta.metadata.num_rows
            self.columns = list(meta.schema_arrow.names)
        except Exception as exc:  # noqa: BLE001 - pyarrow's ArrowInvalid / OSError: not Parquet
            raise InputError(f"{path} is not a readable Parquet file ({_problem(exc)})") from None

    def column_names(self) -> tuple[list[str], bool] | None:
        return self.columns, True

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        import pyarrow.parquet as pq

        try:
            file = pq.ParquetFile(self.path)
        except Exception as exc:  # noqa: BLE001 - replaced or removed since it was opened
            raise InputReadError(self.label, 0, _problem(exc)) from None
        with file:
            batches = file.iter_batches(batch_size=self.batch_rows)
            done = 0
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    return
                except Exception as exc:  # noqa: BLE001 - a corrupt page / row group
                    raise InputReadError(self.label, stream.lines_read, _problem(exc)) from None
                done += batch.num_rows
                if self.num_rows:
                    stream.position = int(self.total_bytes * done / self.num_rows)  # type: ignore[operator]
                yield from _rows_to_lines(batch.to_pylist())


def _quiet_datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise InputError(f"reading Hugging Face datasets needs the datasets package: {_IO_HINT}") from None
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def _folder_bytes(path: str) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(folder, name))
            except OSError:
                pass
    return total


def _table_lines(tables: Iterable[Any], source: Source, stream: LineStream, num_rows: int | None) -> Iterator[bytes]:
    done = 0
    tables = iter(tables)
    while True:
        try:
            table = next(tables)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - datasets / pyarrow errors reading a shard
            raise InputReadError(source.label, stream.lines_read, _problem(exc)) from None
        done += table.num_rows
        if num_rows and source.total_bytes:
            stream.position = int(source.total_bytes * done / num_rows)
        yield from _rows_to_lines(table.to_pylist())


class SavedDatasetSource(Source):
    """A Hugging Face dataset folder written by ``save_to_disk`` (a ``Dataset`` or a ``DatasetDict``)."""

    def __init__(self, path: str, split: str | None = None):
        self.path = path
        self.split = split
        is_dict = os.path.isfile(os.path.join(path, "dataset_dict.json"))
        if not is_dict and split is not None:
            raise InputError(f"{path} is a single saved Dataset, not a DatasetDict: leave out --split")
        if is_dict:
            splits = self._splits()
            if split is None:
                if len(splits) != 1:
                    raise InputError(f"{path} is a DatasetDict with splits {splits}: choose one with --split")
                self.split = splits[0]
            elif split not in splits:
                raise InputError(f"{path} has no split {split!r}; its splits: {splits}")
        self.split_dir = os.path.join(path, self.split) if is_dict else path  # type: ignore[arg-type]
        self.label = path if not is_dict else f"{path} (split {self.split})"
        self.total_bytes = _folder_bytes(self.split_dir)
        dataset = self._load()
        self.num_rows = dataset.num_rows
        self.columns = list(dataset.column_names)

    def _splits(self) -> list[str]:
        try:
            with open(os.path.join(self.path, "dataset_dict.json"), encoding="utf-8") as f:
                splits = json.load(f)["splits"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{self.path}/dataset_dict.json cannot be read ({_problem(exc)})") from None
        return [str(s) for s in splits]

    def _load(self) -> Any:
        datasets = _quiet_datasets()
        try:
            return datasets.load_from_disk(self.split_dir)
        except Exception as exc:  # noqa: BLE001 - datasets raises many kinds
            raise InputError(f"{self.label} cannot be loaded with load_from_disk ({_problem(exc)})") from None

    def column_names(self) -> tuple[list[str], bool] | None:
        return self.columns, True

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        try:
            dataset = self._load().with_format("arrow")
        except InputError as exc:
            raise InputReadError(self.label, 0, str(exc)) from None
        yield from _table_lines(dataset.iter(batch_size=BATCH_ROWS), self, stream, self.num_rows)


class HubDatasetSource(Source):
    """``datasets.load_dataset(name, config_name, split=split, streaming=True)``: a Hub name, or a local
    folder of data files (JSON lines, Parquet, CSV, ...); streamed, nothing copied to a cache first."""

    def __init__(self, name: str, split: str | None = None, config_name: str | None = None):
        self.name = name
        self.split = split or "train"
        self.config_name = config_name
        self.label = name + (f" ({config_name}, split {self.split})" if config_name else f" (split {self.split})")
        self.total_bytes = None
        dataset = self._load()
        names = dataset.column_names
        self.columns = list(names) if names else None

    def _load(self) -> Any:
        datasets = _quiet_datasets()
        try:
            return datasets.load_dataset(self.name, self.config_name, split=self.split, streaming=True)
        except Exception as exc:  # noqa: BLE001 - FileNotFoundError, ValueError (split), DatasetNotFoundError...
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"input {self.name} is not a file, and load_dataset({self.name!r}"
                             f"{', ' + repr(self.config_name) if self.config_name else ''}, split={self.split!r}) "
                             f"failed: {first[:300]}") from None

    def column_names(self) -> tuple[list[str], bool] | None:
        return None if self.columns is None else (self.columns, True)

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        try:
            dataset = self._load().with_format("arrow")
        except InputError as exc:
            raise InputReadError(self.label, 0, str(exc)) from None
        yield from _table_lines(dataset.iter(batch_size=BATCH_ROWS), self, stream, None)
