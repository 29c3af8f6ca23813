"""Length rewards: thought_length, cosine_length, soft_overlong, kimi_length.

TRL's documented cases (trl/tests/test_rewards.py, TRL 1.16) are ported with the same inputs:
completions given as token-id lists. ``cosine_length`` and ``kimi_length`` take their
correctness from the ``countdown`` reward here (``<answer>1 + 2</answer>`` is correct for
target 3 and numbers [1, 2]); one test uses ``math_accuracy`` when it is registered.
"""

from __future__ import annotations

import math
import pickle

import pytest

from rlvr import RewardConfigError, Status, get_reward, list_rewards
from rlvr.rewards.length import think_span

RIGHT = "<answer>1 + 2</answer>"
WRONG = "<answer>1 * 2</answer>"
COLS = {"target": 3, "nums": [1, 2]}


def cols(n):
    return {"target": [3] * n, "nums": [[1, 2]] * n}


# ============================================================================ soft_overlong
def test_soft_overlong_trl_cases():
    r = get_reward("soft_overlong", max_completion_len=100, soft_punish_cache=20)
    assert r(completions=["a"], completion_ids=[[1] * 50]) == [0.0]
    assert r(completions=["a"], completion_ids=[[1] * 110]) == [-1.0]
    assert r(completions=["a"], completion_ids=[[1] * 90]) == [pytest.approx(-0.5)]
    values = r(completions=["a"] * 4, completion_ids=[[1] * 80, [1] * 81, [1] * 100, [1] * 101])
    assert values == [0.0, pytest.approx(-0.05), -1.0, -1.0]


def test_soft_overlong_units_and_validation():
    r = get_reward("soft_overlong", max_completion_len=100, soft_punish_cache=20)
    s = r.score("x" * 90)  # no ids: characters
    assert s.value == pytest.approx(-0.5) and s.details["unit"] == "chars"
    assert r.score("x" * 90, completion_ids=[1] * 10).details["unit"] == "tokens"
    forced = get_reward("soft_overlong", max_completion_len=100, soft_punish_cache=20, unit="tokens")
    s = forced.score("x" * 90)
    assert s.value is None and s.status == Status.INVALID_INPUT
    assert get_reward("soft_overlong").params.max_completion_len == 16384
    no_cache = get_reward("soft_overlong", max_completion_len=10, soft_punish_cache=0)
    assert no_cache(completions=["", ""], completion_ids=[[1] * 10, [1] * 11]) == [0.0, -1.0]
    with pytest.raises(RewardConfigError, match="soft_punish_cache"):
        get_reward("soft_overlong", max_completion_len=10, soft_punish_cache=20)


# ============================================================================ cosine_length
@pytest.fixture(scope="module")
def cosine():
    return get_reward("cosine_length", max_len=100, accuracy="countdown")


@pytest.mark.parametrize("length, correct, expected", [
    (25, True, 0.92678), (75, True, 0.57322), (25, False, -0.92678), (75, False, -0.57322),
    (50, True, 0.75), (50, False, -0.75), (0, True, 1.0), (0, False, -1.0),
    (100, True, 0.5), (100, False, -0.5), (200, True, 0.5), (200, False, -0.5),  # clamped beyond max_len
])
def test_cosine_trl_cases(cosine, length, correct, expected):
    value = cosine(completions=[RIGHT if correct else WRONG], completion_ids=[[7] * length], **cols(1))[0]
    assert value == pytest.approx(expected, abs=1e-5)


def test_cosine_custom_bounds_and_gold_none():
    r = get_reward("cosine_length", max_len=100, accuracy="countdown", min_value_correct=0.0, max_value_correct=2.0)
    assert r(completions=[RIGHT], completion_ids=[[1] * 50], **cols(1)) == [pytest.approx(1.0)]
    s = r.score(RIGHT, completion_ids=[1] * 50, target="unparseable", nums=[1, 2])
    assert s.value is None and s.status == Status.GOLD_UNPARSEABLE


