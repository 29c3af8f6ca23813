"""Extraction of the final maths answer (rlvr.math.extraction): strict rules, linear time."""

from __future__ import annotations

import time

import pytest

from rlvr.math.extraction import extract_answer, final_box_group, find_boxed


def test_only_text_after_last_think_counts():
    ex = extract_answer("<think>maybe \\boxed{1}</think> so \\boxed{2}")
    assert (ex.answer, ex.path) == ("2", "boxed")


def test_answer_inside_think_only_is_no_answer():
    assert extract_answer("<think>it is \\boxed{2}</think> done").answer is None


def test_unclosed_think_is_no_answer():
    ex = extract_answer("<think>thinking... \\boxed{2}")
    assert ex.answer is None and ex.path == "unclosed_think"


def test_prefilled_requires_closing_tag():
    assert extract_answer("reasoning \\boxed{2}", prefilled=True).path == "no_think_close"
    assert extract_answer("reasoning</think>\\boxed{2}", prefilled=True).answer == "2"


def test_answer_tag_block_is_searched_first():
    text = "</think>\\boxed{9} <answer>x \\boxed{3}</answer>"
    assert extract_answer(text, answer_tag="answer").answer == "3"
    # no box inside the tag: the whole tag content is the answer
    assert extract_answer("<answer> 42 </answer>", answer_tag="answer").answer == "42"
    assert extract_answer("\\boxed{4}", answer_tag="answer", require_answer_tag=True).path == "no_answer_tag"
    assert extract_answer("\\boxed{4}", answer_tag="answer").answer == "4"


def test_custom_tags():
    text = "work<end_working_out><SOLUTION>12</SOLUTION>"
    ex = extract_answer(text, think_close="<end_working_out>", answer_open="<SOLUTION>", answer_close="</SOLUTION>")
    assert ex.answer == "12"


def test_last_balanced_box_and_fbox():
    assert extract_answer("\\boxed{\\frac{1}{2}} then \\fbox{3}").answer == "3"
    assert extract_answer("\\boxed{\\frac{a}{b}}").answer == "\\frac{a}{b}"
    assert extract_answer("\\boxed{The answer is \\boxed{5}}").answer == "5"


def test_escaped_braces_do_not_count():
    assert extract_answer("\\boxed{\\{1,2\\}}").answer == "\\{1,2\\}"


def test_distinct_boxes_are_candidates():
    ex = extract_answer("\\boxed{1} or \\boxed{2} or \\boxed{1}")
    assert ex.candidates == ("1", "2")


def test_gsm8k_and_answer_phrase():
    assert extract_answer("so\n#### 1,234").answer == "1234"
    assert extract_answer("The answer is $\\frac{1}{2}$.").answer == "\\frac{1}{2}"
    assert extract_answer("Final answer: **42**").answer == "42"


def test_minerva_final_answer_after_intermediate_box_wins():
    text = "first \\boxed{255} then. Final Answer: The final answer is $10455$. I hope it is correct."
    assert extract_answer(text).answer == "10455"


def test_no_last_number_fallback_by_default():
    assert extract_answer("I computed 17 and then 42").answer is None
    assert extract_answer("I computed 17 and then 42", strategies=["boxed", "last_number"]).answer == "42"


def test_answer_length_cap():
    ex = extract_answer("\\boxed{" + "1" * 2000 + "}")
    assert ex.answer is None and ex.path == "too_long"


def test_unknown_strategy_raises():
    with pytest.raises(ValueError, match="unknown extraction strategy"):
        extract_answer("x", strategies=["guess"])


def test_final_box_group():
    assert final_box_group("\\boxed{1} and \\boxed{2}") == ["1", "2"]
    assert final_box_group("\\boxed{1} no no no \\boxed{2}") == ["2"]
    assert find_boxed("\\boxed{1") == []


@pytest.mark.parametrize("text", [
    "{" * 1_000_000,
    "\\boxed{" * 200_000,
    "}" * 1_000_000,
    "<think>" * 100_000 + "</think>" + "\\boxed{1}" * 50_000,
    "the answer is " * 70_000,
    "#### " * 200_000,
    "the answer is " + "\\(" * 300_000,        # unclosed math spans after an answer phrase
    "\\boxed{1} The final answer is " + "$$ " * 300_000,
])
def test_megabyte_inputs_are_linear(text):
    start = time.perf_counter()
    extract_answer(text)
    assert time.perf_counter() - start < 2.0


# ----------------------------------------------------------------------------- answer phrase ends with its sentence
NOTES = " Note: " + "we double-checked every step of this computation. " * 40


@pytest.mark.parametrize("text, answer", [
    ("The final answer is $42$. I hope it is correct." + NOTES, "42"),
    ("Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct." + NOTES, "\\frac{1}{2}"),
    ("The final answer is 7 I hope it is correct. Also see below", "7"),
    ("The answer is 3.5. Next we check it.", "3.5"),
    ("The answer is $1$ and $2$. Both roots check out.", "$1$ and $2$"),
    ("The answer is \\(x^2\\). Done", "\\(x^2\\)"),  # delimiters go in normalisation
    ("\\boxed{255} is intermediate. The final answer is $10455$. I hope it is correct." + NOTES, "10455"),
])
def test_answer_phrase_ends_with_its_math_span_or_sentence(text, answer):
    ex = extract_answer(text)
    assert ex.answer == answer, ex


def test_notes_on_the_same_line_score_like_notes_on_the_next_line():
    from rlvr import get_reward

    acc = get_reward("math_accuracy")
    one_line = "The final answer is $42$. I hope it is correct." + NOTES
    two_lines = "The final answer is $42$. I hope it is correct.\n" + NOTES
    assert acc.score(one_line, solution="42").value == acc.score(two_lines, solution="42").value == 1.0
