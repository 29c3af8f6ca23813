"""Maths rewards: equivalence verdicts, statuses, TRL/open-r1 test vectors, numeric rewards, presets."""

from __future__ import annotations

import asyncio
import pickle
import threading

import pytest

from rlvr import Status, get_reward
from rlvr.math import MathVerifier, VerifyConfig, normalise_answer
from rlvr.math.numbers import as_plain_number


@pytest.fixture(scope="module")
def acc():
    return get_reward("math_accuracy", timeout_seconds=20)


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


# ----------------------------------------------------------------------------- TRL / open-r1 vectors
def test_trl_accuracy_vectors(acc):
    assert acc(completions=[chat("\\boxed{\\frac{63}{400}}")] * 2, solution=["\\frac{63}{400}", "63/400"]) == [1.0, 1.0]
    assert acc(completions=[chat("\\boxed{\\frac{64}{400}}")], solution=["\\frac{63}{400}"]) == [0.0]
    assert acc(completions=[chat("\\boxed{3}")], solution=["6"]) == [0.0]
    assert acc(completions=[chat("\\boxed{42}")], solution=["Answer is forty two."]) == [None]
    assert acc(completions=[chat("\\boxed{\\frac{63}{400}}"), chat("\\boxed{\\frac{64}{400}}")],
               solution=["\\frac{63}{400}"] * 2) == [1.0, 0.0]


def test_trl_reasoning_accuracy_vectors(acc):
    assert acc(completions=["<think> R </think> \\boxed{\\frac{63}{400}}", "\\boxed{\\frac{63}{400}}"],
               solution=["63/400"] * 2) == [1.0, 1.0]
    custom = get_reward("math_accuracy", think_close="</REASONING_END>")
    assert custom(completions=["R </REASONING_END> \\boxed{\\frac{63}{400}}"], solution=["63/400"]) == [1.0]
    assert acc(completions=["<think>\\boxed{42}</think> no answer", "<think>R</think>\\boxed{43}", "<think> \\boxed{42}"],
               solution=["42"] * 3) == [0.0, 0.0, 0.0]
    assert acc(completions=["<think>r</think>\\boxed{42}"], solution=["forty two"]) == [None]


def test_works_in_a_worker_thread(acc):
    out: list = []
    t = threading.Thread(target=lambda: out.append(acc(completions=["\\boxed{x^2+2x+1}"], solution=["(x+1)^2"])))
    t.start()
    t.join(120)
    assert out == [[1.0]]


# ----------------------------------------------------------------------------- statuses and details
def test_statuses_and_details(acc):
    scores = acc.score_batch(["\\boxed{\\frac12}", "\\boxed{3}", "no box here", "<think>unclosed", "\\boxed{" + "1" * 5000 + "}"],
                             solution=["0.5"] * 5)
    assert [s.status for s in scores] == [Status.CORRECT, Status.WRONG, Status.NO_ANSWER, Status.NO_ANSWER, Status.WRONG]
    assert [s.value for s in scores] == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert scores[0].details["extraction"] == "boxed" and scores[2].details["extraction"] == "not_found"
    assert scores[3].details["extraction"] == "unclosed_think"


def test_gold_unparseable_and_missing_is_none(acc):
    assert acc.score("\\boxed{1}", solution="").status == Status.GOLD_UNPARSEABLE
    assert acc.score("\\boxed{1}", solution=None).value is None


def test_solution_column_is_configurable():
    r = get_reward("math_accuracy", solution_column="answer")
    assert r(completions=["\\boxed{72}"], answer=["Natalia sold 48/2 = 24 clips... #### 72"]) == [1.0]
    with pytest.raises(KeyError, match="answer"):
        r(completions=["\\boxed{72}"], solution=["72"])


def test_math_solution_gold_reads_its_box(acc):
    assert acc.score("\\boxed{\\frac{1}{2}}", solution="We get $x = \\boxed{\\frac12}$.").value == 1.0


