"""Where ``rlvr score`` reads its rows from, and how they are cut into chunks.

A :class:`Source` yields the input as raw JSON lines (``bytes``), one per input row, blank
lines included (they keep their line number and are skipped when parsed). A source holds a
path and options, never an open file, so it pickles: the Ray engine opens it again inside a
read task on the driver's node.

Inputs (:func:`open_source` picks one by suffix or folder contents):

* JSON lines: ``.jsonl`` or any other name; ``-`` is stdin;
* gzip JSON lines: ``*.gz`` (``.jsonl.gz``, ``.json.gz``), every member of a multi-member file;
* zstandard JSON lines: ``*.zst``/``*.zstd`` (needs ``zstandard``: ``pip install 'rlvr[io]'``);
* Parquet: ``*.parquet``/``*.pq``, read one record batch at a time (bounded memory; these and
  the dataset sources are in :mod:`rlvr.scoring.columnar_sources`);
* a Hugging Face dataset saved with ``save_to_disk`` (a folder with ``dataset_dict.json`` or
  ``state.json``), read with ``load_from_disk``; a ``DatasetDict`` needs ``split`` unless it
  has exactly one split;
* anything else that is a folder or not a file at all: ``datasets.load_dataset(name,
  config_name, split=split)`` (default split ``train``), streamed.

Rows of Parquet and datasets become JSON lines (``rlvr.scoring.jsonl.dumps``: values JSON
cannot hold, such as bytes, decimals or timestamps, are written as their ``str``); a ``null``
top-level value is left out of the line (columnar formats cannot tell "absent" from ``null``).
Their line numbers are the 1-based row numbers.

``limit`` (``--limit N``) stops every source after its first N lines, counted from the start of
the input, so a resumed run with the same limit finishes exactly the same set of lines.

A file that ends early or is corrupt part-way raises :class:`InputReadError` from the line
iterator after the last complete line; a torn last line is never yielded. Problems found when
the source is opened (missing file, not gzip/Parquet at all, unknown split) raise
:class:`InputError`.

:class:`ChunkReader` cuts a source's lines into ``(first_line_number, [raw lines])`` chunks,
skips lines already scored (``--resume``) and checks the last of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from rlvr.scoring.resume import input_too_short
from rlvr.scoring.rows import DEFAULT_GROUP_COLUMN

__all__ = [
    "DEFAULT_COMPLETION_COLUMNS", "MAX_CHUNK_BYTES", "ChunkReader", "GzipJsonlSource", "InputError", "InputReadError",
    "JsonlSource", "LineStream", "Source", "StdinSource", "ZstdJsonlSource", "check_columns", "open_source",
]

#: A chunk never holds more than this many bytes of input (megabyte completions).
MAX_CHUNK_BYTES = 8 * 1024 * 1024
#: Columns tried, in this order, for a row's completion(s) when ``--completion-column`` is not given.
DEFAULT_COMPLETION_COLUMNS = ("completion", "completions", DEFAULT_GROUP_COLUMN)
#: Bytes of compressed input read per step, and at most this many decompressed bytes per step.
_READ_BLOCK = 1 << 20
_IO_HINT = "pip install 'rlvr[io]'"


class InputError(ValueError):
    """The input cannot be read at all (usage error, exit code 2: nothing scored)."""


class InputReadError(Exception):
    """The input stopped being readable part-way (truncated or corrupt): every line before it was
    yielded. ``after_line`` is the number of the last complete line read."""

    def __init__(self, label: str, after_line: int, problem: str):
        super().__init__(label, after_line, problem)
        self.label = label
        self.after_line = after_line
        self.problem = problem

    def __str__(self) -> str:
        return f"cannot read {self.label} after input line {self.after_line}: {self.problem}"


class LineStream:
    """The iterator :meth:`Source.lines` returns: raw lines, at most ``limit`` of them.

    ``position`` is how far into the input it has read, in the unit of
    :attr:`Source.total_bytes` (bytes of the file, compressed bytes for compressed files), for
    the progress display. ``close()`` closes the underlying file."""

    __slots__ = ("_gen", "_limit", "lines_read", "position")

    def __init__(self, source: Source):
        self.position = 0
        self.lines_read = 0
        self._limit = source.limit
        self._gen = source._generate(self)

    def __iter__(self) -> LineStream:
        return self

    def __next__(self) -> bytes:
        if self._limit is not None and self.lines_read >= self._limit:
            self.close()
            raise StopIteration
        raw = next(self._gen)
        self.lines_read += 1
        return raw

    def close(self) -> None:
        self._gen.close()


class Source:
    """Input rows as raw JSON lines. Subclasses set :attr:`label` and implement :meth:`_generate`."""

    #: what the summary and messages call this input (a path, ``-``, a dataset name)
    label: str = ""
    #: input size in bytes for the progress display (``None``: unknown)
    total_bytes: int | None = None
    #: whether :meth:`lines` can be called again in another process (a file, not stdin)
    reopenable: bool = True
    #: read at most this many lines (``--limit``); ``None``: all
    limit: int | None = None

    def lines(self) -> LineStream:
        """Each input row as one raw JSON line (the trailing newline may be kept), at most
        :attr:`limit` of them. May raise :class:`InputReadError` part-way."""
        return LineStream(self)

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        """The raw lines; keeps ``stream.position`` current."""
        raise NotImplementedError

    def column_names(self) -> tuple[list[str], bool] | None:
        """``(names, exhaustive)``: the input's columns; ``exhaustive`` is False when they are only the
        keys seen in the first rows (JSON lines). ``None``: unknown without reading (stdin)."""
        return None


def _with_limit(source: Source, limit: int | None) -> Source:
    if limit is not None and limit < 0:
        raise InputError("--limit must be >= 0")
    source.limit = limit
    return source


def _split_blocks(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a stream of byte blocks (newlines dropped); a last line without newline is kept."""
    parts: list[bytes] = []
    for block in blocks:
        pieces = block.split(b"\n")
        if len(pieces) == 1:
            parts.append(block)
            continue
        if parts:
            parts.append(pieces[0])
            pieces[0] = b"".join(parts)
            parts = []
        tail = pieces.pop()
        yield from pieces
        if tail:
            parts.append(tail)
    if parts:
        yield b"".join(parts)


