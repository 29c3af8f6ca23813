"""The countdown verifier: safe parsing, exact arithmetic, multiset check, hostile input."""

from __future__ import annotations

import ast
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.verifiers import countdown as cv
from rlvr.verifiers.countdown import (
    REASONS,
    CountdownLimits,
    GoldError,
    evaluate_countdown_expression,
    parse_numbers,
    parse_target,
    verify_countdown,
)

NUMS = [25, 3, 4, 7]


def reason(eq: str, target=95, nums=NUMS, **kw) -> str:
    return verify_countdown(eq, target, nums, **kw).reason


@pytest.mark.parametrize("eq", ["(25 - 3) * 4 + 7", "7 + 4 * (25 - 3)", " ( 25-3 )*4+7 ", "(25 − 3) × 4 + 7",
                                "(25-3)\n*4\t+7", "4*(25-3)+7"])
def test_correct_equations(eq):
    v = verify_countdown(eq, 95, NUMS)
    assert v.correct and v.reason == "correct"
    assert v.value == 95 and sorted(v.used) == sorted(NUMS)


def test_exact_rational_arithmetic():
    # 6 / (1 - 3/4) = 24 only with exact fractions
    assert verify_countdown("6 / (1 - 3 / 4)", 24, [6, 1, 3, 4]).correct
    # a float-tolerance checker (TinyZero: abs < 1e-5) would accept a near miss; exact arithmetic does not
    v = verify_countdown("100000 / 99999", 1, [100000, 99999])
    assert not v.correct and v.reason == "wrong_value"
    assert v.value == Fraction(100000, 99999)


@pytest.mark.parametrize(
    "eq, expected",
    [
        ("95**88**72**3", "forbidden_operator"),
        ("9**9**9", "forbidden_operator"),
        ("25 // 3 + 4 + 7", "forbidden_operator"),
        ("25 % 3 + 4 + 7", "not_an_equation"),
        ("__import__('os')", "not_an_equation"),
        ("__import__('os').system('echo pwned')", "not_an_equation"),
        ("abs(-25) + 3 + 4 + 7", "not_an_equation"),
        ("(25)(3) + 4 + 7", "forbidden_syntax"),  # a call
        ("+25 + 3 + 4 + 7", "forbidden_syntax"),  # unary plus is not in the whitelist
        ("25 < 3", "not_an_equation"),
        ("2.5 + 3 + 4 + 7", "non_integer_literal"),
        ("25. + 3 + 4 + 7", "non_integer_literal"),
        ("1e3 + 3", "not_an_equation"),
        ("0x19 + 3 + 4 + 7", "not_an_equation"),
        ("25 + 3 + 4 + ٧", "not_an_equation"),  # Arabic-Indic seven
        ("２５ + 3 + 4 + 7", "not_an_equation"),  # fullwidth digits
        ("25 + 3 + 4 + 7 + 1", "numbers_mismatch"),  # a number not given
        ("25 + 25 + 4 + 7", "numbers_mismatch"),  # a number reused
        ("25 + 3 + 4", "numbers_mismatch"),  # a number left out
        ("((25 - 3) * 4 + 7", "not_an_equation"),
        (")25 - 3( * 4 + 7", "not_an_equation"),
        ("25 3 4 7", "not_an_equation"),
        ("", "empty"),
        ("   ", "empty"),
        ("25 + 3 + 4 + 07", "not_an_equation"),  # leading zero: a Python syntax error
        ("(25 - 3) * 4 + 7 = 95 = 95", "bad_equals"),
        ("25 + 3 = 4 + 7", "bad_equals"),
        ("25 + 3 + 4 + 7", "wrong_value"),
    ],
)
def test_rejections_have_reasons(eq, expected):
    v = verify_countdown(eq, 95, NUMS)
    assert not v.correct
    assert v.reason == expected, (eq, v)
    assert v.reason in REASONS
    assert v.message


def test_division_by_zero_is_wrong():
    v = verify_countdown("3 / (5 - 5) + 0", 3, [3, 5, 5, 0])
    assert v.reason == "division_by_zero"


