"""The seeded countdown generator: determinism, bounds, solvability (gold scores 1.0)."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from rlvr import get_reward
from rlvr.tasks import (
    CountdownTaskConfig,
    countdown_prompt,
    countdown_rows,
    generate_countdown_task,
    generate_countdown_tasks,
    write_countdown_tasks,
)
from rlvr.verifiers.countdown import evaluate_countdown_expression


def test_gold_of_10000_tasks_scores_one():
    rows = list(countdown_rows(10_000, seed=2024))
    reward = get_reward("countdown")
    completions = [f"<think>...</think>\n<answer>{r['solution']}</answer>" for r in rows]
    values = reward(completions=completions, target=[r["target"] for r in rows], nums=[r["nums"] for r in rows])
    assert len(values) == 10_000
    bad = [(r, v) for r, v in zip(rows, values) if v != 1.0]
    assert not bad, bad[:3]


@pytest.mark.parametrize("config", [
    CountdownTaskConfig(min_numbers=2, max_numbers=6, max_value=20, max_target=500),
    CountdownTaskConfig(operators=("+", "*"), min_numbers=3, max_numbers=3),
    CountdownTaskConfig(allow_negative=True, min_target=-50, max_target=50),
    CountdownTaskConfig(integer_division=False, operators=("/", "+"), min_value=1, max_value=9, max_target=50),
    CountdownTaskConfig(min_value=0, max_value=5, min_target=0, max_target=20),
])
def test_gold_scores_one_under_other_configs(config):
    reward = get_reward("countdown")
    for task in generate_countdown_tasks(500, seed=7, config=config):
        assert config.min_numbers <= len(task.nums) <= config.max_numbers
        assert all(config.min_value <= n <= config.max_value for n in task.nums)
        assert config.min_target <= task.target <= config.max_target
        assert reward.score(f"<answer>{task.solution}</answer>", target=task.target, nums=list(task.nums)).value == 1.0


def test_operator_restriction_is_respected():
    config = CountdownTaskConfig(operators=("+", "-"))
    for task in generate_countdown_tasks(300, seed=3, config=config):
        assert "*" not in task.solution and "/" not in task.solution


def test_integer_division_keeps_every_step_integral():
    config = CountdownTaskConfig(operators=("/", "*"), min_value=1, max_value=12, max_target=1000)
    for task in generate_countdown_tasks(300, seed=5, config=config):
        # every parenthesised sub-expression is an integer
        text = task.solution
        stack = []
        for i, ch in enumerate(text):
            if ch == "(":
                stack.append(i)
            elif ch == ")":
                start = stack.pop()
                assert evaluate_countdown_expression(text[start:i + 1]).denominator == 1


def test_deterministic_and_index_addressable():
    a = list(generate_countdown_tasks(50, seed=11))
    b = list(generate_countdown_tasks(50, seed=11))
    assert a == b
    assert list(generate_countdown_tasks(10, seed=11, start=40)) == a[40:]
    assert a != list(generate_countdown_tasks(50, seed=12))


def test_numbers_are_shuffled_and_varied():
    tasks = list(generate_countdown_tasks(400, seed=0))
    sizes = Counter(len(t.nums) for t in tasks)
    assert set(sizes) == {3, 4}
    assert len({t.target for t in tasks}) > 50
    # the gold's left-to-right order is not the nums order for a good share of tasks
    import re

    differs = sum([int(x) for x in re.findall(r"\d+", t.solution)] != list(t.nums) for t in tasks)
    assert differs > 200


def test_impossible_config_raises_with_advice():
    config = CountdownTaskConfig(operators=("+",), min_value=1, max_value=2, min_numbers=2, max_numbers=2,
                                 min_target=100, max_target=200, max_attempts=50)
    with pytest.raises(ValueError, match="widen"):
        generate_countdown_task(random.Random(0), config)


@pytest.mark.parametrize("kwargs", [dict(min_numbers=0), dict(min_numbers=5, max_numbers=4), dict(operators=("**",)),
                                    dict(operators=()), dict(min_value=-1), dict(min_target=10, max_target=1),
                                    dict(max_value=10**10), dict(max_numbers=13)])
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        CountdownTaskConfig(**kwargs)


def test_rows_and_prompts():
    row = next(countdown_rows(1, seed=1))
    assert set(row) == {"id", "prompt", "target", "nums", "solution"}
    assert row["prompt"][0]["role"] == "user" and str(row["target"]) in row["prompt"][0]["content"]
    chat = next(countdown_rows(1, seed=1, prefill_think=True))["prompt"]
    assert chat[-1] == {"role": "assistant", "content": "<think>\n"}
    text = next(countdown_rows(1, seed=1, prompt_format="text", prefill_think=True))["prompt"]
    assert isinstance(text, str) and text.startswith("A conversation between User and Assistant")
    assert text.endswith("Assistant: <think>")
    custom = countdown_prompt([1, 2], 3, prompt_format="text", template="Make {target} from {nums}.")
    assert custom == "Make 3 from [1, 2]."
    with pytest.raises(ValueError):
        countdown_prompt([1, 2], 3, prompt_format="xml")  # type: ignore[arg-type]


def test_write_countdown_tasks(tmp_path):
    path = write_countdown_tasks(tmp_path / "sub" / "tasks.jsonl", 25, seed=3, max_numbers=5, max_target=300)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    rows = [json.loads(line) for line in lines]
    assert rows == list(countdown_rows(25, seed=3, config=CountdownTaskConfig(max_numbers=5, max_target=300)))
    reward = get_reward("countdown")
    values = reward(completions=[f"<answer>{r['solution']}</answer>" for r in rows],
                    target=[r["target"] for r in rows], nums=[r["nums"] for r in rows])
    assert values == [1.0] * 25
    with pytest.raises(ValueError):
        write_countdown_tasks(tmp_path / "x.jsonl", 1, config=CountdownTaskConfig(), max_numbers=5)