def _sample_keys(lines: Iterator[bytes], max_rows: int = 100, max_bytes: int = MAX_CHUNK_BYTES) -> list[str] | None:
    """Keys of the JSON object rows among the first lines (``None``: no object row found)."""
    from rlvr.scoring.jsonl import loads

    keys: dict[str, None] = {}
    rows = 0
    seen = 0
    found = False
    for raw in lines:
        seen += len(raw)
        try:
            obj = loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            obj = None
        if isinstance(obj, dict):
            found = True
            keys.update(dict.fromkeys(obj))
            rows += 1
        if rows >= max_rows or seen >= max_bytes:
            break
    return list(keys) if found else None


class _JsonLinesFile(Source):
    """JSON lines read from a file (plain or compressed)."""

    def __init__(self, path: str):
        self.path = path
        self.label = path
        self.total_bytes = os.path.getsize(path)

    def column_names(self) -> tuple[list[str], bool] | None:
        stream = LineStream(self)
        try:
            keys = _sample_keys(stream)
        except InputReadError:
            keys = None
        finally:
            stream.close()
        return None if keys is None else (keys, False)


class JsonlSource(_JsonLinesFile):
    """A JSON lines file."""

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            for raw in f:
                stream.position += len(raw)
                yield raw

    def line_ranges(self, skip_through: int, size: int, check_last: Callable[[bytes], None] | None = None, *,
                    workers: int = 1) -> Any:
        """Chunks as byte ranges of the file that the scoring workers read themselves: a
        :class:`~rlvr.scoring.line_ranges.LineRangeReader` (same lines, numbers, ``--resume``
        check and :attr:`limit` as :class:`ChunkReader` over :meth:`lines`)."""
        from rlvr.scoring.line_ranges import LineRangeReader

        return LineRangeReader(self.path, skip_through, size, check_last, workers=workers, limit=self.limit,
                               max_bytes=MAX_CHUNK_BYTES)


class _CompressedSource(_JsonLinesFile):
    """JSON lines in a compressed file: decompressed block by block, whole lines only."""

    what = ""
    magic = b""

    def __init__(self, path: str):
        super().__init__(path)
        with open(path, "rb") as f:
            head = f.read(64 * 1024)
        if head and not head.startswith(self.magic):
            raise InputError(f"{path} is not a {self.what} file (it does not start with the {self.what} signature)")
        if head:
            try:
                self._check_start(head)
            except Exception as exc:  # noqa: BLE001 - zlib.error, ZstdError
                raise InputError(f"{path} is not a readable {self.what} file ({_problem(exc)})") from None

    def _check_start(self, head: bytes) -> None:
        """Raise when the first bytes are not the start of a valid stream (corrupt header)."""

    def _decompressed(self, f: IO[bytes], stream: LineStream) -> Iterator[bytes]:
        raise NotImplementedError

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            blocks = self._decompressed(f, stream)
            lines = _split_blocks(blocks)
            while True:
                try:
                    raw = next(lines)
                except StopIteration:
                    return
                except Exception as exc:  # noqa: BLE001 - EOFError, OSError, zlib.error, ZstdError
                    raise InputReadError(self.label, stream.lines_read, _problem(exc)) from None
                yield raw


