"""Is an extracted maths answer equivalent to the reference? (math-verify + sympy, hardened)

:class:`MathVerifier` is what rewards use. For each (gold, answer) pair it:

1. **normalises both sides with the same function** (:func:`normalise_answer`: drops ``$``,
   ``\\(...\\)``, ``\\left``/``\\right``, spacing macros, ``\\dfrac``/``\\tfrac``, newlines);
2. **fast paths, in-process, no sympy**: identical normalised strings are ``correct``; when
   both sides are plain numbers (integers, decimals, ``1,000``, ``a/b``, ``\\frac{a}{b}``,
   ``1e-7``) they are compared exactly with :class:`fractions.Fraction` (see
   :func:`compare_plain_numbers` for the rounding rules); intervals/tuples of plain numbers;
   multiple-choice letters; a plain number against a reference whose value (or "has
   variables") an earlier sympy comparison reported;
3. **verdict cache** on (normalised gold, normalised answer, config), an LRU shared by the
   threads of the process;
4. **sympy path in a worker process** (:func:`judge_pair` run by a
   :class:`~rlvr.verifiers.deadline_pool.DeadlinePool`): the gold is parsed once per worker
   (LRU), both sides are wrapped in ``$...$`` (math-verify reads LaTeX only inside math
   delimiters) and parsed LaTeX-only when they contain LaTeX, then
   ``verify(gold, answer, strict=True, allow_set_relation_comp=False)``: **gold first**
   (preceded by a cheap numeric proof of inequality, :func:`_numeric_mismatch`, that spares
   ``simplify`` on most wrong answers).
   A ``True`` verdict between two numbers passes a **numeric guard** at 50 digits (exact
   values must agree to 1e-30 relative; small decimals to ``10**-float_rounding`` relative),
   which removes known false positives (``1/2004!`` vs ``1/2006!``, ``1e-7`` vs ``2e-7``).
   math-verify's own ``signal.alarm`` timeouts are disabled; the parent enforces the deadline
   by killing and respawning the worker.

Verdict statuses: ``correct``, ``wrong``, ``gold_unparseable`` (the reference cannot be
parsed: never rewarded), ``timeout`` (the worker was killed at the deadline), ``error``
(the worker crashed or raised: a bug or resource exhaustion).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from rlvr.verifiers.math_lookalikes import fold_lookalikes

__all__ = [
    "MathVerifier",
    "Verdict",
    "VerifyConfig",
    "as_plain_number",
    "judge_pair",
    "normalise_answer",
]


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class VerifyConfig:
    """Comparison policy (hashable: part of every cache key).

    Attributes:
        float_rounding: decimals math-verify rounds floats to before comparing (6).
        numeric_precision: sympy evaluation precision (15).
        strict: math-verify ``strict`` (variables must match; ``x=1`` is not ``1`` for an
            equation gold). Anti-hacking: keep True.
        allow_set_relation_comp: accept an interval for an inequality gold and vice versa.
        numeric_guard: re-check ``True`` numeric verdicts at 50 digits.
        list_order_matters: when True, ``4, 10, -2`` is not ``10, 4, -2`` (bare comma lists of
            scalars are compared element by element, in order; Hendrycks' MATH grader policy).
            Default False: a bare list is the set of solutions (math-verify's policy). Lists
            of tuples and braced sets ``\\{...\\}`` are always unordered.
        approx_decimals: accept a decimal with >= 3 significant digits for an exact value
            without a finite decimal form, to one unit of its last digit (``1.732`` for
            ``\\sqrt 3``); integers and finite decimals must always be exact.
    """

    float_rounding: int = 6
    numeric_precision: int = 15
    strict: bool = True
    allow_set_relation_comp: bool = False
    numeric_guard: bool = True
    list_order_matters: bool = False
    approx_decimals: bool = True


@dataclass(frozen=True)
class Verdict:
    """Outcome of one comparison. ``status`` is one of ``correct``, ``wrong``,
    ``gold_unparseable``, ``timeout``, ``error``; ``path`` says which stage decided
    (``string``, ``numeric``, ``sympy``, ``guard``, ``cache:<path>``, ``deadline``, ``worker``)."""

    status: str
    reason: str = ""
    path: str = ""
    seconds: float = 0.0  #: worker time of the sympy comparison (0 for fast paths and cache hits)

    @property
    def correct(self) -> bool:
        return self.status == "correct"


# --------------------------------------------------------------------------- normalisation
_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad(?![a-zA-Z])|~")
_CONJUNCTION = re.compile(r"\s*(?:\\text\{\s*(?:and|or)\s*\}|(?<![A-Za-z\\])(?:and|or)(?![A-Za-z]))\s*")
_DOUBLE_COMMA = re.compile(r"(?:\s*,\s*){2,}")
_DOLLAR_ITEM = re.compile(r"\$([^$]+)\$")
_DOLLAR_LIST = re.compile(r"\$[^$]+\$(?:\s*(?:,|and|or)\s*\$[^$]+\$)+")
_THOUSANDS = re.compile(r"(?<=\d)(?:,\\!\s*|\{,\}\s*)(?=\d)")
_NEG_SPACE = re.compile(r"(?<!\\)\\!")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])")
_FRAC_VARIANTS = re.compile(r"\\[dt]frac(?![a-zA-Z])")
_DISPLAY = re.compile(r"\\(?:displaystyle|textstyle)(?![a-zA-Z])")
_WS = re.compile(r"\s+")


def normalise_answer(s: str) -> str:
    """Canonical text of an answer, applied identically to gold and prediction.

    Unicode look-alikes of minus signs, digits, fullwidth punctuation and spaces are folded to
    ASCII first (:func:`~rlvr.verifiers.math_lookalikes.fold_lookalikes`; letters never are).
    Drops math delimiters (``$``, ``\\(`` ``\\)``, ``\\[`` ``\\]``) and escaped dollars,
    ``\\left``/``\\right``, ``\\displaystyle``, LaTeX spacing; ``\\dfrac``/``\\tfrac`` become
    ``\\frac``; newlines become spaces (inline math cannot span lines); runs of whitespace
    collapse to one space; ``\\!`` is dropped; a trailing full stop is dropped. A text that
    still holds math delimiters or boxes after the outer ones are removed (a sentence with
    inline maths) is only stripped.
    """
    s = fold_lookalikes(s).strip()
    s = s.replace("\\$", "")
    if _DOLLAR_LIST.fullmatch(s):  # "$1$ and $2$ and $3$" -> "1, 2, 3"
        s = ", ".join(x.strip() for x in _DOLLAR_ITEM.findall(s))
    if s.startswith("$$") and s.endswith("$$") and len(s) >= 4:
        s = s[2:-2]
    elif s.startswith("$") and s.endswith("$") and len(s) >= 2:
        s = s[1:-1]
    if (s.startswith("\\(") and s.endswith("\\)")) or (s.startswith("\\[") and s.endswith("\\]")):
        s = s[2:-2]
    if _HAS_DELIMITERS.search(s):
        # a text with math inside (several $...$, boxes): math-verify finds the maths itself;
        # its layout (newlines) matters to that search, so it is left as written
        return s.strip()
    s = _DISPLAY.sub("", s)
    s = _THOUSANDS.sub(",", s)  # 11,\!111 and 11{,}111 are digit grouping
    s = _NEG_SPACE.sub("", s)
    s = _LEFT_RIGHT.sub("", s)
    s = _FRAC_VARIANTS.sub(r"\\frac", s)
    s = _SPACING.sub(" ", s)
    s = _WS.sub(" ", s).strip()
    if _CONJUNCTION.search(s) and not _PROSE.search(_CONJUNCTION.sub(", ", s)):
        s = _DOUBLE_COMMA.sub(", ", _CONJUNCTION.sub(", ", s)).strip(" ,")
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    return s


def _compact(s: str) -> str:
    return s.replace(" ", "").replace("{,}", "")


# --------------------------------------------------------------------------- plain numbers
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_COMMA_SPACE = re.compile(r",\s")
_COMMA_DECIMAL = re.compile(r"([+-]?\d+),(\d+)")


def comma_decimal(s: str) -> PlainNumber | None:
    """``1,22`` / ``0,111`` / ``1000,99`` read with a decimal comma (never ``1,000``: grouping)."""
    t = _compact(s)
    m = _COMMA_DECIMAL.fullmatch(t)
    if m is None or _GROUPED.fullmatch(t) or _COMMA_SPACE.search(s):
        return None
    return PlainNumber(Fraction(f"{m.group(1)}.{m.group(2)}"), len(m.group(2)))
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
    t = _compact(s)
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


_PLAIN_TUPLE = re.compile(r"([(\[])([^()\[\]{}\\]*,[^()\[\]{}\\]*)([)\]])")
_INFINITY = re.compile(r"[+-]?\\infty")


def _plain_tuple(s: str) -> tuple[str, list[PlainNumber | str], str] | None:
    m = _PLAIN_TUPLE.fullmatch(s.replace("\\infty", "INF"))
    if m is None:
        return None
    items: list[PlainNumber | str] = []
    for part in m.group(2).split(","):
        part = part.strip()
        if part in ("INF", "+INF", "-INF"):
            items.append(part.lstrip("+"))
            continue
        number = as_plain_number(part)
        if number is None or number.decimals is not None:
            return None  # decimals: rounding rules belong to the sympy path
        items.append(number)
    return m.group(1), items, m.group(3)


def _plain_tuple_verdict(gold: str, answer: str, cfg: "VerifyConfig") -> Verdict | None:
    """Intervals, points and tuples of exact plain numbers (``[-5, 7)``, ``(3, \\infty)``,
    ``(1, 2, 3)``) compared in-process: the same brackets and equal elements in order, or wrong."""
    g, a = _plain_tuple(gold), _plain_tuple(answer)
    if (g is None) != (a is None) and as_plain_number(answer if g is not None else gold) is not None:
        return Verdict("wrong", "a number for an interval/tuple (or the reverse)", "tuple")
    if g is None or a is None:
        return None
    if cfg.allow_set_relation_comp:
        return None
    same = (g[0], g[2], len(g[1])) == (a[0], a[2], len(a[1])) and all(
        (x == y) if isinstance(x, str) or isinstance(y, str) else x.value == y.value for x, y in zip(g[1], a[1]))
    return Verdict("correct" if same else "wrong", "same interval/tuple" if same else "different interval/tuple", "tuple")


_GROUPING_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _is_braced_set(s: str) -> bool:
    return s.startswith("\\{") and s.endswith("\\}") and len(s) > 4


def list_elements(s: str) -> list[str]:
    """The elements of a bare list ``1, 1, 2`` or a braced set ``\\{1, 1, 2\\}`` (top-level
    commas; ``1,000`` digit grouping is not a separator); ``[s]`` for anything else."""
    inner = s[2:-2] if _is_braced_set(s) else s
    return _split_top_level(_GROUPING_COMMA.sub("", inner))


def _element_key(part: str) -> object:
    number = as_plain_number(part)
    return number.value if number is not None else _compact(part)


def repeated_elements_verdict(gold: str, answer: str) -> Verdict | None:
    """Multisets: an answer list that repeats an element (``2, 2``, ``1, 1, 2``, ``\\{2, 2\\}``)
    is not the list without the repeats. Against a set-valued reference (``\\{1, 2\\}``)
    repeats are harmless (a set is a set); against a value, list or tuple the answer must have
    as many elements as the reference. A reference listing several tuples (``(1,2), (3,4)``) is a
    set of solutions too. ``None``: no repeats, the counts agree, or the answer is not a bare
    list of maths values (text with math delimiters or prose: math-verify reads it)."""
    if _is_braced_set(gold) or _HAS_DELIMITERS.search(answer) or _PROSE.search(answer):
        return None
    parts = list_elements(answer)
    if len(parts) < 2:
        return None
    keys = [_element_key(p) for p in parts]
    if len(set(keys)) == len(keys):
        return None
    gold_parts = list_elements(gold)
    if len(gold_parts) == len(parts) or (len(gold_parts) > 1 and all(p[:1] in "([" for p in gold_parts)):
        return None
    return Verdict("wrong", "the answer repeats an element: a list with repeats is not the set without them", "multiset")


_BARE_CHOICE = re.compile(r"\(?([A-E])\)?")
_LABELLED_CHOICE = re.compile(r"\(?([A-E])\)?(?:[.:)]\s?.*)?", re.DOTALL)
_TEXT_CHOICE = re.compile(r"\\text(?:bf)?\{\(?([A-E])\)?\}")


def _choice_letter(s: str, *, bare: bool) -> str | None:
    t = _TEXT_CHOICE.sub(r"\1", s.strip())
    m = (_BARE_CHOICE if bare else _LABELLED_CHOICE).fullmatch(t)
    return m.group(1) if m else None


def _mcq_choices(gold: str, answer: str) -> tuple[str, str] | None:
    """Multiple choice: one side is a bare option letter (``C``, ``(C)``), the other an option
    letter optionally followed by its text (``C. x = 42``). Upper-case A-E only, so that the
    variable ``a`` or ``e`` is never read as an option."""
    g_bare, a_bare = _choice_letter(gold, bare=True), _choice_letter(answer, bare=True)
    if g_bare is None and a_bare is None:
        return None
    g = g_bare or _choice_letter(gold, bare=False)
    a = a_bare or _choice_letter(answer, bare=False)
    if g is None or a is None:
        return None
    return g, a


# --------------------------------------------------------------------------- sympy path (worker side)
_LATEX_HINT = re.compile(r"[\\^_{}]")
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}(?![A-Za-z])")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f]")
_BROKEN_INLINE = re.compile(r"(?<!\$)\$(?!\$)[^$]*\n[^$]*\$|\\\([^)]*\n[^)]*\\\)")
_TEXT_MACRO = re.compile(r"\\(?:text|mathrm|textbf|mbox|operatorname)\{[^{}]*\}")
_HAS_DELIMITERS = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")
_UNIT_WORDS = re.compile(r"^[+-]?\d[\d,. ]*(?:\s+[A-Za-z]+|[A-Za-z]{3,})(?:\s+[A-Za-z]+)?(?:\^\{?\d\}?)?$")
_ATTACHED_LETTERS = re.compile(r"^[+-]?\d+(?:\.\d+)?[A-Za-z]{1,2}$")
_SPACED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?$")
_gold_cache: "OrderedDict[tuple[str, bool], list[Any]]" = OrderedDict()
_GOLD_CACHE_SIZE = 4096


def _parse(text: str, *, is_gold: bool) -> list[Any]:
    """math-verify parse of a normalised answer, wrapped in ``$...$`` (no internal timeout:
    the caller runs this under a kill-able deadline)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse
    from latex2sympy2_extended.latex2sympy2 import NormalizationConfig

    number = as_plain_number(text) if not is_gold else None
    if number is not None and number.decimals is None:
        # an integer or a fraction: the exact value, without a LaTeX parse
        import sympy

        return [sympy.Rational(number.value.numerator, number.value.denominator), text]
    if _HAS_DELIMITERS.search(text):
        # the answer carries its own math delimiters or boxes: let math-verify find them
        # math-verify's own search (LaTeX, then plain expressions). An inline math span broken
        # across lines is malformed: no loose number fallback then (LaTeX only)
        configs = [LatexExtractionConfig()] if _BROKEN_INLINE.search(text) else [LatexExtractionConfig(), ExprExtractionConfig()]
        return parse(text, extraction_config=configs, parsing_timeout=None, raise_on_error=False)
    if (_PROSE.search(_TEXT_MACRO.sub(" ", text)) or _NON_ASCII_LETTER.search(text)) and not _UNIT_WORDS.match(text):
        # words, not maths ("Answer is forty two"): let math-verify look for maths in the text as
        # it stands; wrapping prose in $...$ would read it as a product of letters
        return parse(text, parsing_timeout=None, raise_on_error=False)
    if _ATTACHED_LETTERS.match(text):
        # "10m", "10cm": a product with letters, not a number with a unit (units need a space or
        # a word: "10 cm", "10 weeks")
        norm = NormalizationConfig(basic_latex=True, units=False, malformed_operators=True, nits=True,
                                   boxed="all", equations=False)
        return parse(f"${text}$", extraction_config=[LatexExtractionConfig(normalization_config=norm)],
                     parsing_timeout=None, raise_on_error=False)
    if _SPACED_NUMBER.match(text) or _UNIT_WORDS.match(text):
        configs: list[Any] = [ExprExtractionConfig()]
        target = text.replace(" ", "") if _SPACED_NUMBER.match(text) else text
    else:
        norm = NormalizationConfig(basic_latex=True, units=True, malformed_operators=True, nits=True,
                                   boxed="all", equations=False)
        latex = LatexExtractionConfig(boxed_match_priority=0, normalization_config=norm)
        configs = [latex] if _LATEX_HINT.search(text) else [latex, ExprExtractionConfig()]
        target = f"${text}$"
    return parse(target, extraction_config=configs, parsing_timeout=None, raise_on_error=False)


def _parsed_gold(gold: str) -> list[Any]:
    key = (gold, True)
    hit = _gold_cache.get(key)
    if hit is not None:
        _gold_cache.move_to_end(key)
        return hit
    parsed = _parse(gold, is_gold=True)
    _gold_cache[key] = parsed
    if len(_gold_cache) > _GOLD_CACHE_SIZE:
        _gold_cache.popitem(last=False)
    return parsed


def _numeric_guard(gold: list[Any], pred: list[Any], cfg: VerifyConfig) -> bool | None:
    """False when two numbers math-verify called equal differ at 50 digits; None when the guard
    does not apply (not both plain numbers)."""
    import sympy

    g = next((x for x in gold if isinstance(x, sympy.Expr)), None)
    p = next((x for x in pred if isinstance(x, sympy.Expr)), None)
    if g is None or p is None or g.free_symbols or p.free_symbols:
        return None
    try:
        a = sympy.N(g, 50)
        b = sympy.N(p, 50)
        if not (a.is_number and b.is_number):
            return None
        diff = abs(a - b)  # sympy Floats: no underflow at 1e-5749, unlike Python floats
        scale = max(abs(a), abs(b))
        if not (diff.is_real and scale.is_real):
            return None
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        return None
    if scale == 0:
        return diff == 0
    has_float = bool(g.atoms(sympy.Float) or p.atoms(sympy.Float))
    if not has_float:
        return bool(diff <= sympy.Float("1e-30", 50) * scale)
    if scale < sympy.Float("1e-3"):
        return bool(diff <= sympy.Float(10, 50) ** (-cfg.float_rounding) * scale)
    return None


_OPEN_CLOSE = {"(": ")", "[": "]"}


def _wrapped(text: str) -> bool:
    """The first bracket closes at the very end: ``(1, 2)`` yes, ``(1,2), (3,4)`` no."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def _bracketed_parts(gold_text: str, pred_text: str) -> tuple[list[str], list[str]] | None:
    """Tuples, points and intervals written with the same brackets on both sides, split into
    their elements (compared in order); None otherwise."""
    g, p = gold_text.strip(), pred_text.strip()
    if len(g) < 2 or len(p) < 2 or g[0] != p[0] or g[-1] != p[-1]:
        return None
    if g[0] not in _OPEN_CLOSE or g[-1] not in _OPEN_CLOSE.values() or not (_wrapped(g) and _wrapped(p)):
        return None
    g_parts, p_parts = _split_top_level(g[1:-1]), _split_top_level(p[1:-1])
    if len(g_parts) < 2 or len(g_parts) != len(p_parts):
        return None
    return g_parts, p_parts


def _split_top_level(text: str) -> list[str]:
    """``a, b, c`` -> parts, splitting only at commas outside brackets and braces; a text that
    is itself wrapped in brackets (a tuple, interval, set) is one part."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p] if len(parts) > 1 else [text]


_DECIMAL_LITERAL = re.compile(r"\d*\.\d+|\d+\.\d*")


def _significant_digits(text: str) -> int:
    best = 0
    for lit in _DECIMAL_LITERAL.findall(text):
        digits = lit.replace(".", "").lstrip("0")
        best = max(best, len(digits))
    return best


def _approx_equal(gold: list[Any], pred: list[Any], gold_text: str, pred_text: str) -> bool:
    """A decimal with >= 3 significant digits matches an exact value that has no finite decimal
    form (``1.732`` for ``\\sqrt3``, ``125.663`` for ``40\\pi``, ``0.333`` for ``1/3``) when
    it agrees to one unit of its last written digit. Exact values with a finite decimal form
    (integers, ``1/4``) must be given exactly."""
    import sympy

    g = next((x for x in gold if isinstance(x, sympy.Expr)), None)
    p = next((x for x in pred if isinstance(x, sympy.Expr)), None)
    if g is None or p is None or g.free_symbols or p.free_symbols:
        return False
    g_float, p_float = bool(g.atoms(sympy.Float)), bool(p.atoms(sympy.Float))
    if g_float == p_float:
        return False
    exact, approx, approx_text = (p, g, gold_text) if g_float else (g, p, pred_text)
    digits = _significant_digits(approx_text)
    if digits < 3:
        return False
    try:
        value = sympy.N(exact, 50)
        if not value.is_real or value == 0:
            return False
        if exact.is_rational:
            den = sympy.Rational(exact).q
            while den % 2 == 0:
                den //= 2
            while den % 5 == 0:
                den //= 5
            if den == 1:  # finite decimal form: must be exact
                return False
        rel = abs(sympy.N(approx, 50) - value) / abs(value)
        return bool(rel <= sympy.Float(10, 50) ** (1 - digits))
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        return False


def _numeric_mismatch(gold: list[Any], pred: list[Any], gold_text: str, pred_text: str, cfg: VerifyConfig) -> bool:
    """Cheap proof of inequality before math-verify's ``simplify``: two exact expressions (no
    decimals, relations, sets, matrices, functions or ``%``) that differ at 30 digits at two
    rational points (or as constants) are not equivalent under any rule math-verify applies.
    ``False`` means "not proven different" (math-verify then decides)."""
    import sympy
    from sympy.core.function import AppliedUndef

    if not cfg.strict or "%" in gold_text or "%" in pred_text:
        return False
    g, p = gold[0] if gold else None, pred[0] if pred else None
    if not (isinstance(g, sympy.Expr) and isinstance(p, sympy.Expr)):
        return False
    if isinstance(g, sympy.MatrixBase) or isinstance(p, sympy.MatrixBase):
        return False
    symbols = g.free_symbols | p.free_symbols
    if {sym.name for sym in g.free_symbols} != {sym.name for sym in p.free_symbols}:
        return False  # different letters: strictness and text answers are math-verify's call
    if any(sym.name in ("i", "e") or len(sym.name.strip("_{}0123456789")) > 1 for sym in symbols):
        return False  # imaginary unit / Euler's number readings; words read as symbols
    for expr in (g, p):
        if expr.atoms(sympy.Float) or expr.atoms(AppliedUndef) or expr.has(sympy.zoo, sympy.nan, sympy.oo):
            return False
    points = [dict.fromkeys(symbols)] if not symbols else [
        {sym: sympy.Rational(7 + 3 * k, 11 + 2 * k) * (k + 1) for k, sym in enumerate(sorted(symbols, key=str))},
        {sym: sympy.Rational(-5 - 2 * k, 13 + k) for k, sym in enumerate(sorted(symbols, key=str))},
    ]
    try:
        for point in points:
            a = sympy.N(g.subs(point) if symbols else g, 30)
            b = sympy.N(p.subs(point) if symbols else p, 30)
            if not (a.is_number and b.is_number) or a.has(sympy.zoo, sympy.nan) or b.has(sympy.zoo, sympy.nan):
                return False
            diff = abs(a - b)
            scale = max(abs(a), abs(b), sympy.Float(1e-30))
            if not (diff.is_real and scale.is_real):
                return False
            if not bool(diff > sympy.Float("1e-20", 30) * scale):
                return False  # agree here: let math-verify decide
        return True
    except (TypeError, ValueError, ArithmeticError, OverflowError, AttributeError):
        return False


def _verify_parsed(gold: list[Any], pred: list[Any], gold_text: str, pred_text: str, cfg: VerifyConfig) -> tuple[bool, str]:
    from math_verify import verify

    if _numeric_mismatch(gold, pred, gold_text, pred_text, cfg):
        return False, "sympy"
    ok = verify(gold, pred, float_rounding=cfg.float_rounding, numeric_precision=cfg.numeric_precision,
                strict=cfg.strict, allow_set_relation_comp=cfg.allow_set_relation_comp,
                timeout_seconds=None, raise_on_error=False)
    if ok:
        if cfg.numeric_guard and _numeric_guard(gold, pred, cfg) is False:
            return False, "guard"
        return True, "sympy"
    if cfg.approx_decimals and _approx_equal(gold, pred, gold_text, pred_text):
        return True, "approx"
    if _equal_with_imaginary_i(gold, pred):
        return True, "imaginary_i"
    if _same_function_rhs(gold, pred, cfg):
        return True, "assignment"
    return False, "sympy"


def _equal_with_imaginary_i(gold: list[Any], pred: list[Any]) -> bool:
    """``1+2i`` vs ``i(2-i)``: when both sides' only symbol is ``i``, read it as the imaginary unit."""
    import sympy

    g = next((x for x in gold if isinstance(x, sympy.Expr)), None)
    p = next((x for x in pred if isinstance(x, sympy.Expr)), None)
    if g is None or p is None:
        return False
    if {s.name for s in g.free_symbols} != {"i"} or {s.name for s in p.free_symbols} != {"i"}:
        return False
    gi = g.subs({s: sympy.I for s in g.free_symbols})
    pi = p.subs({s: sympy.I for s in p.free_symbols})
    return bool(sympy.simplify(sympy.expand(gi - pi)) == 0)


def _same_function_rhs(gold: list[Any], pred: list[Any], cfg: VerifyConfig) -> bool:
    """``f(x) = 2x+3`` vs ``y = 2x+3``: both sides define a function/variable (left side a lone
    symbol or ``f(x)``); compare the right sides. ``x = 2`` vs ``y = 2`` stays wrong when
    the left sides are plain different symbols."""
    import sympy
    from math_verify import verify

    g = next((x for x in gold if isinstance(x, sympy.Eq)), None)
    p = next((x for x in pred if isinstance(x, sympy.Eq)), None)
    if g is None or p is None:
        return False
    g_lhs, p_lhs = g.lhs, p.lhs
    is_call = lambda e: isinstance(e, sympy.Function) or (isinstance(e, sympy.Mul) and len(e.args) == 2  # noqa: E731
                                                           and all(isinstance(a, sympy.Symbol) for a in e.args))
    if not ((is_call(g_lhs) and isinstance(p_lhs, sympy.Symbol)) or (is_call(p_lhs) and isinstance(g_lhs, sympy.Symbol))):
        return False
    if not g.rhs.free_symbols or g.rhs.free_symbols != p.rhs.free_symbols:
        return False
    return bool(verify(g.rhs, p.rhs, float_rounding=cfg.float_rounding, numeric_precision=cfg.numeric_precision,
                       strict=cfg.strict, timeout_seconds=None))


_gold_values: "OrderedDict[str, float | str | None]" = OrderedDict()
SYMBOLIC = "symbolic"


def gold_value(gold_text: str) -> float | str | None:
    """The reference as a real number when it is one constant (``5\\sqrt{2}`` -> 7.07...);
    ``"symbolic"`` for a single expression with variables (``x^2+1``: never equal to a plain
    number under strict comparison); else ``None`` (sets, relations, huge or complex values).
    Cached per worker."""
    if gold_text in _gold_values:
        return _gold_values[gold_text]
    import sympy

    value: float | str | None = None
    parsed = _parsed_gold(gold_text)
    expr = parsed[0] if parsed else None
    if (isinstance(expr, sympy.Expr) and not isinstance(expr, sympy.MatrixBase) and expr.free_symbols
            and "%" not in gold_text and not any(sym.name in ("i", "e") for sym in expr.free_symbols)):
        value = SYMBOLIC
    elif isinstance(expr, sympy.Expr) and not expr.free_symbols and "%" not in gold_text:
        try:
            number = sympy.N(expr, 20)
            if number.is_real and number.is_finite:
                value = float(number)
        except (TypeError, ValueError, ArithmeticError, OverflowError):
            value = None
    _gold_values[gold_text] = value
    if len(_gold_values) > _GOLD_CACHE_SIZE:
        _gold_values.popitem(last=False)
    return value


def judge_pair(task: tuple[str, str, VerifyConfig]) -> tuple[str, str, str, float | str | None]:
    """Worker entry point: ``(normalised gold, normalised answer, config)`` ->
    ``(status, reason, path, gold value)`` (see :func:`gold_value`). Runs math-verify with its
    own timeouts disabled."""
    status, reason, path = _judge_pair(task)
    value = gold_value(task[0]) if status != "gold_unparseable" else None
    return status, reason, path, value


def _judge_pair(task: tuple[str, str, VerifyConfig]) -> tuple[str, str, str]:
    gold_text, pred_text, cfg = task
    gold = _parsed_gold(gold_text)
    if not gold:
        return ("gold_unparseable", f"math-verify cannot parse the reference {gold_text[:80]!r}", "sympy")
    g_parts, p_parts = _split_top_level(gold_text), _split_top_level(pred_text)
    bracketed = _bracketed_parts(gold_text, pred_text)
    if bracketed is not None:
        g_parts, p_parts = bracketed
    scalar_list = not any(part[:1] in "([{" or part.startswith("\\{") for part in g_parts + p_parts)
    ordered = bracketed is not None or (cfg.list_order_matters and scalar_list)
    if len(g_parts) > 1 and len(g_parts) == len(p_parts) and (ordered or scalar_list):
        # element by element, in order: decisive when order matters; otherwise a match in the
        # written order is enough (it also lets approximate elements match), and a mismatch
        # falls through to math-verify's unordered comparison below
        for g_part, p_part in zip(g_parts, p_parts):
            g_parsed, p_parsed = _parsed_gold(g_part), _parse(p_part, is_gold=False)
            if not g_parsed or not p_parsed:
                break  # not a list of maths values: judge the whole text below
            if not _verify_parsed(g_parsed, p_parsed, g_part, p_part, cfg)[0]:
                if ordered:
                    return ("wrong", "list element differs (order matters)", "list")
                break
        else:
            return ("correct", "every list element is equivalent, in order", "list")
    pred = _parse(pred_text, is_gold=False)
    if not pred:
        return ("wrong", "the answer does not parse as maths", "sympy")
    ok, path = _verify_parsed(gold, pred, gold_text, pred_text, cfg)
    if ok:
        return ("correct", "equivalent" if path == "sympy" else "equal to the written precision", path)
    if path == "guard":
        return ("wrong", "equal at low precision only (numeric guard)", "guard")
    return ("wrong", "not equivalent", "sympy")


def _quiet_math_verify() -> None:
    """Worker initialiser: import the heavy modules once and silence math-verify's
    "timeout disabled" warnings (the deadline is enforced by the parent)."""
    import logging

    import math_verify  # noqa: F401  (import cost paid at worker start, not in the first task)
    import sympy  # noqa: F401

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)


def _start_worker() -> None:
    """Worker initialiser: :func:`_quiet_math_verify`, then a few comparisons of each common
    shape, so that the parser's and sympy's first-use costs (~0.5 s) are paid at start-up, not
    by the first task (a cold first task would look slow and be parked)."""
    _quiet_math_verify()
    cfg = VerifyConfig()
    for gold, answer in (("x^2+2x+1", "(x+1)^2"), ("\\sqrt{8}", "2\\sqrt{2}"), ("(1, \\infty)", "(1, \\infty)"),
                         ("y = 2x+3", "y=3+2x"), ("\\frac{\\pi}{3}", "1.047"), ("1, 2", "2, 1")):
        try:
            judge_pair((gold, answer, cfg))
        except Exception:  # a warm-up failure must not stop the worker; the real task will report
            pass


# --------------------------------------------------------------------------- parent side
_TASK_HANDLER = "rlvr.verifiers.math_equivalence:judge_pair"
_WORKER_INIT = "rlvr.verifiers.math_equivalence:_start_worker"


class MathVerifier:
    """Gold-first maths equivalence with fast paths, caches and a kill-able deadline.

    Args:
        config: comparison policy (:class:`VerifyConfig`).
        timeout: seconds one sympy comparison may take before its worker is killed (``None``
            or ``0``: no deadline; the comparison still runs in a worker).
        batch_budget: wall seconds one :meth:`verify_many` call may spend on sympy work in
            all; what is not settled then is ``timeout`` (not cached: it was never judged to
            the end). ``None`` (default): ``max(2 * timeout, 0.25 s * comparisons / workers)``,
            i.e. twice the deadline for a GRPO step's batch, growing with very large (offline)
            batches so that they are never cut short by a budget meant for one step (see
            :meth:`budget_for`); ``0``: no budget.
        workers: comparisons run at once, in as many worker processes (shared by every
            verifier of the process with the same ``workers``/``memory_limit_mb``). A
            comparison that runs more than ``min(0.5 s, timeout / 4)`` while others wait is
            parked and resumed later, so hostile answers cannot hold a batch behind them
            (up to ``max_parked`` parked processes per call besides the ``workers``).
        in_process: run the sympy path in this process without any deadline (debugging,
            platforms without subprocesses). Off-main-thread this has no protection at all.
        cache_size: verdicts kept in the LRU.
        memory_limit_mb: address-space limit of each worker (``RLIMIT_AS``); ``None``: none.

    Thread-safe. Picklable (caches and the pool are not pickled; they are per process).
    """

    def __init__(self, config: VerifyConfig | None = None, *, timeout: float | None = 10.0, workers: int = 2,
                 in_process: bool = False, cache_size: int = 100_000, memory_limit_mb: int | None = 4096,
                 batch_budget: float | None = None, max_parked: int = 8):
        self.config = config or VerifyConfig()
        self.timeout = timeout if timeout else None
        self.batch_budget = batch_budget  #: the parameter as given (``None``: automatic)
        self.max_parked = max(0, int(max_parked))
        self.workers = max(1, int(workers))
        self.in_process = in_process
        self.cache_size = cache_size
        self.memory_limit_mb = memory_limit_mb
        self._init_state()

    def _init_state(self) -> None:
        self._cache: OrderedDict[tuple[str, str], Verdict] = OrderedDict()
        self._lock = threading.Lock()
        self._gold_numbers: dict[str, PlainNumber | None] = {}
        self._gold_values: dict[str, float | str | None] = {}

    #: seconds of budget per sympy comparison and worker beyond ``2 * timeout`` (big batches)
    BUDGET_PER_COMPARISON = 0.25

    def budget_for(self, comparisons: int) -> float | None:
        """The wall budget (seconds) of a call that needs ``comparisons`` sympy comparisons;
        ``None``: unbounded."""
        if self.batch_budget is not None:
            return self.batch_budget if self.batch_budget > 0 else None
        if not self.timeout:
            return None
        return max(2 * self.timeout, self.BUDGET_PER_COMPARISON * comparisons / self.workers)

    def _remember_gold_value(self, gold: str, value: float | str | None) -> None:
        with self._lock:
            if len(self._gold_values) > 50_000:
                self._gold_values.clear()
            self._gold_values[gold] = value

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_lock", "_gold_numbers", "_gold_values")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    # ------------------------------------------------------------------ helpers
    def _gold_number(self, gold: str) -> PlainNumber | None:
        try:
            return self._gold_numbers[gold]
        except KeyError:
            value = as_plain_number(gold)
            if len(self._gold_numbers) > 50_000:
                self._gold_numbers.clear()
            self._gold_numbers[gold] = value
            return value

    def _cached(self, key: tuple[str, str]) -> Verdict | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _remember(self, key: tuple[str, str], verdict: Verdict) -> None:
        if verdict.status == "error" or verdict.path == "budget":
            return
        with self._lock:
            self._cache[key] = verdict
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def fast_verdict(self, gold: str, answer: str) -> Verdict | None:
        """The in-process verdict when no sympy work is needed (inputs already normalised)."""
        if _compact(gold) == _compact(answer):
            return Verdict("correct", "identical after normalisation", "string")
        repeats = repeated_elements_verdict(gold, answer)
        if repeats is not None:
            return repeats
        tup = _plain_tuple_verdict(gold, answer, self.config)
        if tup is not None:
            return tup
        choice = _mcq_choices(gold, answer)
        if choice is not None:
            return Verdict("correct" if choice[0] == choice[1] else "wrong", "multiple-choice letters", "choice")
        g = self._gold_number(gold)
        p = as_plain_number(answer)
        if g is None and p is not None:
            # a plain-number answer far (> 5 %) from a constant reference whose value an earlier
            # comparison computed (``417`` for ``5\\sqrt{2}``): wrong under every rule we apply
            value = self._gold_values.get(gold)
            if value == SYMBOLIC and self.config.strict:
                return Verdict("wrong", "a number for a reference with variables", "numeric_value")
            if isinstance(value, float):
                a = float(p.value)
                if abs(a - value) > 0.05 * max(abs(a), abs(value)):
                    return Verdict("wrong", "different numbers", "numeric_value")
        # a decimal comma counts only against a number written with a decimal point
        if g is None and p is not None and p.decimals is not None:
            g = comma_decimal(gold)
        elif p is None and g is not None and g.decimals is not None:
            p = comma_decimal(answer)
        if g is None or p is None:
            return None
        if compare_plain_numbers(g, p, self.config.float_rounding, self.config.approx_decimals):
            return Verdict("correct", "equal numbers", "numeric")
        return Verdict("wrong", "different numbers", "numeric")

    # ------------------------------------------------------------------ public API
    def verify(self, gold: str, answer: str) -> Verdict:
        """One comparison (see :meth:`verify_many`)."""
        return self.verify_many([(gold, answer)])[0]

    def verify_many(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        """Compare each ``(gold, answer)`` (raw text; both normalised here). One IPC batch for
        all pairs that need sympy; duplicates inside the batch are computed once."""
        out: list[Verdict | None] = [None] * len(pairs)
        pending: dict[tuple[str, str], list[int]] = {}
        for i, (gold, answer) in enumerate(pairs):
            g, a = normalise_answer(gold), normalise_answer(answer)
            if not g:
                out[i] = Verdict("gold_unparseable", "the reference answer is empty", "string")
                continue
            key = (g, a)
            hit = self._cached(key)
            if hit is not None:
                out[i] = Verdict(hit.status, hit.reason, "cache:" + hit.path)  # seconds 0: no work
                continue
            fast = self.fast_verdict(g, a)
            if fast is not None:
                self._remember(key, fast)
                out[i] = fast
                continue
            pending.setdefault(key, []).append(i)
        if pending:
            budget = self.budget_for(len(pending))
            until = time.monotonic() + budget if budget else None
            # Two rounds: plain-number answers against a reference whose numeric value is not
            # known yet wait until the first round has computed it (far-off numbers are then
            # rejected in-process, without a sympy task).
            first = list(pending)
            waiting: list[tuple[str, str]] = []
            if len(pending) > 1:
                needs_value = {k for k in pending if k[0] not in self._gold_values and as_plain_number(k[1]) is not None}
                golds_in_first = {k[0] for k in pending if k not in needs_value}
                waiting = [k for k in needs_value if k[0] in golds_in_first]
                first = [k for k in pending if k not in set(waiting)]
            self._settle(first, pending, out, until)
            if waiting:
                again = []
                for key in waiting:
                    fast = self.fast_verdict(*key)
                    if fast is not None:
                        self._remember(key, fast)
                        for i in pending[key]:
                            out[i] = fast
                    else:
                        again.append(key)
                self._settle(again, pending, out, until)
        return [v if v is not None else Verdict("error", "internal: no verdict", "") for v in out]

    def _settle(self, keys: list[tuple[str, str]], pending: dict[tuple[str, str], list[int]],
                out: list[Verdict | None], until: float | None) -> None:
        if not keys:
            return
        for key, verdict in zip(keys, self._run_sympy(keys, until)):
            self._remember(key, verdict)
            for i in pending[key]:
                out[i] = verdict

    def _run_sympy(self, keys: list[tuple[str, str]], until: float | None = None) -> list[Verdict]:
        tasks = [(g, a, self.config) for g, a in keys]
        if self.in_process:
            _quiet_math_verify()
            results = []
            for t in tasks:
                try:
                    status, reason, path, value = judge_pair(t)
                    self._remember_gold_value(t[0], value)
                    results.append(Verdict(status, reason, path))
                except Exception as exc:  # math-verify/sympy bug on odd input
                    results.append(Verdict("error", f"{type(exc).__name__}: {str(exc)[:200]}", "in_process"))
            return results
        from rlvr.verifiers.deadline_pool import shared_pool

        pool = shared_pool(_TASK_HANDLER, workers=self.workers, initializer=_WORKER_INIT,
                           memory_limit_mb=self.memory_limit_mb, max_parked=self.max_parked,
                           preempt_after=0.5)  # the pool caps it at timeout / 4
        budget = None
        if until is not None:
            budget = until - time.monotonic()
            if budget <= 0:
                return [Verdict("timeout", "the batch budget was spent before this comparison started", "budget")
                        for _ in tasks]
        verdicts = []
        outcomes = pool.run(tasks, timeout=self.timeout, budget=budget, affinity=[t[0] for t in tasks])
        for task, outcome in zip(tasks, outcomes):
            if outcome.status == "ok":
                status, reason, path, value = outcome.value
                self._remember_gold_value(task[0], value)
                verdicts.append(Verdict(status, reason, path, outcome.seconds))
            elif outcome.status == "timeout" and outcome.budget_exhausted:
                verdicts.append(Verdict("timeout", "the call's batch budget passed before this comparison "
                                                   "finished", "budget", outcome.seconds))
            elif outcome.status == "timeout":
                verdicts.append(Verdict("timeout", f"verification passed its {self.timeout:g} s deadline; "
                                                   "the worker was killed", "deadline", outcome.seconds))
            else:  # "worker": this comparison crashed its worker; "infrastructure": no worker could start
                verdicts.append(Verdict("error", outcome.error[:300], "infrastructure" if outcome.infrastructure
                                        else "worker", outcome.seconds))
        return verdicts