@pytest.mark.parametrize("eq", ["95**88**72**3", "9**9**9", "1" * 10_000, "(" * 10_000 + "1" + ")" * 10_000,
                                "-" * 10_000 + "1", "1+" * 5_000 + "1", "(" * 150 + "1" + ")" * 150,
                                "1" * 20 + " + 3", "9" * 10_000 + " * " + "9" * 10_000])
def test_hostile_equations_are_bounded_and_never_evaluated(eq, monkeypatch):
    evaluated = []
    real = cv._evaluate
    monkeypatch.setattr(cv, "_evaluate", lambda node: evaluated.append(1) or real(node))
    t = time.perf_counter()
    v = verify_countdown(eq, 95, NUMS)
    assert time.perf_counter() - t < 0.5
    assert not v.correct
    assert v.reason in {"forbidden_operator", "too_long", "too_deep", "literal_too_large", "numbers_mismatch",
                        "not_an_equation"}
    assert not evaluated, f"{eq[:20]!r} reached evaluation"


def test_long_inputs_are_rejected_before_ast_parse(monkeypatch):
    calls = []
    real = ast.parse
    monkeypatch.setattr(cv.ast, "parse", lambda *a, **k: calls.append(a) or real(*a, **k))
    for eq in ["(" * 10_000 + "1" + ")" * 10_000, "1" * 10_000, "(" * 40 + "1" + ")" * 40]:
        v = verify_countdown(eq, 1, [1], limits=CountdownLimits(max_chars=100_000))
        assert v.reason in {"too_deep", "literal_too_large"}
    assert calls == []


def test_deep_unary_minus_is_bounded():
    v = verify_countdown("-" * 250 + "1", 1, [1], limits=CountdownLimits(max_chars=1000))
    assert v.reason == "too_deep"
    v = verify_countdown("--1", 1, [1])
    assert v.correct


def test_equals_sign():
    assert verify_countdown("(25 - 3) * 4 + 7 = 95", 95, NUMS).correct
    assert verify_countdown("95 = (25 - 3) * 4 + 7", 95, NUMS).correct
    v = verify_countdown("(25 - 3) * 4 + 7 = 96", 95, NUMS)  # the claim is false
    assert v.reason == "wrong_value" and v.extra["claimed"] == 96
    v = verify_countdown("25 + 3 + 4 + 7 = 39", 95, NUMS)  # true equation, wrong target
    assert v.reason == "wrong_value"
    v = verify_countdown("(25 - 3) * 4 + 7 = 95", 95, NUMS, allow_equals=False)
    assert v.reason == "not_an_equation"


def test_unicode_operators_can_be_turned_off():
    assert verify_countdown("(25 − 3) × 4 + 7", 95, NUMS).correct
    assert verify_countdown("100 ÷ 4", 25, [100, 4]).correct
    assert verify_countdown("(25 − 3) × 4 + 7", 95, NUMS, unicode_operators=False).reason == "not_an_equation"


def test_subset_option():
    assert reason("25 * 4 - 5", 95, [25, 4, 5, 9]) == "numbers_mismatch"
    assert verify_countdown("25 * 4 - 5", 95, [25, 4, 5, 9], allow_subset=True).correct
    assert reason("25 * 4 - 5 - 5 + 5", 95, [25, 4, 5, 9], allow_subset=True) == "numbers_mismatch"
    assert reason("25 * 4 - 6", 94, [25, 4, 5, 9], allow_subset=True) == "numbers_mismatch"


def test_duplicate_given_numbers_are_a_multiset():
    assert verify_countdown("5 * 5 - 1", 24, [5, 5, 1]).correct
    assert reason("5 * 1 - 1", 4, [5, 5, 1]) == "numbers_mismatch"


