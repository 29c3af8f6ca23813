"""Worker side: the sympy / math-verify comparison of one normalised (gold, answer) pair.

Runs inside a :class:`~rlvr.runtime.deadline_pool.DeadlinePool` worker process (the parent,
:class:`~rlvr.math.verifier.MathVerifier`, kills it at the deadline), so math-verify's own
``signal.alarm`` timeouts are disabled here. :func:`judge_pair` is the task handler,
:func:`start_worker` the initializer (imports and warm-up).

Both sides are wrapped in ``$...$`` (math-verify reads LaTeX only inside math delimiters) and
parsed LaTeX-only when they contain LaTeX, then ``verify(gold, answer, strict=True,
allow_set_relation_comp=False)``: **gold first**, preceded by a cheap numeric proof of
inequality (:func:`_numeric_mismatch`) that spares ``simplify`` on most wrong answers. A ``True``
verdict between two numbers passes a **numeric guard** at 50 digits (exact values must agree
to 1e-30 relative; small decimals to ``10**-float_rounding`` relative), which removes known
false positives (``1/2004!`` vs ``1/2006!``, ``1e-7`` vs ``2e-7``). Each reference is parsed
once per worker (LRU).

sympy and math-verify are imported inside the functions: importing this module is light.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from rlvr.math.normalise import HAS_DELIMITERS, PROSE
from rlvr.math.numbers import as_plain_number
from rlvr.math.structures import bracketed_parts, split_top_level
from rlvr.math.verdict import VerifyConfig
from rlvr.score import Status

__all__ = ["SYMBOLIC", "gold_value", "judge_pair", "quiet_math_verify", "start_worker"]


_LATEX_HINT = re.compile(r"[\\^_{}]")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f]")
_BROKEN_INLINE = re.compile(r"(?<!\$)\$(?!\$)[^$]*\n[^$]*\$|\\\([^)]*\n[^)]*\\\)")
_TEXT_MACRO = re.compile(r"\\(?:text|mathrm|textbf|mbox|operatorname)\{[^{}]*\}")
_UNIT_WORDS = re.compile(r"^[+-]?\d[\d,. ]*(?:\s+[A-Za-z]+|[A-Za-z]{3,})(?:\s+[A-Za-z]+)?(?:\^\{?\d\}?)?$")
_ATTACHED_LETTERS = re.compile(r"^[+-]?\d+(?:\.\d+)?[A-Za-z]{1,2}$")
_SPACED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?$")

#: ``gold_value`` of a reference with variables (never equal to a plain number under strict rules)
SYMBOLIC = "symbolic"

# Per-worker caches (a worker process serves many comparisons with the same reference).
_WORKER_CACHE_SIZE = 4096
_parsed_golds: OrderedDict[str, list[Any]] = OrderedDict()  #: reference text -> math-verify parse
_worker_gold_values: OrderedDict[str, float | str | None] = OrderedDict()  #: reference text -> gold_value()


def _parse(text: str, *, is_gold: bool) -> list[Any]:
    """math-verify parse of a normalised answer, wrapped in ``$...$`` (no internal timeout:
    the caller runs this under a kill-able deadline)."""
    from latex2sympy2_extended.latex2sympy2 import NormalizationConfig
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    number = as_plain_number(text) if not is_gold else None
    if number is not None and number.decimals is None:
        # an integer or a fraction: the exact value, without a LaTeX parse
        import sympy

        return [sympy.Rational(number.value.numerator, number.value.denominator), text]
    if HAS_DELIMITERS.search(text):
        # the answer carries its own math delimiters or boxes: let math-verify find them
        # math-verify's own search (LaTeX, then plain expressions). An inline math span broken
        # across lines is malformed: no loose number fallback then (LaTeX only)
        configs = [LatexExtractionConfig()] if _BROKEN_INLINE.search(text) else [LatexExtractionConfig(), ExprExtractionConfig()]
        return parse(text, extraction_config=configs, parsing_timeout=None, raise_on_error=False)
    if (PROSE.search(_TEXT_MACRO.sub(" ", text)) or _NON_ASCII_LETTER.search(text)) and not _UNIT_WORDS.match(text):
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
    """math-verify parse of a normalised reference, cached per worker (LRU)."""
    hit = _parsed_golds.get(gold)
    if hit is not None:
        _parsed_golds.move_to_end(gold)
        return hit
    parsed = _parse(gold, is_gold=True)
    _parsed_golds[gold] = parsed
    if len(_parsed_golds) > _WORKER_CACHE_SIZE:
        _parsed_golds.popitem(last=False)
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


def gold_value(gold_text: str) -> float | str | None:
    """The reference as a real number when it is one constant (``5\\sqrt{2}`` -> 7.07...);
    ``"symbolic"`` for a single expression with variables (``x^2+1``: never equal to a plain
    number under strict comparison); else ``None`` (sets, relations, huge or complex values).
    Cached per worker."""
    if gold_text in _worker_gold_values:
        return _worker_gold_values[gold_text]
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
    _worker_gold_values[gold_text] = value
    if len(_worker_gold_values) > _WORKER_CACHE_SIZE:
        _worker_gold_values.popitem(last=False)
    return value


def judge_pair(task: tuple[str, str, VerifyConfig]) -> tuple[Status, str, str, float | str | None]:
    """Worker entry point: ``(normalised gold, normalised answer, config)`` ->
    ``(status, reason, path, gold value)`` (see :func:`gold_value`). Runs math-verify with its
    own timeouts disabled."""
    status, reason, path = _judge_pair(task)
    value = gold_value(task[0]) if status is not Status.GOLD_UNPARSEABLE else None
    return status, reason, path, value


def _judge_pair(task: tuple[str, str, VerifyConfig]) -> tuple[Status, str, str]:
    gold_text, pred_text, cfg = task
    gold = _parsed_gold(gold_text)
    if not gold:
        return (Status.GOLD_UNPARSEABLE, f"math-verify cannot parse the reference {gold_text[:80]!r}", "sympy")
    g_parts, p_parts = split_top_level(gold_text), split_top_level(pred_text)
    bracketed = bracketed_parts(gold_text, pred_text)
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
                    return (Status.WRONG, "list element differs (order matters)", "list")
                break
        else:
            return (Status.CORRECT, "every list element is equivalent, in order", "list")
    pred = _parse(pred_text, is_gold=False)
    if not pred:
        return (Status.WRONG, "the answer does not parse as maths", "sympy")
    ok, path = _verify_parsed(gold, pred, gold_text, pred_text, cfg)
    if ok:
        return (Status.CORRECT, "equivalent" if path == "sympy" else "equal to the written precision", path)
    if path == "guard":
        return (Status.WRONG, "equal at low precision only (numeric guard)", "guard")
    return (Status.WRONG, "not equivalent", "sympy")


def quiet_math_verify() -> None:
    """Worker initialiser: import the heavy modules once and silence math-verify's
    "timeout disabled" warnings (the deadline is enforced by the parent)."""
    import logging

    import math_verify  # noqa: F401  (import cost paid at worker start, not in the first task)
    import sympy  # noqa: F401

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)


def start_worker() -> None:
    """Worker initialiser: :func:`quiet_math_verify`, then a few comparisons of each common
    shape, so that the parser's and sympy's first-use costs (~0.5 s) are paid at start-up, not
    by the first task (a cold first task would look slow and be parked)."""
    quiet_math_verify()
    cfg = VerifyConfig()
    for gold, answer in (("x^2+2x+1", "(x+1)^2"), ("\\sqrt{8}", "2\\sqrt{2}"), ("(1, \\infty)", "(1, \\infty)"),
                         ("y = 2x+3", "y=3+2x"), ("\\frac{\\pi}{3}", "1.047"), ("1, 2", "2, 1")):
        try:
            judge_pair((gold, answer, cfg))
        except Exception:  # a warm-up failure must not stop the worker; the real task will report
            pass