def _problem(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class GzipJsonlSource(_CompressedSource):
    """A gzip-compressed JSON lines file (``.jsonl.gz``/``.json.gz``; multi-member files too)."""

    what = "gzip"
    magic = b"\x1f\x8b"

    def _check_start(self, head: bytes) -> None:
        import zlib

        zlib.decompressobj(31).decompress(head, 1)

    def _decompressed(self, f: IO[bytes], stream: LineStream) -> Iterator[bytes]:
        import zlib

        inflater = zlib.decompressobj(31)
        started = False
        while True:
            data = f.read(_READ_BLOCK)
            if not data:
                break
            stream.position = f.tell()
            while data:
                if not started and not data.strip(b"\0"):
                    data = b""  # zero padding after the last member (as the gzip module allows)
                    break
                started = True
                out = inflater.decompress(data, _READ_BLOCK)
                if out:
                    yield out
                if inflater.eof:  # a member ended: the rest may be another member
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(31)
                    started = False
                    continue
                data = inflater.unconsumed_tail
                while not data and len(out) == _READ_BLOCK:  # output left inside the inflater
                    out = inflater.decompress(b"", _READ_BLOCK)
                    if out:
                        yield out
                    if inflater.eof:
                        data = inflater.unused_data
                        inflater = zlib.decompressobj(31)
                        started = False
                        break
        if started:
            raise EOFError("the gzip stream ends early (the file is truncated)")


class ZstdJsonlSource(_CompressedSource):
    """A zstandard-compressed JSON lines file (``.jsonl.zst``; needs the ``zstandard`` package)."""

    what = "zstandard"
    magic = b"\x28\xb5\x2f\xfd"

    def _check_start(self, head: bytes) -> None:
        import zstandard

        zstandard.get_frame_parameters(head)

    def __init__(self, path: str):
        try:
            import zstandard  # noqa: F401
        except ImportError:
            raise InputError(f"reading {path} needs the zstandard package: {_IO_HINT}") from None
        super().__init__(path)

    def _decompressed(self, f: IO[bytes], stream: LineStream) -> Iterator[bytes]:
        import zstandard

        maker = zstandard.ZstdDecompressor()
        frame = maker.decompressobj()
        started = False
        piece = 64 * 1024  # input fed per call: bounds the output of one call
        while True:
            data = f.read(_READ_BLOCK)
            if not data:
                break
            stream.position = f.tell()
            view = memoryview(data)
            while view:
                part, view = view[:piece], view[piece:]
                while part:
                    started = True
                    out = frame.decompress(bytes(part))
                    if out:
                        yield out
                    if frame.eof:  # a frame ended: the rest may be another frame
                        part = memoryview(frame.unused_data)
                        frame = maker.decompressobj()
                        started = False
                    else:
                        part = memoryview(b"")
        if started:
            raise EOFError("the zstandard stream ends early (the file is truncated)")


class StdinSource(Source):
    """JSON lines on standard input (``-``)."""

    label = "-"
    reopenable = False

    def _generate(self, stream: LineStream) -> Iterator[bytes]:
        for raw in sys.stdin.buffer:
            stream.position += len(raw)
            yield raw


_GZIP_SUFFIXES = (".gz", ".gzip")
_ZSTD_SUFFIXES = (".zst", ".zstd")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_FILE_SUFFIXES = (".jsonl", ".json", ".ndjson", ".txt") + _GZIP_SUFFIXES + _ZSTD_SUFFIXES + _PARQUET_SUFFIXES


def open_source(path: str, *, split: str | None = None, config_name: str | None = None,
                limit: int | None = None) -> Source:
    """The source for ``rlvr score INPUT`` (see the module doc for how the kind is chosen).

    Raises ``FileNotFoundError`` for a missing file with a file suffix, and :class:`InputError`
    for an input that cannot be read at all or options that do not fit it (``--split`` on a
    file)."""
    if path == "-" or os.path.isfile(path):
        if split is not None or config_name is not None:
            raise InputError("--split and --config-name apply to Hugging Face datasets, not to a file or stdin")
        if path == "-":
            return _with_limit(StdinSource(), limit)
        lower = path.lower()
        source: Source
        if lower.endswith(_GZIP_SUFFIXES):
            source = GzipJsonlSource(path)
        elif lower.endswith(_ZSTD_SUFFIXES):
            source = ZstdJsonlSource(path)
        elif lower.endswith(_PARQUET_SUFFIXES):
            from rlvr.scoring.columnar_sources import ParquetSource

            source = ParquetSource(path)
        else:
            source = JsonlSource(path)
        return _with_limit(source, limit)
    from rlvr.scoring.columnar_sources import HubDatasetSource, SavedDatasetSource

    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "dataset_dict.json")) or os.path.isfile(os.path.join(path, "state.json")):
            if config_name is not None:
                raise InputError(f"--config-name applies to load_dataset names, not to the saved dataset {path}")
            return _with_limit(SavedDatasetSource(path, split), limit)
        return _with_limit(HubDatasetSource(path, split, config_name), limit)
    if path.lower().endswith(_FILE_SUFFIXES):
        raise FileNotFoundError(path)
    return _with_limit(HubDatasetSource(path, split, config_name), limit)


