"""Countdown presets: the Datawhale recipe reproduced, and its hardened twin ``countdown_r1``."""

from __future__ import annotations

import re

import pytest

from rlvr import RewardStack, get_reward

T, N = 95, [25, 3, 4, 7]
THINK = "Let me try 25 - 3 = 22, then 22 * 4 = 88 and 88 + 7 = 95. That works."
PAD = "Let me double check the arithmetic once more. " * 1000


# --- an independent oracle of the Datawhale recipe (the rules as its docstrings state them;
# --- fixed inputs only, so the equation check uses our evaluator rather than eval)
def oracle_format(completion: str) -> float:
    text = "<think>" + completion
    m = re.search(r"^<think>((?:(?!</?think>).)*)</think>\n<answer>(.*?)</answer>$", text, re.DOTALL)
    return 1.0 if m else 0.0


def oracle_equation(completion: str, target: int, nums: list[int]) -> float:
    from rlvr.verifiers.countdown import evaluate_countdown_expression

    m = re.search(r"<answer>(.*?)</answer>", "<think>" + completion)
    if not m:
        return 0.0
    eq = m.group(1).strip()
    if sorted(int(x) for x in re.findall(r"\d+", eq)) != sorted(nums):
        return 0.0
    if not re.match(r"^[\d+\-*/().\s]+$", eq):
        return 0.0
    try:
        return 1.0 if abs(float(evaluate_countdown_expression(eq)) - target) < 1e-5 else 0.0
    except ValueError:
        return 0.0


def oracle_thought_length(completion: str) -> float:
    m = re.search(r"<think>(.*?)</think>", "<think>" + completion, re.DOTALL)  # DOTALL: see the preset docstring
    return 1.0 if m and len(m.group(1).strip()) > 1000 else 0.0


CASES = [
    f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>",
    f"{THINK}</think>\n<answer>25 + 3 + 4 + 7</answer>",
    f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7 = 95</answer>",
    f"{THINK}</think><answer>(25 - 3) * 4 + 7</answer> trailing",
    f"{THINK}</think>\n<answer></answer>",
    f"{THINK * 20}</think>\n<answer>(25 - 3) * 4 + 7</answer>",
    f"{THINK * 20}</think>\n<answer>25 * 4 - 5</answer>",
    f"{THINK}\nmore\nlines</think>\n<answer>7 + 4 * (25 - 3)</answer>",
    "no think at all <answer>(25 - 3) * 4 + 7</answer>",
    f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>\n",
    f"{THINK}</think>\nsome text\n<answer>(25 - 3) * 4 + 7</answer>",
    f"{THINK} <think> nested </think>\n<answer>(25 - 3) * 4 + 7</answer>",
]


def test_datawhale_countdown_reproduces_the_recipe():
    stack = get_reward("datawhale_countdown")
    assert isinstance(stack, RewardStack)
    assert stack.names == ["format", "countdown", "thought_length"]
    assert stack.reward_weights == [1.0, 1.0, 1.0]
    for completion in CASES:
        got = stack.score(completion, target=T, nums=N).details["rewards"]
        expected = {"format": oracle_format(completion), "countdown": oracle_equation(completion, T, N),
                    "thought_length": oracle_thought_length(completion)}
        assert {k: v["value"] for k, v in got.items()} == expected, completion[:80]


def test_thought_length_step_boundary_is_strict():
    r = get_reward("thought_length", mode="step", threshold=1000, unit="chars")
    assert r.score("x" * 1000 + "</think>").value == 0.0
    assert r.score("x" * 1001 + "</think>").value == 1.0
    assert r.score("  " + "x" * 1000 + "  </think>").value == 0.0  # stripped, like the recipe


def _breakdown(stack, completion):
    s = stack.score(completion, target=T, nums=N)
    return s.value, {k: v["value"] for k, v in s.details["rewards"].items()}