def test_cosine_is_monotone_and_bounded_no_wraparound(cosine):
    lengths = list(range(0, 400, 5))
    right = cosine(completions=[RIGHT] * len(lengths), completion_ids=[[1] * n for n in lengths], **cols(len(lengths)))
    wrong = cosine(completions=[WRONG] * len(lengths), completion_ids=[[1] * n for n in lengths], **cols(len(lengths)))
    assert all(a >= b for a, b in zip(right, right[1:]))  # shorter correct is better, never wraps back up
    assert all(a <= b for a, b in zip(wrong, wrong[1:]))  # longer wrong is punished less
    assert min(right) >= 0.5 and max(wrong) <= -0.5


def test_cosine_characters_and_exceed_length():
    r = get_reward("cosine_length", max_len=100, accuracy="countdown", exceed_length=-10.0)
    text = RIGHT + " " * (50 - len(RIGHT))
    s = r.score(text, **COLS)
    assert s.details["unit"] == "chars" and s.value == pytest.approx(0.75)
    assert r(completions=[RIGHT], completion_ids=[[1] * 100], **cols(1)) == [-10.0]


def test_cosine_open_r1_character_case():
    # open-r1's test (max_len=100 characters): padded to 20 and 80 characters
    r = get_reward("cosine_length", max_len=100, accuracy="countdown")
    short = (RIGHT + " " * 20)[:max(20, len(RIGHT))]
    long = RIGHT + " " * (80 - len(RIGHT))
    values = r(completions=[short, long, short.replace("+", "*"), long.replace("+", "*")], **cols(4))
    assert values[0] > values[1] > 0.5 and values[2] < values[3] < -0.5


def test_cosine_needs_the_inner_columns_and_a_real_inner_reward():
    r = get_reward("cosine_length", accuracy="countdown")
    assert r.required_columns() == ("target", "nums")
    with pytest.raises(KeyError):
        r(completions=[RIGHT])
    from rlvr import UnknownRewardError

    with pytest.raises(UnknownRewardError, match="no_such_reward"):
        get_reward("cosine_length", accuracy="no_such_reward")
    with pytest.raises(ValueError, match="not a preset"):
        get_reward("cosine_length", accuracy="countdown_r1")  # a preset, not a reward


@pytest.mark.skipif("math_accuracy" not in {i.name for i in list_rewards()}, reason="math_accuracy not registered")
def test_cosine_with_math_accuracy_default():
    r = get_reward("cosine_length", max_len=100)
    assert r.params.accuracy == "math_accuracy"
    values = r(completions=[r"\boxed{\frac{63}{400}}", r"\boxed{\frac{64}{400}}"],
               completion_ids=[[1] * 25, [1] * 25], solution=[r"\frac{63}{400}"] * 2)
    assert values == [pytest.approx(0.92678, abs=1e-5), pytest.approx(-0.92678, abs=1e-5)]
    k = get_reward("kimi_length")
    out = k(prompts=["q", "q"], completions=[r"\boxed{\frac{63}{400}}", r"\boxed{\frac{63}{400}} long"],
            completion_ids=[[1] * 10, [1] * 20], solution=[r"\frac{63}{400}"] * 2)
    assert out == [0.5, -0.5]


# ============================================================================ kimi_length
@pytest.fixture(scope="module")
def kimi():
    return get_reward("kimi_length", accuracy="countdown")


def test_kimi_paper_example(kimi):
    values = kimi(prompts=["p"] * 4, completions=[RIGHT, RIGHT, WRONG, WRONG],
                  completion_ids=[[1] * 100, [1] * 200, [1] * 300, [1] * 400], **cols(4))
    assert values == pytest.approx([0.5, 1 / 6, -1 / 6, -0.5])


def test_kimi_wrong_answers_never_positive(kimi):
    values = kimi(prompts=["p"] * 3, completions=[WRONG, RIGHT, WRONG],
                  completion_ids=[[1] * 10, [1] * 20, [1] * 30], **cols(3))
    assert values == pytest.approx([0.0, 0.0, -0.5])