def check_columns(source: Source, completion_column: str | None) -> None:
    """Refuse (:class:`InputError`) a ``--completion-column`` the input does not have, and a columnar input
    with none of the default completion columns. JSON lines are checked against their first rows' keys."""
    if completion_column is None and isinstance(source, _JsonLinesFile):
        return  # rows without a completion are error rows; nothing to read ahead for
    known = source.column_names()
    if known is None:
        return
    names, exhaustive = known
    shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    if completion_column is not None:
        if completion_column not in names:
            where = "its columns" if exhaustive else "the fields of its first rows"
            raise InputError(f"--completion-column {completion_column!r}: {source.label} has no such column; "
                             f"{where}: {shown}")
    elif exhaustive and not any(c in names for c in DEFAULT_COMPLETION_COLUMNS):
        raise InputError(f"{source.label} has none of the columns {', '.join(DEFAULT_COMPLETION_COLUMNS)}; name the "
                         f"column holding the completions with --completion-column (its columns: {shown})")


class ChunkReader:
    """Yields ``(first_line_number, [raw lines])``; ``size`` may change between chunks.

    Lines up to ``skip_through`` are skipped (``--resume``); ``check_last`` is called with
    input line ``skip_through`` itself, and :class:`~rlvr.scoring.resume.ResumeError` is raised when the input is
    shorter than that. ``bytes_read`` tells how far into the input it is (progress; the unit
    of the source's ``total_bytes``).

    When the input stops being readable (:class:`InputReadError`), the lines before it are
    still yielded; then the error is raised, or, with ``defer_errors``, kept in :attr:`error`
    and the iteration ends normally (so an engine can finish the chunks in flight first)."""

    def __init__(self, lines: Iterator[bytes], skip_through: int, size: int,
                 check_last: Callable[[bytes], None] | None = None, *, defer_errors: bool = False):
        self.lines = lines
        self.skip_through = skip_through
        self.size = size
        self.check_last = check_last
        self.bytes_read = 0
        self.defer_errors = defer_errors
        #: the read error that ended the input early (with ``defer_errors``)
        self.error: InputReadError | None = None

    def __iter__(self) -> Iterator[tuple[int, list[bytes]]]:
        number = 0
        batch: list[bytes] = []
        batch_bytes = 0
        first = 1
        skip = self.skip_through
        stream = self.lines if isinstance(self.lines, LineStream) else None
        error: InputReadError | None = None
        try:
            for raw in self.lines:
                number += 1
                if stream is not None:
                    self.bytes_read = stream.position
                else:
                    self.bytes_read += len(raw)
                if number <= skip:
                    if number == skip and self.check_last is not None:
                        self.check_last(raw)
                    continue
                if not batch:
                    first = number
                batch.append(raw)
                batch_bytes += len(raw)
                if len(batch) >= self.size or batch_bytes >= MAX_CHUNK_BYTES:
                    yield first, batch
                    batch, batch_bytes = [], 0
        except InputReadError as exc:
            error = exc
        if error is None and number < skip:
            raise input_too_short(number, skip)
        if batch:
            yield first, batch
        if error is not None:
            if not self.defer_errors:
                raise error
            self.error = error
