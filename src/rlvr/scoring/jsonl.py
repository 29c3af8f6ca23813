"""JSON lines encoding and decoding, with orjson when it is installed (it is not a dependency).

Both backends give the same results for every row rlvr writes: compact separators, UTF-8
text (no ``\\uXXXX`` escapes for non-ASCII), ``null`` for ``None``. Reading falls back to the
standard library when orjson refuses a line that stdlib accepts (integers beyond 64 bits),
so which backend is installed never changes what counts as a malformed line... except for
``NaN``/``Infinity`` literals, which are not JSON: both reject them here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "dumps", "dumps_many", "fast_loads", "loads"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _std_loads(data: bytes | str) -> Any:
    return json.loads(data, parse_constant=_reject_constant)


_std_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _std_dumps(obj: Any) -> bytes:
    return _std_encoder.encode(obj).encode("utf-8", "surrogatepass")


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