def test_limits_are_configurable():
    assert reason("123456789 - 123456788", 1, [123456789, 123456788]) == "correct"
    v = verify_countdown("123456789 - 123456788", 1, [123456789, 123456788],
                         limits=CountdownLimits(max_literal_digits=8))
    assert v.reason == "literal_too_large"
    v = verify_countdown("((1))", 1, [1], limits=CountdownLimits(max_depth=1))
    assert v.reason == "too_deep"
    v = verify_countdown("1 + 2", 3, [1, 2], limits=CountdownLimits(max_chars=3))
    assert v.reason == "too_long"
    with pytest.raises(ValueError):
        CountdownLimits(max_depth=0)
    with pytest.raises(ValueError):
        CountdownLimits(max_depth=500)


def test_details_are_json_ready():
    import json

    d = verify_countdown("6 / 4", Fraction(3, 2), [6, 4]).details()
    assert d == {"reason": "correct", "used_numbers": [6, 4], "value": "3/2"}
    json.dumps(d)


def test_evaluate_expression():
    assert evaluate_countdown_expression("6 / (1 - 3/4)") == 24
    assert evaluate_countdown_expression("1 / 3") == Fraction(1, 3)
    with pytest.raises(ValueError, match="forbidden_operator"):
        evaluate_countdown_expression("2 ** 3")
    with pytest.raises(ValueError, match="division_by_zero"):
        evaluate_countdown_expression("1 / (2 - 2)")


@pytest.mark.parametrize("value, expected", [(95, 95), ("95", 95), (95.0, 95), (" 7 ", 7), (0.1, Fraction(1, 10)),
                                             ("3/2", Fraction(3, 2)), (Fraction(5, 2), Fraction(5, 2))])
def test_parse_target(value, expected):
    assert parse_target(value) == expected


@pytest.mark.parametrize("value", [None, True, [95], "ninety-five", "", float("nan"), float("inf"), {"a": 1},
                                   "9" * 100, "1e99999999", "1/0", "٣"])
def test_parse_target_rejects(value):
    with pytest.raises(GoldError):
        parse_target(value)


@pytest.mark.parametrize("value, expected", [([3, 5], (3, 5)), ((3, 5), (3, 5)), ([3.0, 5], (3, 5)),
                                             ("[3, 5, 8]", (3, 5, 8)), ("3 5", (3, 5)), (["3", "5"], (3, 5))])
def test_parse_numbers(value, expected):
    assert parse_numbers(value) == expected


def test_parse_numbers_numpy():
    np = pytest.importorskip("numpy")
    assert parse_numbers(np.array([3, 5], dtype=np.int64)) == (3, 5)
    assert parse_target(np.int64(8)) == 8


@pytest.mark.parametrize("value", [None, 5, "five", [], [3, None], [3, 2.5], [3, -1], [[3]], {"a": 1}, [True, 3],
                                   "[3, x]", "٣", ["9" * 10_000], ["٣"]])
def test_parse_numbers_rejects(value):
    with pytest.raises(GoldError):
        parse_numbers(value)


# ----------------------------------------------------------------------------- properties
_leaf = st.integers(0, 999).map(lambda n: (str(n), Fraction(n), [n]))


def _node(children):
    def combine(args):
        (ta, va, na), op, (tb, vb, nb) = args
        if op == "/" and vb == 0:
            return (f"({ta}) + ({tb})", va + vb, na + nb)
        value = {"+": va + vb, "-": va - vb, "*": va * vb, "/": va / vb if vb else None}[op]
        return (f"({ta}) {op} ({tb})", value, na + nb)

    return st.tuples(children, st.sampled_from("+-*/"), children).map(combine)


_trees = st.recursive(_leaf, _node, max_leaves=6)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_trees, st.sampled_from(["", " ", "  "]))
def test_value_agrees_with_a_reference_evaluation(tree, space):
    text, value, numbers = tree
    text = text.replace(" ", space)
    if len(text) > 300:
        return
    v = verify_countdown(text, value, numbers)
    assert v.correct, (text, v)
    assert v.value == value
    off = verify_countdown(text, value + 1, numbers)
    assert off.reason == "wrong_value"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789+-*/(). =×÷−a_'\n٣")), max_size=60))
def test_never_raises_on_junk(text):
    v = verify_countdown(text, 24, [1, 2, 3, 4])
    assert v.reason in REASONS
    assert v.correct == (v.reason == "correct")
