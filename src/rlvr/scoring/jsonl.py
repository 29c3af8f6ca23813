"""JSON lines encoding and decoding, with orjson when it is installed (it is not a dependency).

Both backends give the same results for every row rlvr writes: compact separators, UTF-8
text (no ``\\uXXXX`` escapes for non-ASCII), ``null`` for ``None``. Reading falls back to the
standard library when orjson refuses a line that stdlib accepts (integers beyond 64 bits),
so which backend is installed never changes what counts as a malformed line... except for
``NaN``/``Infinity`` literals, which are not JSON: both reject them here.

Nesting: a document nested too deeply for the standard library (e.g. 100,000 ``[``) raises
``ValueError`` like any malformed document (never ``RecursionError``); orjson parses any
depth, so :func:`too_deep` lets a reader refuse documents nested deeper than
:data:`MAX_READ_DEPTH` levels with either backend. When writing, a value nested deeper than
:data:`MAX_WRITE_DEPTH` levels (e.g. in a reward's details) is written as the string
``"<nested deeper than 200 levels>"`` at that depth, so every row rlvr writes can be read
back by both backends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "MAX_READ_DEPTH", "MAX_WRITE_DEPTH", "dumps", "dumps_many", "fast_loads", "loads", "too_deep"]

#: Input documents nested deeper than this are malformed (see :func:`too_deep`).
MAX_READ_DEPTH = 128
#: Containers nested deeper than this are replaced by a marker string when writing.
MAX_WRITE_DEPTH = 200


def too_deep(raw: bytes | str, obj: Any, limit: int = MAX_READ_DEPTH) -> bool:
    """Whether ``obj`` (parsed from ``raw``) nests containers more than ``limit`` levels deep.

    Costs two byte counts for ordinary lines: the walk only runs when ``raw`` holds more than
    ``limit`` brackets in all."""
    if isinstance(raw, str):
        if raw.count("[") + raw.count("{") <= limit:
            return False
    elif raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _std_loads(data: bytes | str) -> Any:
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None


_std_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _clip_depth(obj: Any, depth: int) -> Any:
    if isinstance(obj, (dict, list, tuple)):
        if depth >= MAX_WRITE_DEPTH:
            return f"<nested deeper than {MAX_WRITE_DEPTH} levels>"
        if isinstance(obj, dict):
            return {k: _clip_depth(v, depth + 1) for k, v in obj.items()}
        return [_clip_depth(v, depth + 1) for v in obj]
    return obj


def _std_dumps(obj: Any) -> bytes:
    try:
        text = _std_encoder.encode(obj)
    except (RecursionError, ValueError) as exc:  # ValueError: a circular reference
        if isinstance(exc, ValueError) and "ircular" not in str(exc):
            raise
        text = _std_encoder.encode(_clip_depth(obj, 0))
    return text.encode("utf-8", "surrogatepass")


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

if _orjson is not None:
    BACKEND = "orjson"
    _fast_loads: Callable[[bytes | str], Any] = _orjson.loads
    _OPTS = _orjson.OPT_NON_STR_KEYS

    def loads(data: bytes | str) -> Any:
        """Parse one JSON document (raises ``ValueError`` on malformed input)."""
        try:
            return _fast_loads(data)
        except _orjson.JSONDecodeError:
            return _std_loads(data)  # orjson refuses big integers; stdlib decides

    def dumps(obj: Any) -> bytes:
        """Compact UTF-8 JSON bytes (no trailing newline)."""
        try:
            return _orjson.dumps(obj, default=str, option=_OPTS)
        except TypeError:  # e.g. lone surrogates or >64-bit ints in copied columns
            return _std_dumps(obj)

    def dumps_many(objs: list[Any]) -> list[bytes]:
        """``[dumps(o) for o in objs]``, faster."""
        try:
            return [_orjson.dumps(o, None, _OPTS) for o in objs]  # rows hold plain JSON values
        except TypeError:
            return [dumps(o) for o in objs]

else:  # pragma: no cover - depends on the environment
    BACKEND = "json"
    _fast_loads = _std_loads
    loads = _std_loads
    dumps = _std_dumps

    def dumps_many(objs: list[Any]) -> list[bytes]:
        """``[dumps(o) for o in objs]``."""
        return [_std_dumps(o) for o in objs]


#: The fastest available parser, for the hot path: may raise where :func:`loads` would still
#: succeed (orjson refuses >64-bit integers), so call :func:`loads` when it raises.
fast_loads = _fast_loads
