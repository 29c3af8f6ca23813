"""The ``countdown`` reward: extraction, scoring schemes, statuses, columns, trainer contract."""

from __future__ import annotations

import math
import pickle
import time

import pytest

from rlvr import RewardConfigError, Status, get_reward
from rlvr.rewards.countdown import COUNTDOWN_SCHEMES, extract_answer_span

T, N = 95, [25, 3, 4, 7]
GOOD = "<think>try (25-3)*4 = 88, +7 = 95</think>\n<answer>(25 - 3) * 4 + 7</answer>"


@pytest.fixture(scope="module")
def reward():
    return get_reward("countdown")


def test_correct(reward):
    s = reward.score(GOOD, target=T, nums=N)
    assert (s.value, s.status) == (1.0, Status.CORRECT)
    assert s.details["used_numbers"] == [25, 3, 4, 7]


@pytest.mark.parametrize("completion, reason", [
    ("<think>x</think><answer>25 + 3 + 4 + 7</answer>", "wrong_value"),
    ("<think>x</think><answer>25 * 4 - 5</answer>", "numbers_mismatch"),
    ("<think>x</think><answer>95**88**72**3</answer>", "forbidden_operator"),
    ("<think>x</think><answer>__import__('os').system('ls')</answer>", "not_an_equation"),
    ("<think>x</think><answer>The answer is 95</answer>", "not_an_equation"),
    ("<think>x</think><answer>2.5 * 38</answer>", "non_integer_literal"),
])
def test_wrong_answers_carry_reasons(reward, completion, reason):
    s = reward.score(completion, target=T, nums=N)
    assert (s.value, s.status) == (0.0, Status.WRONG)
    assert s.details["reason"] == reason
    assert reason in s.reason


@pytest.mark.parametrize("completion, reason", [
    ("no tags at all: (25 - 3) * 4 + 7", "no_answer_tag"),
    ("<think>x</think><answer></answer>", "empty_answer"),
    ("<think>x</think><answer>  \n </answer>", "empty_answer"),
    ("<think>x</think><answer>(25 - 3) * 4 + 7", "no_answer_tag"),  # truncated, never closed
    ("<think><answer>(25 - 3) * 4 + 7</answer></think> I am done", "no_answer_tag"),  # answer only inside think
    ("", "no_answer_tag"),
])
def test_no_answer(reward, completion, reason):
    s = reward.score(completion, target=T, nums=N)
    assert (s.value, s.status) == (0.0, Status.NO_ANSWER)
    assert s.details["reason"] == reason


def test_extraction_takes_last_answer_after_think():
    text = ("<think>maybe <answer>1</answer></think><answer>2</answer> text <answer>3</answer>")
    assert extract_answer_span(text) == "3"
    assert extract_answer_span("<answer>a</answer><answer>b</answer>") == "b"
    assert extract_answer_span("<answer>a</answer></think>") is None
    assert extract_answer_span("<r>x</r><sol>7</sol>", "sol", "r") == "7"
    # a later answer block wins even when an earlier one was correct
    r = get_reward("countdown")
    s = r.score(GOOD + "\n<answer>1 + 1</answer>", target=T, nums=N)
    assert s.details["reason"] == "numbers_mismatch"


def test_prefilled_think_and_chat_shapes(reward):
    prefilled = "I try (25-3)*4+7.</think>\n<answer>(25-3)*4+7</answer>"
    assert reward.score(prefilled, target=T, nums=N).value == 1.0
    chat = [{"role": "assistant", "content": "<answer>(25-3)*4+7</answer>", "reasoning_content": "thinking"}]
    assert reward.score(chat, target=T, nums=N).value == 1.0


def test_schemes():
    tz = get_reward("countdown", **COUNTDOWN_SCHEMES["tinyzero"])
    assert tz.score(GOOD, target=T, nums=N).value == 1.0
    assert tz.score("<answer>1 + 1</answer>", target=T, nums=N).value == pytest.approx(0.1)
    assert tz.score("<answer>(25-3)*4**7</answer>", target=T, nums=N).value == pytest.approx(0.1)
    assert tz.score("nothing", target=T, nums=N).value == 0.0
    assert tz.score("<answer></answer>", target=T, nums=N).value == 0.0  # TinyZero would pay 0.1 here
    stack = get_reward("countdown_tinyzero")
    assert stack(completions=[GOOD, "<answer>1</answer>", "x"], target=[T] * 3, nums=[N] * 3) == [1.0, 0.1, 0.0]
    binary = get_reward("countdown_binary")
    assert binary(completions=[GOOD, "<answer>1</answer>", "x"], target=[T] * 3, nums=[N] * 3) == [1.0, 0.0, 0.0]
    custom = get_reward("countdown", correct_score=2.0, wrong_score=-0.5, no_answer_score=-1.0)
    assert custom(completions=[GOOD, "<answer>1</answer>", "x"], target=[T] * 3, nums=[N] * 3) == [2.0, -0.5, -1.0]


