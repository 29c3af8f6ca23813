"""Plain numbers compared exactly, in-process, without sympy.

:func:`as_plain_number` reads ``42``, ``-3.50``, ``1,000``, ``1e-7``, ``3/4``, ``\\frac{3}{4}``,
``1\\frac12`` as an exact :class:`fractions.Fraction` (plus the number of decimals written);
:func:`compare_plain_numbers` states the rounding rules; :func:`comma_decimal` reads a decimal
comma (``1,22``) when the other side is written with a decimal point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rlvr.math.normalise import compact

__all__ = ["PlainNumber", "as_plain_number", "comma_decimal", "compare_plain_numbers"]


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_COMMA_SPACE = re.compile(r",\s")
_COMMA_DECIMAL = re.compile(r"([+-]?\d+),(\d+)")
_SLASH = re.compile(r"([+-]?)(\d{1,50})/(\d{1,50})")
_LATEX_FRAC = re.compile(r"([+-]?)\\frac\{([+-]?\d{1,50})\}\{(\d{1,50})\}")
_LATEX_FRAC_SHORT = re.compile(r"([+-]?)\\frac(\d)(\d)")
_MIXED = re.compile(r"([+-]?)(\d{1,20})(?:\\frac\{(\d{1,20})\}\{(\d{1,20})\}|\\frac(\d)(\d)| (\d{1,20})/(\d{1,20}))")


@dataclass(frozen=True)
class PlainNumber:
    """An exactly-known number and, when it was written as a decimal, its number of decimals."""

    value: Fraction
    decimals: int | None  # None: written as an integer or a fraction


def as_plain_number(s: str) -> PlainNumber | None:
    """The exact value of a plain numeric answer (``42``, ``-3.50``, ``1,000``, ``1e-7``,
    ``3/4``, ``\\frac{3}{4}``), or ``None`` for anything else (symbols, ``\\sqrt``, units...)."""
    m = _MIXED.fullmatch(s.strip())
    if m:  # mixed number: 1\frac12, 2 5/8
        sign, whole, *parts = m.groups()
        num, den = [x for x in parts if x is not None]
        if int(den) == 0 or int(num) >= int(den):
            return None
        value = int(whole) + Fraction(int(num), int(den))
        return PlainNumber(-value if sign == "-" else value, None)
    t = compact(s)
    if not t or len(t) > 120:
        return None
    if _GROUPED.fullmatch(t) and not _COMMA_SPACE.search(s):
        t = t.replace(",", "")
    if _DECIMAL.fullmatch(t):
        mantissa = re.split(r"[eE]", t)[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else None
        try:
            return PlainNumber(Fraction(t), decimals)
        except (ValueError, ZeroDivisionError):
            return None
    for pattern in (_SLASH, _LATEX_FRAC, _LATEX_FRAC_SHORT):
        m = pattern.fullmatch(t)
        if m:
            sign, num, den = m.groups()
            if int(den) == 0:
                return None
            value = Fraction(int(num), int(den))
            return PlainNumber(-value if sign == "-" else value, None)
    return None


def comma_decimal(s: str) -> PlainNumber | None:
    """``1,22`` / ``0,111`` / ``1000,99`` read with a decimal comma (never ``1,000``: grouping)."""
    t = compact(s)
    m = _COMMA_DECIMAL.fullmatch(t)
    if m is None or _GROUPED.fullmatch(t) or _COMMA_SPACE.search(s):
        return None
    return PlainNumber(Fraction(f"{m.group(1)}.{m.group(2)}"), len(m.group(2)))


def _has_finite_decimal(value: Fraction) -> bool:
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def _significant(value: Fraction, decimals: int) -> int:
    digits = str(abs(value.numerator * 10 ** decimals // value.denominator)).lstrip("0")
    return len(digits)


def compare_plain_numbers(gold: PlainNumber, pred: PlainNumber, float_rounding: int = 6,
                          approx_decimals: bool = True) -> bool:
    """Exact equality, except that a decimal matches an exact fraction without a finite decimal
    form (``0.333333`` for ``1/3``) when it is a rounding of it: with at least
    ``float_rounding`` decimals, or (``approx_decimals``) with at least 3 significant digits
    and within one unit of its last digit. Two decimals, or a decimal and a fraction with a
    finite decimal form, must be exactly equal."""
    if gold.value == pred.value:
        return True
    if gold.decimals is not None and pred.decimals is not None:
        return False
    for dec, exact in ((gold, pred), (pred, gold)):
        if dec.decimals is None or exact.decimals is not None or _has_finite_decimal(exact.value):
            continue
        diff = abs(dec.value - exact.value)
        if dec.decimals >= float_rounding and diff <= Fraction(1, 2 * 10 ** dec.decimals):
            return True
        if approx_decimals and _significant(dec.value, dec.decimals) >= 3 and diff <= Fraction(1, 10 ** dec.decimals):
            return True
    return False