def test_hedging_is_wrong(acc):
    s = acc.score("\\boxed{1} or maybe \\boxed{2}", solution="2")
    assert s.status == Status.WRONG and "hedging" in s.reason
    # the same value written twice is not hedging
    assert acc.score("\\boxed{\\frac12} = \\boxed{0.5}", solution="1/2").value == 1.0
    # a multi-valued gold accepts the boxes joined
    assert acc.score("\\boxed{2} and \\boxed{3}", solution="2, 3").value == 1.0


@pytest.mark.parametrize("gold, pred, expected", [
    ("\\frac{1}{2004!}", "\\frac{1}{2006!}", 0.0),   # numeric guard
    ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", 0.0),
    ("1e-7", "2e-7", 0.0),
    ("0.0000001", "0.0000002", 0.0),
    ("1,000", "1000", 1.0),
    ("10\\%", "10\\%", 1.0),
    ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}", 1.0),
    ("(1, 2)", "(2, 1)", 0.0),
    ("[1, 2)", "(1, 2)", 0.0),
    ("\\{1,2\\}", "\\{2,1\\}", 1.0),
    ("x=2", "y=2", 0.0),
    ("C", "(C)", 1.0),
    ("C", "D", 0.0),
    ("1 1/2", "1.5", 1.0),
    ("\\frac13", "0.333", 1.0),        # 3 significant digits of a repeating decimal
    ("\\frac13", "0.33", 0.0),
    ("100", "100.4", 0.0),             # an integer must be exact
    ("\\pi", "3.14", 1.0),
    ("1+2i", "i(2-i)", 1.0),
    ("10m", "10", 0.0),
    ("10 weeks", "10", 1.0),
])
def test_verdicts(acc, gold, pred, expected):
    assert acc.score("\\boxed{" + pred + "}", solution=gold).value == expected


def test_list_order_policy():
    ordered = get_reward("math_accuracy", list_order_matters=True)
    assert ordered.score("\\boxed{4, 10, -2}", solution="10, 4, -2").value == 0.0
    assert get_reward("math_accuracy").score("\\boxed{4, 10, -2}", solution="10, 4, -2").value == 1.0


# ----------------------------------------------------------------------------- verifier mechanics
def test_fast_paths_need_no_worker():
    v = MathVerifier(in_process=False)
    assert v.verify("63/400", "\\frac{63}{400}").path == "numeric"
    assert v.verify("x^2", "x^{2}").path in ("string", "sympy")
    assert v.verify("\\frac{1}{2}", "$\\dfrac{1}{2}$").path == "string"


def test_verdict_cache_and_gold_parsed_once(acc):
    v = MathVerifier(timeout=20)
    first = v.verify_many([("\\sqrt{8}", "2\\sqrt{2}")] * 8 + [("\\sqrt{8}", "3")])
    assert [x.status for x in first] == ["correct"] * 8 + ["wrong"]
    again = v.verify("\\sqrt{8}", "2\\sqrt{2}")
    assert again.status == "correct" and again.path.startswith("cache:")


def test_normalisation_and_plain_numbers():
    assert normalise_answer("$\\left( 1,\\! 2 \\right).$") == "( 1,2 )"
    assert as_plain_number("1,234.5").value == pytest.approx(1234.5)
    assert as_plain_number("0,111") is None and as_plain_number("x") is None
    assert as_plain_number("\\frac{3}{4}").value * 4 == 3


def test_reward_is_picklable_after_use(acc):
    acc.score("\\boxed{\\sqrt{4}}", solution="2")  # the pool is running now
    clone = pickle.loads(pickle.dumps(acc))
    assert clone(completions=["\\boxed{\\sqrt{9}}"], solution=["3"]) == [1.0]
    assert clone.__name__ == "math_accuracy"


def test_async_reward(acc):
    async def main():
        return await acc.as_async()(completions=["\\boxed{\\sqrt{16}}", "\\boxed{5}"], solution=["4", "4"])

    assert asyncio.run(main()) == [1.0, 0.0]


def test_verify_config_is_hashable():
    assert hash(VerifyConfig()) == hash(VerifyConfig())