def test_kimi_groups_by_prompt_not_batch(kimi):
    # two prompts interleaved; each group has its own min/max
    prompts = ["p", "q", "p", "q"]
    ids = [[1] * 10, [1] * 1000, [1] * 20, [1] * 2000]
    values = kimi(prompts=prompts, completions=[RIGHT] * 4, completion_ids=ids, **cols(4))
    assert values == pytest.approx([0.5, 0.5, -0.5, -0.5])
    # chat prompts group by the whole conversation
    chat_a = [{"role": "system", "content": "A"}, {"role": "user", "content": "same"}]
    chat_b = [{"role": "system", "content": "B"}, {"role": "user", "content": "same"}]
    values = kimi(prompts=[chat_a, chat_b, chat_a, chat_b], completions=[RIGHT] * 4, completion_ids=ids, **cols(4))
    assert values == pytest.approx([0.5, 0.5, -0.5, -0.5])


def test_kimi_group_column_wins_over_prompt(kimi):
    values = kimi(prompts=["p"] * 4, completions=[RIGHT] * 4, completion_ids=[[1] * 10, [1] * 20, [1] * 30, [1] * 40],
                  group_id=[0, 0, 1, 1], **cols(4))
    assert values == pytest.approx([0.5, -0.5, 0.5, -0.5])
    by_prompt = get_reward("kimi_length", accuracy="countdown", group_by="prompt")
    values = by_prompt(prompts=["p"] * 4, completions=[RIGHT] * 4,
                       completion_ids=[[1] * 10, [1] * 20, [1] * 30, [1] * 40], group_id=[0, 0, 1, 1], **cols(4))
    assert values == pytest.approx([0.5, 1 / 6, -1 / 6, -0.5])
    by_column = get_reward("kimi_length", accuracy="countdown", group_by="column")
    assert "group_id" in by_column.required_columns()
    with pytest.raises(KeyError, match="group_id"):
        by_column(prompts=["p"], completions=[RIGHT], **cols(1))


def test_kimi_partial_groups(kimi):
    # a lone member of a group (TRL spread the rest over other ranks) scores 0
    assert kimi(prompts=["p"], completions=[RIGHT], completion_ids=[[1] * 5], **cols(1)) == [0.0]
    strict = get_reward("kimi_length", accuracy="countdown", expected_group_size=4, partial_groups="none")
    scores = strict.score_batch([RIGHT, RIGHT], prompts=["p", "p"], completion_ids=[[1] * 5, [1] * 9], **cols(2))
    assert [s.value for s in scores] == [None, None]
    assert scores[0].status == Status.SKIPPED and scores[0].details["partial_group"]
    lenient = get_reward("kimi_length", accuracy="countdown", expected_group_size=4)
    scores = lenient.score_batch([RIGHT, RIGHT], prompts=["p", "p"], completion_ids=[[1] * 5, [1] * 9], **cols(2))
    assert [s.value for s in scores] == [0.5, -0.5] and scores[0].details["partial_group"]
    full = strict.score_batch([RIGHT] * 4, prompts=["p"] * 4, completion_ids=[[1] * n for n in (1, 2, 3, 4)],
                              **cols(4))
    assert [s.value for s in full] == pytest.approx([0.5, 1 / 6, -1 / 6, -0.5])


def test_kimi_equal_lengths_and_unjudgeable(kimi):
    assert kimi(prompts=["p"] * 2, completions=[RIGHT, WRONG], completion_ids=[[1] * 3] * 2, **cols(2)) == [0.0, 0.0]
    out = kimi(prompts=["p"] * 2, completions=[RIGHT, RIGHT], completion_ids=[[1] * 3, [1] * 6],
               target=[3, "??"], nums=[[1, 2], [1, 2]])
    assert out == [0.5, None]
    # unreadable completions are skipped, the rest still scored
    out = kimi(prompts=["p"] * 3, completions=[RIGHT, {"role": "assistant"}, RIGHT],
               completion_ids=[[1] * 3, [1], [1] * 6], **cols(3))
    assert out == [0.5, None, -0.5]


# ============================================================================ thought_length
def test_think_span():
    assert think_span("<think> a </think> b") == " a "
    assert think_span("a </think> b") == "a "
    assert think_span("a </think> b", prefilled=False) is None
    assert think_span("<think> unterminated") is None
    assert think_span("x</think><think>y</think>") == "x"
    assert think_span("<r>q</r>", "r") == "q"