@pytest.mark.parametrize("target, nums", [
    ("ninety-five", N), (None, N), ([95], N), (float("nan"), N), (True, N),
    (T, "not a list"), (T, None), (T, 95), (T, []), (T, [25, "x"]), (T, [25, -3]), (T, {"a": 1}), (T, [[25, 3]]),
])
def test_bad_columns_are_gold_unparseable(reward, target, nums):
    s = reward.score(GOOD, target=target, nums=nums)
    assert s.value is None and s.status == Status.GOLD_UNPARSEABLE
    assert s.reason.startswith("bad task columns")


def test_column_names_are_configurable():
    r = get_reward("countdown", target_column="goal", numbers_column="numbers")
    assert r.required_columns() == ("goal", "numbers")
    assert r(completions=[GOOD], goal=[T], numbers=[N]) == [1.0]
    with pytest.raises(KeyError, match="goal"):
        r(completions=[GOOD], target=[T], nums=[N])
    with pytest.raises(RewardConfigError):
        get_reward("countdown", target_column="x", numbers_column="x")
    with pytest.raises(RewardConfigError, match="wrong_scor"):
        get_reward("countdown", wrong_scor=0.1)


def test_options_pass_through():
    sub = get_reward("countdown", allow_subset=True)
    assert sub.score("<answer>25 * 4 - 5</answer>", target=95, nums=[25, 4, 5, 9]).value == 1.0
    no_eq = get_reward("countdown", allow_equals=False)
    assert no_eq.score("<answer>(25-3)*4+7 = 95</answer>", target=T, nums=N).value == 0.0
    assert get_reward("countdown").score("<answer>(25-3)*4+7 = 95</answer>", target=T, nums=N).value == 1.0
    tags = get_reward("countdown", answer_tag="eq", think_tag="reasoning")
    assert tags.score("<reasoning>..</reasoning><eq>(25-3)*4+7</eq>", target=T, nums=N).value == 1.0
    tight = get_reward("countdown", max_chars=10)
    assert tight.score(GOOD, target=T, nums=N).details["reason"] == "too_long"


def test_trainer_contract_on_a_hostile_batch(reward):
    completions = [
        GOOD, None, 42, {"role": "assistant"}, [[]],
        "<answer>" + "(" * 10_000 + "1" + ")" * 10_000 + "</answer>",
        "<answer>" + "9" * 10_000 + "</answer>",
        "<answer>9**9**9</answer>",
        "<answer>" + "1+" * 100_000 + "1</answer>",
        "<think>" + "x" * 1_000_000 + "</think><answer>(25-3)*4+7</answer>",
        "\ud800<answer>(25-3)*4+7</answer>",
    ]
    n = len(completions)
    t = time.perf_counter()
    values = reward(prompts=["p"] * n, completions=completions, completion_ids=None, target=[T] * n, nums=[N] * n,
                    trainer_state=object())
    assert time.perf_counter() - t < 2.0
    assert len(values) == n
    assert all(v is None or (type(v) is float and math.isfinite(v)) for v in values)
    assert values[0] == 1.0 and values[-2] == 1.0 and values[-1] == 1.0
    assert values[3] is None  # an unreadable completion
    assert values[5:9] == [0.0] * 4


def test_name_pickle_and_none_as():
    r = get_reward("countdown", alias="equation")
    assert r.__name__ == "equation"
    clone = pickle.loads(pickle.dumps(r))
    assert clone(completions=[GOOD], target=[T], nums=[N]) == [1.0]
    assert get_reward("countdown", none_as=0.0)(completions=[GOOD], target=["?"], nums=[N]) == [0.0]


def test_log_hooks_are_used_when_passed(reward):
    extra, metrics = {}, {}
    reward(completions=[GOOD, "x"], target=[T, T], nums=[N, N], log_extra=lambda k, v: extra.__setitem__(k, v),
           log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert extra["countdown_status"] == ["correct", "no_answer"]
    assert metrics
