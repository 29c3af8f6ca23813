"""Unicode look-alikes of minus signs, digits and spaces are folded on both sides (issue 9, item 14)."""

from __future__ import annotations

import pytest

from rlvr import Status, get_reward
from rlvr.math import fold_lookalikes


@pytest.fixture(scope="module")
def acc():
    return get_reward("math_accuracy", timeout_seconds=20)


MINUS = "\u2212"


@pytest.mark.parametrize("answer, gold", [
    (MINUS + "5", "-5"),                        # minus sign in the prediction
    ("-5", MINUS + "5"),                        # ... in the reference (was gold_unparseable)
    (MINUS + "5", MINUS + "5"),
    ("\u20135", "-5"),                          # en dash used as a minus
    ("\uff0d5", "-5"),                          # fullwidth hyphen-minus
    ("x^2" + MINUS + "1", "(x-1)(x+1)"),
    ("\\frac{" + MINUS + "3}{4}", "-0.75"),
    ("\uff15\uff10", "50"),                     # fullwidth digits
    ("\u0661\u0662", "12"),                     # Arabic-Indic digits
    ("1\u00a0000", "1000"),                     # no-break space in a number
    ("1\u2009000", "1000"),                     # thin space
    ("1\u202f000\u202f000", "1000000"),         # narrow no-break spaces
    ("\uff08\uff11\uff0c\uff12\uff09", "(1, 2)"),  # fullwidth brackets and comma
    ("5\u200b", "5"),                           # zero-width space
])
def test_lookalikes_fold_on_both_sides(acc, answer, gold):
    s = acc.score("\\boxed{" + answer + "}", solution=gold)
    assert s.status == Status.CORRECT, s


@pytest.mark.parametrize("answer, gold", [
    ("\u0445^2+1", "x^2+1"),      # Cyrillic "х" is not the Latin x
    ("\u0445", "x"),
    ("\u03bf", "o"),              # Greek omicron
    ("\uff58", "x"),              # fullwidth letters stay letters of their own
    (MINUS + "5", "5"),           # the sign is kept, only its spelling changes
])
def test_lookalike_letters_do_not_pass(acc, answer, gold):
    assert acc.score("\\boxed{" + answer + "}", solution=gold).value == 0.0


def test_fold_is_identity_on_ascii_and_keeps_letters():
    text = "x^2 - 1, \\frac{1}{2}"
    assert fold_lookalikes(text) is text
    assert fold_lookalikes("\u0445\u2212\uff11") == "\u0445-1"
    assert fold_lookalikes("x\u00b2") == "x\u00b2"  # no NFKC: a superscript is not a digit after x


def test_numeric_answer_reward_folds_too():
    r = get_reward("numeric_answer")
    assert r.score("#### " + MINUS + "7", answer="-7").value == 1.0
