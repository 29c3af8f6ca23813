"""Several answers, multi-part references and repeated elements (issue 9, items 12, 13, 15)."""

from __future__ import annotations

import pytest

from rlvr import Status, get_reward
from rlvr.math.structures import list_elements, repeated_elements_verdict


@pytest.fixture(scope="module")
def acc():
    return get_reward("math_accuracy", timeout_seconds=20)


# ----------------------------------------------------------------------------- hedging across shapes (12)
@pytest.mark.parametrize("completion, gold", [
    ("\\boxed{8} or \\boxed{8, 12}", "\\{8, 12\\}"),
    ("\\boxed{8, 12} or \\boxed{8}", "\\{8, 12\\}"),
    ("\\boxed{8} or \\boxed{8, 12}", "8, 12"),
    ("\\boxed{(1, 2)} or \\boxed{(1, 2), (3, 4)}", "(1, 2), (3, 4)"),
    ("\\boxed{8, 12} or \\boxed{8, 12, 15}", "8, 12"),
    ("\\boxed{2} or \\boxed{3}", "2"),
])
def test_several_distinct_final_answers_are_wrong_whatever_their_shapes(acc, completion, gold):
    s = acc.score(completion, solution=gold)
    assert s.status == Status.WRONG and s.value == 0.0 and "hedging" in s.reason, s


@pytest.mark.parametrize("completion, gold", [
    ("\\boxed{8} and \\boxed{12}", "\\{8, 12\\}"),      # one element per box: the parts of one answer
    ("\\boxed{8} or \\boxed{12}", "8, 12"),             # "x = 8 or x = 12"
    ("\\boxed{(1, 2)}, \\boxed{(3, 4)}", "(1, 2), (3, 4)"),
    ("\\boxed{8, 12} so again \\boxed{8,12}", "\\{8, 12\\}"),  # the same answer twice
    ("\\boxed{\\frac12} = \\boxed{0.5}", "1/2"),
])
def test_one_answer_written_over_several_boxes_is_fine(acc, completion, gold):
    assert acc.score(completion, solution=gold).value == 1.0


# ----------------------------------------------------------------------------- multisets (13)
@pytest.mark.parametrize("answer, gold, expected", [
    ("2, 2", "2", 0.0),
    ("1, 1, 2", "1, 2", 0.0),
    ("\\{2, 2\\}", "2", 0.0),
    ("1, 2, 2", "(1, 2)", 0.0),
    ("2, 2", "2, 2", 1.0),            # a double root listed twice in the reference
    ("1, 2", "1, 2", 1.0),
    ("2, 1", "1, 2", 1.0),            # a bare list is unordered by default
    ("1, 1, 2", "\\{1, 2\\}", 1.0),   # a set-valued reference: repeats do not change a set
    ("\\{1, 1, 2\\}", "\\{1, 2\\}", 1.0),
    ("1,000", "1000", 1.0),           # digit grouping is not a list
])
def test_repeated_elements_per_reference_shape(acc, answer, gold, expected):
    assert acc.score("\\boxed{" + answer + "}", solution=gold).value == expected


def test_multiset_rule_ignores_text_answers():
    assert list_elements("1,000, 2") == ["1000", "2"] and list_elements("\\{1, 1, 2\\}") == ["1", "1", "2"]
    assert repeated_elements_verdict("5", "so $x = 1$, then $x = 1$, so 5") is None
    assert repeated_elements_verdict("(1, 2), (3, 4)", "(1, 2), (3, 4), (1, 2)") is None  # a solution set


# ----------------------------------------------------------------------------- multi-part references (15)
GOLD = "\\boxed{1} papers and \\boxed{2} bins"


@pytest.mark.parametrize("completion, expected", [
    ("\\boxed{2}", 0.0),                 # half an answer
    ("\\boxed{1}", 0.0),
    ("\\boxed{1,2}", 1.0),
    ("\\boxed{1}, \\boxed{2}", 1.0),     # the parts in separate boxes
    ("\\boxed{1} and \\boxed{2}", 1.0),
    ("\\boxed{1, 2, 3}", 0.0),
])
def test_boxes_with_prose_between_them_are_one_multipart_reference(acc, completion, expected):
    assert acc.score(completion, solution=GOLD).value == expected


def test_multipart_reference_whatever_the_prose(acc):
    gold = "For part (a) the count is \\boxed{3}. Part (b) needs more work: ... so it is \\boxed{5}."
    assert acc.score("\\boxed{5}", solution=gold).value == 0.0
    assert acc.score("\\boxed{3, 5}", solution=gold).value == 1.0
    # a box repeated verbatim in a worked solution is one answer
    assert acc.score("\\boxed{004}", solution="so \\boxed{004}. Check: yes, \\boxed{004}").value == 1.0


def test_final_group_reading_is_available():
    mv = get_reward("math_accuracy", reference_boxes="final_group")
    assert mv.score("\\boxed{2}", solution="\\boxed{1} no no no no no \\boxed{2}").value == 1.0
