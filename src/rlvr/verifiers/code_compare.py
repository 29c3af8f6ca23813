"""Comparing a program's output with the expected output, on the host.

Stdout (:func:`compare_stdout`), default ``mode="lines"``:

1. ``\\r\\n`` (and a lone ``\\r`` at a line end) becomes ``\\n``; the output must be UTF-8.
2. Trailing whitespace on every line and trailing blank lines are ignored.
3. Both sides must have the **same number of lines** (printing only the first line of a
   multi-line answer fails; so does printing extra lines).
4. Each line is split into whitespace-separated tokens; both lines need the same number of
   tokens, and tokens must be equal as strings, so integers (of any size) compare exactly,
   with one exception: when the *expected* token is a float literal (``3.14``, ``1e-9``,
   ``.5``; not ``3``, ``inf`` or ``nan``) the actual token may be any finite number that is
   *close* to it (the float rule below).

The float rule (stdout tokens and returned values alike), ``b`` expected, ``a`` actual:

* ``b == 0``: passes when ``|a| <= abs_tol``;
* otherwise: passes when ``|a - b| <= max(rel_tol * |b|, min(abs_tol, |b| / 2))``.

That is the usual "absolute or relative error at most 1e-6" of competitive judges (defaults
``abs_tol = rel_tol = 1e-6``), except that the absolute part never exceeds half of a non-zero
expected value: a tiny expected value such as ``1e-09`` is not matched by ``0``, by a value of
the other sign, or by anything off by half of it or more, while ``1.0000004e-09`` still passes.
A problem whose checker accepts 0 there passes its own ``checker``.

``mode="tokens"`` ignores line structure: the whole outputs are compared as token sequences
with the same token rule. ``case_sensitive=False`` folds case (off by default). A custom
``checker(stdin, expected, actual) -> bool | float`` replaces all of this (a float counts as a
pass when >= 1.0). Comparison is never truncating: missing or extra lines/tokens fail.

Returned values (:func:`compare_value`) are the JSON text serialised in the child; comparison
is type-strict: ``bool`` is not ``int`` (``True`` != ``1``); an ``int`` matches only an ``int``;
an expected ``float`` accepts an ``int`` or ``float`` within tolerance (NaN matches only NaN,
infinities only the same infinity); lists match lists of equal length (a returned tuple is a
list), dicts need exactly the same keys, strings and ``None`` compare exactly.

Host cost is bounded whatever the program sends: the value text is already capped in size
(``Limits.stdout_bytes``); integers longer than 4000 digits are never converted unless the
expected value at that place is an integer of about the same length (so an 8-million-digit
result costs a length comparison, not a 17 s conversion); numbers too large for a float,
JSON nested deeper than the parser allows and invalid JSON are mismatches, never exceptions.
A custom ``checker`` that raises on an output counts as a rejection of that output (and is
logged), since the program chose the output.

Mismatch reasons name the position (line/token/path) but never quote the expected output.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CompareOptions", "Comparison", "LongInt", "compare_stdout", "compare_value", "float_close",
           "parse_json_value"]

Mode = Literal["lines", "tokens"]
Checker = Callable[[str, str, str], "bool | float"]

log = logging.getLogger("rlvr")

#: Longest actual token converted with ``float()`` (longer ones do not match a float).
MAX_FLOAT_TOKEN = 4096
#: Integers with more digits than this stay text until compared with an expected integer.
LONG_INT_DIGITS = 4000

_FLOAT_LITERAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Comparison:
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class CompareOptions:
    mode: Mode = "lines"
    rel_tol: float = 1e-6
    abs_tol: float = 1e-6
    case_sensitive: bool = True
    checker: Checker | None = None


_PASS = Comparison(True)


def _is_float_literal(token: str) -> bool:
    return _FLOAT_LITERAL.fullmatch(token) is not None


def float_close(actual: float, expected: float, rel_tol: float = 1e-6, abs_tol: float = 1e-6) -> bool:
    """The float rule of the module docstring (NaN matches only NaN, an infinity only itself)."""
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    if expected == 0.0:
        return abs(actual) <= abs_tol
    return abs(actual - expected) <= max(rel_tol * abs(expected), min(abs_tol, abs(expected) / 2.0))


_close = float_close


def _run_checker(checker: Checker, stdin: str, expected: str, actual: str) -> bool:
    try:
        verdict = checker(stdin, expected, actual)
        return bool(verdict) if isinstance(verdict, bool) else float(verdict) >= 1.0
    except Exception as exc:  # the program chose the output that made the checker raise
        log.warning("rlvr code checker %r raised %s on an output; counted as rejected",
                    getattr(checker, "__name__", checker), type(exc).__name__)
        return False


def _tokens_equal(actual: str, expected: str, opts: CompareOptions) -> bool:
    if actual == expected:
        return True
    if not opts.case_sensitive and actual.casefold() == expected.casefold():
        return True
    if _is_float_literal(expected):
        if len(actual) > MAX_FLOAT_TOKEN:
            return False
        try:
            a = float(actual)
        except ValueError:
            return False
        if not math.isfinite(a):
            return False
        return _close(a, float(expected), opts.rel_tol, opts.abs_tol)
    return False


def _normalise_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def compare_stdout(actual: bytes | str, expected: str, *, options: CompareOptions | None = None,
                   stdin: str = "") -> Comparison:
    """Judge a program's stdout against the expected output (rules in the module docstring)."""
    opts = options or CompareOptions()
    if isinstance(actual, (bytes, bytearray)):
        try:
            actual_text = bytes(actual).decode("utf-8")
        except UnicodeDecodeError:
            return Comparison(False, "output is not valid UTF-8")
    else:
        actual_text = actual
    if opts.checker is not None:
        ok = _run_checker(opts.checker, stdin, expected, actual_text)
        return _PASS if ok else Comparison(False, "the checker rejected the output")
    if opts.mode == "tokens":
        got, want = actual_text.split(), expected.split()
        if len(got) != len(want):
            return Comparison(False, f"expected {len(want)} tokens, got {len(got)}")
        for i, (a, e) in enumerate(zip(got, want)):
            if not _tokens_equal(a, e, opts):
                return Comparison(False, f"token {i + 1} differs")
        return _PASS
    got_lines, want_lines = _normalise_lines(actual_text), _normalise_lines(expected)
    if len(got_lines) != len(want_lines):
        return Comparison(False, f"expected {len(want_lines)} lines, got {len(got_lines)}")
    for n, (a_line, e_line) in enumerate(zip(got_lines, want_lines), start=1):
        if a_line == e_line:
            continue
        a_tok, e_tok = a_line.split(), e_line.split()
        if len(a_tok) != len(e_tok):
            return Comparison(False, f"line {n}: expected {len(e_tok)} tokens, got {len(a_tok)}")
        for i, (a, e) in enumerate(zip(a_tok, e_tok)):
            if not _tokens_equal(a, e, opts):
                return Comparison(False, f"line {n}, token {i + 1} differs")
    return _PASS


