"""Countdown equations: parse safely, evaluate exactly, check the numbers used.

Pure judgement, no I/O. :func:`verify_countdown` takes the equation text a model wrote and the
task (``target``, ``numbers``) and returns a :class:`CountdownVerdict`. Model output is
**never** passed to ``eval``, ``sympify`` or ``parse_expr``.

How an equation is read (in this order, every step bounded):

1. **Normalise** (``unicode_operators=True``): ``×``/``✕``/``·``/``⋅``/``∗`` read as ``*``,
   ``÷``/``∕`` as ``/``, ``−`` (U+2212) and ``–`` (en dash) as ``-``; runs of any Unicode
   whitespace read as one space.
2. **Cheap checks before parsing** (so hostile input never reaches ``ast.parse``, which
   recurses on nesting): length ``<= max_chars`` (reason ``too_long``); only ASCII digits,
   ``+ - * / ( ) . =`` and spaces (``not_an_equation``; Unicode digits such as ``٣`` or ``３``
   are rejected: they are homoglyphs a grader should not guess at); ``**`` and ``//``
   (``forbidden_operator``); balanced parentheses (``not_an_equation``) no deeper than
   ``max_depth`` (``too_deep``); every digit run at most ``max_literal_digits`` long
   (``literal_too_large``, so a 10,000-digit literal is never converted to an int).
3. **An ``=``** (``allow_equals=True``): ``3+5 = 8`` and ``8 = 3+5`` are accepted when one side
   is a lone integer literal; that literal is the claimed result and must equal the target
   (else ``wrong_value``); it is not counted as a used number. Several ``=``, or expressions on
   both sides, give ``bad_equals``. With ``allow_equals=False`` any ``=`` is ``not_an_equation``.
4. **Parse** with :func:`ast.parse` (``mode="eval"``) and walk a whitelist: integer literals,
   binary ``+ - * /``, unary minus, parentheses. Anything else (names, calls, ``**``, ``%``,
   unary plus, comparisons, tuples, ...) is ``forbidden_syntax``; a float literal such as
   ``2.5`` is ``non_integer_literal``; a syntax error is ``not_an_equation``.
5. **Numbers**: the literals used must equal the given numbers as a multiset (each exactly
   once), or, with ``allow_subset=True``, form a non-empty sub-multiset (each at most once).
   Otherwise ``numbers_mismatch``; the equation is then *not evaluated* at all.
6. **Evaluate** with exact rational arithmetic (ints, :class:`fractions.Fraction` after an
   inexact division). Division by zero is ``division_by_zero``. The value must equal the
   target exactly (``wrong_value`` otherwise); there is no float tolerance.

The verdict's ``reason`` is one of :data:`REASONS`.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = [
    "CountdownLimits",
    "CountdownVerdict",
    "GoldError",
    "REASONS",
    "evaluate_countdown_expression",
    "parse_numbers",
    "parse_target",
    "verify_countdown",
]

#: Every ``CountdownVerdict.reason``.
REASONS = (
    "correct",
    "empty",
    "too_long",
    "not_an_equation",
    "forbidden_operator",
    "too_deep",
    "literal_too_large",
    "bad_equals",
    "forbidden_syntax",
    "non_integer_literal",
    "numbers_mismatch",
    "division_by_zero",
    "wrong_value",
)

_OPERATOR_MAP = str.maketrans({
    "×": "*", "✕": "*", "·": "*", "∗": "*", "⋅": "*",
    "÷": "/", "∕": "/",
    "−": "-", "–": "-",
})
_ALLOWED = re.compile(r"[^0-9+\-*/(). =]")
_LONE_INT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class CountdownLimits:
    """Caps that keep parsing and evaluation bounded on hostile input.

    Defaults are generous for real Countdown answers (a 6-number equation is ~40 characters).
    """

    max_chars: int = 300
    max_depth: int = 32
    max_literal_digits: int = 9

    def __post_init__(self) -> None:
        for name in ("max_chars", "max_depth", "max_literal_digits"):
            if getattr(self, name) < 1:
                raise ValueError(f"CountdownLimits.{name} must be >= 1, got {getattr(self, name)}")
        if self.max_depth > 200:
            raise ValueError("CountdownLimits.max_depth must be <= 200 (Python's parser nesting limit)")


@dataclass(frozen=True)
class CountdownVerdict:
    """The judgement of one equation.

    Attributes:
        correct: the equation uses the right numbers and evaluates exactly to the target.
        reason: a code from :data:`REASONS` (``"correct"`` when correct).
        message: a short human-readable explanation.
        value: the exact value of the expression when it was evaluated, else ``None``.
        used: the integer literals found (in order) when parsing got that far, else ``None``.
    """

    correct: bool
    reason: str
    message: str = ""
    value: Fraction | int | None = None
    used: tuple[int, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """JSON-ready facts for ``Score.details``."""
        out: dict[str, Any] = {"reason": self.reason}
        if self.used is not None:
            out["used_numbers"] = list(self.used)
        if self.value is not None:
            out["value"] = str(self.value)
        out.update(self.extra)
        return out


class GoldError(ValueError):
    """The task itself (target or numbers) is not usable."""


class _Reject(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


# --------------------------------------------------------------------------- task columns
def _brief(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_target(value: Any) -> Fraction:
    """The target as an exact number. Accepts ints (numpy ints too), finite floats (read by
    their shortest decimal form, so ``0.1`` is 1/10), Fractions and numeric strings.

    Raises:
        GoldError: ``value`` is not a number (``None``, bool, list, text, NaN, ...).
    """
    if type(value) is int:  # the common case, kept cheap
        return Fraction(value)
    if isinstance(value, bool) or value is None:
        raise GoldError(f"target {_brief(value)} is not a number")
    if isinstance(value, int):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        text = value.strip()
        # plain decimals and fractions only: "1e99999999" would make Fraction build a huge int
        if len(text) > 64 or not _TARGET_TEXT.fullmatch(text):
            raise GoldError(f"target {value[:40]!r} is not a number")
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise GoldError(f"target {text!r} is not a number") from None
    if hasattr(value, "__index__"):  # numpy integer scalars
        try:
            return Fraction(value.__index__())
        except Exception:  # pragma: no cover - exotic __index__
            raise GoldError(f"target {_brief(value)} is not a number") from None
    if isinstance(value, float) or hasattr(value, "__float__"):
        try:
            f = float(value)
        except (TypeError, ValueError, OverflowError):
            raise GoldError(f"target {_brief(value)} is not a number") from None
        if f != f or f in (float("inf"), float("-inf")):
            raise GoldError(f"target {_brief(value)} is not finite")
        return Fraction(repr(f))
    raise GoldError(f"target of type {type(value).__name__} is not a number")


_INT_TEXT = re.compile(r"-?[0-9]{1,18}")
_TARGET_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+|/[0-9]+)?")
_NUM_TEXT = re.compile(r"\s*\[?\s*((?:-?\d{1,18}\s*[,\s]\s*)*-?\d{1,18})?\s*\]?\s*")


def _as_int(item: Any) -> int:
    if isinstance(item, bool) or item is None:
        raise GoldError(f"number {_brief(item)} is not an integer")
    if isinstance(item, int):
        return item
    if hasattr(item, "__index__"):
        return int(item.__index__())
    if isinstance(item, float) or hasattr(item, "__float__"):
        try:
            f = float(item)
        except (TypeError, ValueError, OverflowError):
            raise GoldError(f"number {_brief(item)} is not an integer") from None
        if f != f or not f.is_integer():
            raise GoldError(f"number {_brief(item)} is not an integer")
        return int(f)
    if isinstance(item, str) and _INT_TEXT.fullmatch(item.strip()):
        return int(item.strip())
    raise GoldError(f"number {_brief(item)} is not an integer")


def parse_numbers(value: Any) -> tuple[int, ...]:
    """The given numbers as a tuple of non-negative ints.

    Accepts a list/tuple/array of ints (integral floats and numeric strings too), or a string
    such as ``"[3, 5, 8]"`` / ``"3 5 8"`` (JSONL files sometimes store the list as text).

    Raises:
        GoldError: not a sequence of integers, empty, or a negative number.
    """
    if type(value) is list and all(type(x) is int and x >= 0 for x in value) and value:
        return tuple(value)  # the common case, kept cheap
    if isinstance(value, str):
        if len(value) > 2000 or not _NUM_TEXT.fullmatch(value):
            raise GoldError(f"numbers {value[:40]!r} is not a list of integers")
        items: Sequence[Any] = re.findall(r"-?\d+", value)
    elif isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and hasattr(value, "__getitem__")
                                              and not isinstance(value, (bytes, dict))):
        items = list(value)
    else:
        raise GoldError(f"numbers must be a list of integers, got {type(value).__name__}")
    if not items:
        raise GoldError("numbers is empty")
    nums = tuple(_as_int(x) for x in items)
    if any(n < 0 for n in nums):
        raise GoldError(f"numbers must be non-negative, got {_brief(list(nums))}")
    return nums


# --------------------------------------------------------------------------- the equation
def _prescan(text: str, limits: CountdownLimits, unicode_operators: bool) -> str:
    """Normalise and run the cheap checks; returns the text to parse."""
    if len(text) > limits.max_chars * 4:  # do not even normalise megabytes
        raise _Reject("too_long", f"equation is {len(text)} characters (limit {limits.max_chars})")
    if unicode_operators and not text.isascii():
        text = text.translate(_OPERATOR_MAP)
    text = " ".join(text.split())  # any Unicode whitespace -> one space; strips
    if not text:
        raise _Reject("empty", "the answer is empty")
    if len(text) > limits.max_chars:
        raise _Reject("too_long", f"equation is {len(text)} characters (limit {limits.max_chars})")
    bad = _ALLOWED.search(text)
    if bad:
        ch = bad.group()
        kind = "digit" if ch.isdigit() else "character"
        raise _Reject("not_an_equation", f"{kind} {ch!r} (U+{ord(ch):04X}) is not allowed in an equation")
    # "* *" with a space is a syntax error for Python, so only the adjacent forms matter
    if "**" in text:
        raise _Reject("forbidden_operator", "'**' (power) is not allowed")
    if "//" in text:
        raise _Reject("forbidden_operator", "'//' (floor division) is not allowed")
    opened = text.count("(")
    if opened != text.count(")"):
        raise _Reject("not_an_equation", "unbalanced parentheses")
    if opened > limits.max_depth:  # nesting can only exceed the cap when there are that many '('
        depth = deepest = 0
        for ch in text:
            if ch == "(":
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raise _Reject("not_an_equation", "unbalanced parentheses")
        if deepest > limits.max_depth:
            raise _Reject("too_deep", f"parentheses nest {deepest} deep (limit {limits.max_depth})")
    if len(text) > limits.max_literal_digits:
        run = _long_digit_run(limits.max_literal_digits).search(text)
        if run:
            raise _Reject("literal_too_large",
                          f"a number longer than {limits.max_literal_digits} digits")
    return text


_RUN_PATTERNS: dict[int, re.Pattern[str]] = {}


def _long_digit_run(max_digits: int) -> re.Pattern[str]:
    pattern = _RUN_PATTERNS.get(max_digits)
    if pattern is None:
        pattern = _RUN_PATTERNS[max_digits] = re.compile(f"[0-9]{{{max_digits + 1}}}")
    return pattern


def _split_equals(text: str) -> tuple[str, int | None]:
    """``expr = N`` / ``N = expr`` -> (expr, N)."""
    if "=" not in text:
        return text, None
    parts = text.split("=")
    if len(parts) != 2:
        raise _Reject("bad_equals", "more than one '=' (write one expression, optionally '= target')")
    lhs, rhs = parts[0].strip(), parts[1].strip()
    if _LONE_INT.fullmatch(rhs) and lhs:
        return lhs, int(rhs)
    if _LONE_INT.fullmatch(lhs) and rhs:
        return rhs, int(lhs)
    raise _Reject("bad_equals", "with '=', one side must be the target number")


class _Walker:
    """Validate the whitelist and collect literals (no evaluation)."""

    __slots__ = ("literals", "max_depth")

    def __init__(self, max_depth: int):
        self.literals: list[int] = []
        self.max_depth = max_depth

    def walk(self, node: ast.AST, depth: int) -> None:
        if depth > self.max_depth:
            raise _Reject("too_deep", f"expression nests deeper than {self.max_depth}")
        t = type(node)
        if t is ast.BinOp:
            if type(node.op) not in _BINOPS:  # type: ignore[attr-defined]
                op = type(node.op).__name__  # type: ignore[attr-defined]
                raise _Reject("forbidden_syntax", f"operator {op} is not allowed (only + - * /)")
            self.walk(node.left, depth + 1)  # type: ignore[attr-defined]
            self.walk(node.right, depth + 1)  # type: ignore[attr-defined]
        elif t is ast.Constant:
            v = node.value  # type: ignore[attr-defined]
            if type(v) is int:
                self.literals.append(v)
            elif type(v) is float:
                raise _Reject("non_integer_literal", "only the given integers may appear (found a decimal number)")
            else:
                raise _Reject("forbidden_syntax", f"literal of type {type(v).__name__} is not allowed")
        elif t is ast.UnaryOp:
            if type(node.op) is not ast.USub:  # type: ignore[attr-defined]
                raise _Reject("forbidden_syntax", "only unary minus is allowed")
            self.walk(node.operand, depth + 1)  # type: ignore[attr-defined]
        else:
            raise _Reject("forbidden_syntax", f"{t.__name__} is not allowed (only numbers, + - * /, parentheses)")


_BINOPS = {ast.Add, ast.Sub, ast.Mult, ast.Div}


def _evaluate(node: ast.AST) -> int | Fraction:
    """Exact value of a whitelisted tree (ints until a division is inexact)."""
    t = type(node)
    if t is ast.Constant:
        return node.value  # type: ignore[attr-defined,no-any-return]
    if t is ast.UnaryOp:
        return -_evaluate(node.operand)  # type: ignore[attr-defined]
    a = _evaluate(node.left)  # type: ignore[attr-defined]
    b = _evaluate(node.right)  # type: ignore[attr-defined]
    op = type(node.op)  # type: ignore[attr-defined]
    if op is ast.Add:
        return a + b
    if op is ast.Sub:
        return a - b
    if op is ast.Mult:
        return a * b
    if b == 0:
        raise _Reject("division_by_zero", "division by zero")
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return q if r == 0 else Fraction(a, b)
    return Fraction(a) / b


def _parse(text: str, max_depth: int) -> tuple[ast.AST, list[int]]:
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _Reject("not_an_equation", "not a valid arithmetic expression") from None
    walker = _Walker(max_depth * 2 + 8)
    walker.walk(tree.body, 0)
    return tree.body, walker.literals


def evaluate_countdown_expression(
    text: str,
    *,
    limits: CountdownLimits = CountdownLimits(),
    unicode_operators: bool = True,
) -> int | Fraction:
    """Exact value of an arithmetic expression under the countdown whitelist (no ``=``).

    Raises:
        ValueError: the expression is rejected (the message says why).
    """
    try:
        tree, _ = _parse(_prescan(text, limits, unicode_operators), limits.max_depth)
        return _evaluate(tree)
    except _Reject as exc:
        raise ValueError(f"{exc.reason}: {exc.message}") from None


def _numbers_match(used: list[int], given: tuple[int, ...], allow_subset: bool) -> str | None:
    """None when ``used`` fits ``given``; else a message."""
    if not allow_subset:
        if len(used) == len(given) and sorted(used) == sorted(given):
            return None
        return f"used {sorted(used)} but must use each of {_brief(sorted(given), 120)} exactly once"
    if not used:
        return "no numbers used"
    have = Counter(given)
    need = Counter(used)
    extra = need - have
    if not extra:
        return None
    return f"used {sorted(extra.elements())} beyond the given numbers {_brief(sorted(given), 120)} (each at most once)"


def verify_countdown(
    equation: str,
    target: Any,
    numbers: Any,
    *,
    allow_subset: bool = False,
    allow_equals: bool = True,
    unicode_operators: bool = True,
    limits: CountdownLimits = CountdownLimits(),
) -> CountdownVerdict:
    """Judge ``equation`` for the task (``target``, ``numbers``). See the module docstring.

    ``target`` and ``numbers`` may be raw column values (see :func:`parse_target`,
    :func:`parse_numbers`).

    Raises:
        GoldError: the task itself is unusable (never raised for a bad *equation*).
    """
    goal = target if isinstance(target, Fraction) else parse_target(target)
    given = numbers if isinstance(numbers, tuple) else parse_numbers(numbers)
    used: list[int] | None = None
    try:
        text = _prescan(equation, limits, unicode_operators)
        claimed: int | None = None
        if "=" in text:
            if not allow_equals:
                raise _Reject("not_an_equation", "'=' is not allowed (write only the expression)")
            text, claimed = _split_equals(text)
        tree, used = _parse(text, limits.max_depth)
        mismatch = _numbers_match(used, given, allow_subset)
        if mismatch:
            return CountdownVerdict(False, "numbers_mismatch", mismatch, None, tuple(used))
        value = _evaluate(tree)
        if claimed is not None and claimed != goal:
            return CountdownVerdict(False, "wrong_value", f"claims {claimed}, but the target is {goal}",
                                    value, tuple(used), {"claimed": claimed})
        if value != goal:
            return CountdownVerdict(False, "wrong_value", f"evaluates to {value}, not {goal}", value, tuple(used))
        return CountdownVerdict(True, "correct", "", value, tuple(used))
    except _Reject as exc:
        return CountdownVerdict(False, exc.reason, exc.message, None, tuple(used) if used is not None else None)