# ----------------------------------------------------------------------------- numeric rewards
def test_numeric_answer():
    r = get_reward("numeric_answer")
    out = r(completions=["#### 72", "The answer is $1,234$.", "\\boxed{71}", "no number", "\\boxed{x}"],
            answer=["... #### 72", "1234", "72", "72", "72"])
    assert out == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert r.score("#### 3", answer="not a number").value is None


SOL = "<end_working_out><SOLUTION>{}</SOLUTION>"


@pytest.mark.parametrize("guess, gold, value", [
    ("42", "42", 5.0), (" 42 ", "42", 3.5), ("44", "42", 2.0), ("49", "42", 1.5),
    ("10", "42", -2.5), ("forty", "42", -4.5),
])
def test_unsloth_check_answer(guess, gold, value):
    r = get_reward("unsloth_check_answer")
    assert r.score("working" + SOL.format(guess), answer=gold).value == value
    assert r.score("no solution tag", answer="42").value == -2.0


def test_unsloth_check_numbers():
    r = get_reward("unsloth_check_numbers")
    assert r.score("w" + SOL.format("1,234"), answer="1234").value == 3.5
    assert r.score("w" + SOL.format("12"), answer="13").value == -1.5
    assert r.score("w" + SOL.format("none"), answer="13").value == -2.5


def test_integer_answer():
    r = get_reward("integer_answer")
    assert r(completions=["<answer>\n42\n</answer>", "<answer>4.2</answer>", "nothing"]) == [0.5, 0.0, 0.0]


# ----------------------------------------------------------------------------- presets
def test_open_r1_math_preset():
    stack = get_reward("open_r1_math")
    assert stack.names == ["math_accuracy", "format", "tag_count"] and stack.reward_weights == [1.0, 1.0, 1.0]
    text = "<think>\nreasoning\n</think>\n<answer>\n\\boxed{42}\n</answer>"
    assert stack(completions=[text], solution=["42"]) == [3.0]


def test_gsm8k_xml_preset():
    stack = get_reward("gsm8k_xml")
    assert stack.names == ["xml_count", "soft_format", "strict_format", "integer_answer", "correctness"]
    text = "<reasoning>\nwork\n</reasoning>\n<answer>\n72\n</answer>\n"
    scores = {e.reward.__name__: e.reward.score(text, answer="#### 72").value for e in stack.entries}
    assert scores["correctness"] == 2.0 and scores["integer_answer"] == 0.5 and scores["strict_format"] == 0.5
    assert stack.score(text, answer="#### 71").value < stack.score(text, answer="#### 72").value


def test_unsloth_math_preset():
    stack = get_reward("unsloth_math")
    assert stack.names == ["match_format_exactly", "match_format_approximately", "check_answer", "check_numbers"]
    text = "I think<end_working_out><SOLUTION>42</SOLUTION>"
    scores = {e.reward.__name__: e.reward.score(text, answer="42").value for e in stack.entries}
    assert scores == {"match_format_exactly": 3.0, "match_format_approximately": 1.5, "check_answer": 5.0,
                      "check_numbers": 3.5}


def test_unsloth_solution_matches_notebook_regex_and_is_linear():
    import re
    import time

    from rlvr.rewards.math import UnslothParams, notebook_solution

    regex = re.compile(r"<end_working_out>.*?<SOLUTION>(.+?)</SOLUTION>[\s]{0,}$", re.DOTALL)
    p = UnslothParams()
    for text in ["a<end_working_out>b<SOLUTION>4</SOLUTION>", "<SOLUTION>1</SOLUTION><end_working_out><SOLUTION>2</SOLUTION>\n",
                 "<end_working_out><SOLUTION>1</SOLUTION> x <SOLUTION>2</SOLUTION>", "<end_working_out><SOLUTION></SOLUTION>",
                 "<end_working_out><SOLUTION>3</SOLUTION> trailing", "no tags"]:
        m = regex.search(text)
        assert notebook_solution(text, p) == (m.group(1) if m else None), text
    hostile = "<end_working_out><SOLUTION>" * 50_000
    start = time.perf_counter()
    assert get_reward("unsloth_check_answer").score(hostile, answer="1").value == -2.0
    assert time.perf_counter() - start < 1.0