# --------------------------------------------------------------------------- returned values
def _parse_big_int(text: str) -> int:
    """``int(text)`` without the interpreter's 4300-digit limit (divide and conquer)."""
    if len(text) <= 4000:
        return int(text)
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-")

    def conv(s: str) -> int:
        if len(s) <= 4000:
            return int(s)
        half = len(s) // 2
        return conv(s[:-half]) * 10 ** half + conv(s[-half:])

    return sign * conv(digits)


class LongInt(str):
    """An integer literal of more than :data:`LONG_INT_DIGITS` digits, kept as its text."""

    __slots__ = ()

    @property
    def digits(self) -> int:
        return len(self.lstrip("-"))


def _bounded_int(text: str) -> int | LongInt:
    return int(text) if len(text) <= LONG_INT_DIGITS else LongInt(text)


def _decimal_digits(n: int) -> int:
    """Number of decimal digits of ``|n|`` (exact, without ``str()`` on huge ints)."""
    n = abs(n)
    if n < 10 ** 18:
        return len(str(n))
    digits = int((n.bit_length() - 1) * 0.30102999566398120)  # <= floor(log10(n)), at most one less
    while n >= 10 ** digits:
        digits += 1
    return digits


def parse_json_value(text: str) -> Any:
    """Parse the child's JSON (NaN/Infinity accepted). Integers longer than
    :data:`LONG_INT_DIGITS` digits come back as :class:`LongInt` (their text, unconverted)."""
    if hasattr(sys, "get_int_max_str_digits") and sys.get_int_max_str_digits():
        try:
            return json.loads(text)  # fast path: the interpreter refuses long int literals itself
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer over the interpreter's digit limit
            pass
    return json.loads(text, parse_int=_bounded_int)


def _int_equal(actual: int | LongInt, expected: int) -> bool:
    if isinstance(actual, LongInt):
        if actual.digits != _decimal_digits(expected) or (actual.startswith("-") != (expected < 0)):
            return False  # cost of a length check, whatever the size
        return _parse_big_int(actual) == expected  # no larger than the expected value
    return actual == expected


def _as_float(value: Any) -> float | None:
    if isinstance(value, LongInt):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _value_mismatch(actual: Any, expected: Any, path: str, opts: CompareOptions) -> str | None:
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(actual) is type(expected) and actual == expected:
            return None
        return f"{path or 'value'} differs"
    if isinstance(expected, int):
        if (type(actual) is int or isinstance(actual, LongInt)) and _int_equal(actual, expected):
            return None
        return f"{path or 'value'} differs"
    if isinstance(expected, float):
        number = _as_float(actual) if type(actual) in (int, float) else None
        if number is not None and _close(number, expected, opts.rel_tol, opts.abs_tol):
            return None
        return f"{path or 'value'} differs"
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, list):
            return f"{path or 'value'}: expected a list"
        if len(actual) != len(expected):
            return f"{path or 'value'}: expected {len(expected)} items, got {len(actual)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            why = _value_mismatch(a, e, f"{path}[{i}]", opts)
            if why:
                return why
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path or 'value'}: expected a dict"
        if set(actual) != {str(k) for k in expected}:
            return f"{path or 'value'}: keys differ"
        for k, e in expected.items():
            why = _value_mismatch(actual[str(k)], e, f"{path}[{str(k)!r}]", opts)
            if why:
                return why
        return None
    return f"{path or 'value'}: unsupported expected type {type(expected).__name__}"


def compare_value(actual_json: str, expected: Any, *, options: CompareOptions | None = None) -> Comparison:
    """Judge a returned value (JSON text from the sandbox) against ``expected`` (type-strict)."""
    opts = options or CompareOptions()
    try:
        actual = parse_json_value(actual_json)
    except (ValueError, RecursionError):
        return Comparison(False, "returned value is not valid JSON")
    if opts.checker is not None:
        ok = _run_checker(opts.checker, "", json.dumps(expected), actual_json)
        return _PASS if ok else Comparison(False, "the checker rejected the returned value")
    try:
        why = _value_mismatch(actual, expected, "", opts)
    except RecursionError:
        why = "returned value is nested too deeply"
    return _PASS if why is None else Comparison(False, why)