def test_thought_length_step_and_ramp():
    step = get_reward("thought_length", mode="step", threshold=10, unit="chars")
    assert step.score("<think>" + "x" * 11 + "</think>").value == 1.0
    assert step.score("<think>" + "x" * 10 + "</think>").value == 0.0
    ramp = get_reward("thought_length", target=100, unit="chars")
    assert ramp.score("<think>" + "x" * 25 + "</think>ans").value == 0.25
    assert ramp.score("<think>" + "x" * 500 + "</think>ans").value == 1.0
    s = ramp.score("<think>" + "x" * 50 + "</think>")
    assert s.details == {"length": 50, "unit": "chars"}


@pytest.mark.parametrize("text, status", [
    ("no think block", Status.BAD_FORMAT), ("<think>never closed " + "x" * 5000, Status.BAD_FORMAT),
    ("<think></think>answer", Status.OK), ("<think>  \n </think>answer", Status.OK), ("", Status.BAD_FORMAT),
])
def test_thought_length_missing_or_empty_scores_zero(text, status):
    for mode in ("step", "ramp"):
        s = get_reward("thought_length", mode=mode, threshold=0, target=1).score(text)
        assert s.value == 0.0 and s.status == status


def test_thought_length_prefilled_switch():
    strict = get_reward("thought_length", prefilled=False, target=10, unit="chars")
    assert strict.score("x" * 10 + "</think>").value == 0.0
    assert get_reward("thought_length", target=10, unit="chars").score("x" * 10 + "</think>").value == 1.0


def test_thought_length_token_units():
    r = get_reward("thought_length", target=100)
    text = "<think>" + "x" * 293 + "</think>" + "y" * 100  # think = 293 of 408 chars
    s = r.score(text, completion_ids=list(range(200)))
    assert s.details["unit"] == "tokens_estimated" and s.details["length"] == round(200 * 293 / len(text))
    assert r.score(text).details["unit"] == "chars"
    # exact split at a single-token </think>
    exact = get_reward("thought_length", target=100, think_end_token_id=99, think_start_token_id=98)
    s = exact.score(text, completion_ids=[98] + [5] * 40 + [99] + [6] * 10)
    assert s.details == {"length": 40, "unit": "tokens"} and s.value == 0.4
    s = exact.score(text, completion_ids=[5] * 40 + [99] + [6] * 10)  # prefilled: no start token
    assert s.details["length"] == 40
    s = exact.score(text, completion_ids=(5, 6, 7))  # no end token: falls back to the estimate
    assert s.details["unit"] == "tokens_estimated"
    forced = get_reward("thought_length", unit="tokens")
    s = forced.score(text)
    assert s.value is None and s.status == Status.INVALID_INPUT
    chars = get_reward("thought_length", unit="chars", target=293)
    assert chars.score(text, completion_ids=[1] * 5).value == 1.0


@pytest.mark.trl
def test_thought_length_with_a_tokenizer(tmp_path):
    pytest.importorskip("transformers")
    from rlvr.testing import build_tiny_tokenizer

    tok = build_tiny_tokenizer()
    tok.save_pretrained(tmp_path)
    r = get_reward("thought_length", tokenizer=str(tmp_path), target=100)
    s = r.score("<think>" + "ab" * 10 + "</think>answer")
    assert s.details == {"length": 20, "unit": "tokens"} and s.value == 0.2
    clone = pickle.loads(pickle.dumps(r))
    assert clone.score("<think>abc</think>").details["length"] == 3


# ============================================================================ all of them
@pytest.mark.parametrize("name, params", [
    ("thought_length", {}), ("soft_overlong", {}), ("cosine_length", {"accuracy": "countdown"}),
    ("kimi_length", {"accuracy": "countdown"}),
])
def test_contract_on_hostile_batches(name, params):
    r = get_reward(name, **params)
    completions = [None, 42, {"role": "assistant"}, "<think>" * 100_000, "</think>" * 100_000, "x" * 2_000_000,
                   [{"role": "assistant", "content": "<answer>1 + 2</answer>", "reasoning_content": "r"}], "\ud800"]
    n = len(completions)
    for ids in (None, [[1] * i for i in range(n)], [None] * n):
        values = r(prompts=["p"] * n, completions=completions, completion_ids=ids, **cols(n))
        assert len(values) == n
        assert all(v is None or (type(v) is float and math.isfinite(v)) for v in values)
    clone = pickle.loads(pickle.dumps(r))
    assert clone.__name__ == name