def test_padding_pays_in_the_recipe_but_not_in_the_hardened_twin():
    honest = f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>"
    padded_correct = f"{PAD}{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>"
    padded_wrong = f"{PAD}{THINK}</think>\n<answer>25 + 3 + 4 + 7</answer>"

    recipe = get_reward("datawhale_countdown")
    _, parts = _breakdown(recipe, padded_correct)
    assert parts["thought_length"] == 1.0
    _, parts = _breakdown(recipe, padded_wrong)
    assert parts["thought_length"] == 1.0  # the recipe pays length even for a wrong answer
    assert _breakdown(recipe, padded_wrong)[0] > _breakdown(recipe, honest.replace("(25 - 3) * 4 + 7", "1"))[0]

    hardened = get_reward("countdown_r1")
    total_honest, parts = _breakdown(hardened, honest)
    assert parts["thought_length_if_correct"] > 0 and parts["repetition_penalty"] == 0.0
    for padded in (padded_correct, padded_wrong):
        total, parts = _breakdown(hardened, padded)
        assert parts["thought_length_if_correct"] == 0.0, "length must earn nothing when padded"
        assert parts["repetition_penalty"] < -0.9
        assert total < total_honest
    # a long, non-repetitive, correct reasoning still earns the full length reward
    varied = " ".join(f"Step {i}: try {i} + {i * 3} = {i * 4}, compare with {i * 7 % 13}." for i in range(60))
    _, parts = _breakdown(hardened, f"{varied}</think>\n<answer>(25 - 3) * 4 + 7</answer>")
    assert parts["thought_length_if_correct"] == 1.0


def test_hardened_twin_with_token_ids():
    hardened = get_reward("countdown_r1", length_target=100)
    honest = f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>"
    padded = f"{PAD}</think>\n<answer>(25 - 3) * 4 + 7</answer>"
    ids_honest = list(range(300))
    ids_padded = list(range(10)) * 1000
    out = hardened.score_batch([honest, padded], completion_ids=[ids_honest, ids_padded], target=[T, T], nums=[N, N])
    honest_parts = {k: v["value"] for k, v in out[0].details["rewards"].items()}
    padded_parts = {k: v["value"] for k, v in out[1].details["rewards"].items()}
    assert honest_parts["thought_length_if_correct"] == 1.0
    assert padded_parts["thought_length_if_correct"] == 0.0
    assert out[1].value < out[0].value


def test_presets_are_listed_and_configurable():
    from rlvr import list_rewards

    names = {i.name: i.kind for i in list_rewards()}
    for preset in ("countdown_tinyzero", "countdown_binary", "datawhale_countdown", "countdown_r1"):
        assert names[preset] == "preset"
    stack = get_reward("countdown_r1", length_weight=2.0, scheme="tinyzero")
    assert 2.0 in stack.reward_weights
    assert stack.score("<answer>1</answer>", target=T, nums=N).details["rewards"]["countdown"]["value"] == 0.1
    dw = get_reward("datawhale_countdown", countdown_params={"target_column": "goal"})
    assert "goal" in dw.required_columns()


@pytest.mark.parametrize("name", ["datawhale_countdown", "countdown_r1"])
def test_presets_work_as_trl_reward_funcs(name):
    stack = get_reward(name)
    completions = [f"{THINK}</think>\n<answer>(25 - 3) * 4 + 7</answer>", None, "x" * 10_000]
    for fn in stack.reward_funcs:
        values = fn(prompts=["p"] * 3, completions=completions, completion_ids=[[1, 2, 3]] * 3,
                    target=[T] * 3, nums=[N] * 3)
        assert len(values) == 3
    assert len(stack(completions=completions, target=[T] * 3, nums=[N] * 3)) == 3


def test_documented_format_deviation_from_the_recipe():
    # the recipe pins exactly one newline between </think> and <answer>; rlvr's format accepts any whitespace
    completion = f"{THINK}</think>\n\n<answer>(25 - 3) * 4 + 7</answer>"
    assert oracle_format(completion) == 0.0
    parts = get_reward("datawhale_countdown").score(completion, target=T, nums=N).details["rewards"]
    assert parts["format"]["value"] == 1.0
