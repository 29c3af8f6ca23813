"""Every registered reward survives hostile and malformed input.

For each reward in ``list_rewards()`` (kind ``reward``; built-ins and entry-point plugins, not
test-only rewards), instantiated with its defaults: fuzzed batches of completions (None,
numbers, dicts without content, empty and nested lists, lone surrogates, chat messages with odd
content) and fuzzed values for every required column. The reward must return exactly n values,
each ``None`` or a finite plain ``float``, and never raise. A deterministic 10 MB completion
checks that no reward is super-linear or crashes on size.
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlvr import get_reward, list_rewards


def _fuzzable() -> list[str]:
    return [
        i.name
        for i in list_rewards()
        if i.kind == "reward" and not i.module.split(".")[0].startswith(("test_", "tests", "conftest"))
    ]


REWARDS = _fuzzable()
#: Rewards that need one of several column layouts instead of fixed required columns.
_LAYOUT_COLUMNS = {"ifeval": ("ground_truth", "instruction_id_list", "kwargs")}


def _columns(name: str, reward) -> tuple[str, ...]:
    return tuple(reward.required_columns()) + _LAYOUT_COLUMNS.get(name, ())

# ----------------------------------------------------------------------------- strategies
_tags = st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "\\boxed{", "}", "```python\n", "```",
                         "\n", " = ", "24", "(", ")", "*", "**", "/0", "\ud800", "\x00", "é", "中文", "</"])
_texty = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_tags, st.text(max_size=8)), max_size=25).map("".join),
)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), _texty)
_json_like = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=10,
)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["assistant", "user", "tool", "system"])},
    optional={"content": st.one_of(st.none(), _texty, st.integers(),
                                   st.lists(st.one_of(st.fixed_dictionaries({"type": st.just("text"), "text": _texty}),
                                                      st.fixed_dictionaries({"type": st.just("image")}),
                                                      _texty, st.integers()), max_size=3)),
              "reasoning_content": st.one_of(st.none(), _texty), "thinking": _texty},
)
_completion = st.one_of(
    _texty,
    st.none(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just("\ud800"),  # lone surrogate: cannot be encoded to UTF-8
    st.just({"role": "assistant"}),  # dict without content
    st.just([]),
    st.just([[]]),
    st.lists(st.lists(_texty, max_size=2), max_size=2),  # nested lists
    _message,
    st.lists(_message, max_size=3),
    _json_like,
)


@st.composite
def _batch(draw, columns: tuple[str, ...]):
    n = draw(st.integers(min_value=1, max_value=4))
    completions = draw(st.lists(_completion, min_size=n, max_size=n))
    cols = {c: draw(st.lists(_json_like, min_size=n, max_size=n)) for c in columns}
    prompts = draw(st.one_of(st.none(), st.lists(st.one_of(_texty, st.lists(_message, max_size=2)), min_size=n,
                                                  max_size=n)))
    completion_ids = draw(st.one_of(st.none(), st.lists(st.lists(st.integers(0, 50_000), max_size=40), min_size=n,
                                                         max_size=n)))
    return n, {"prompts": prompts, "completions": completions, "completion_ids": completion_ids, **cols}


def _check(values, n, name):
    assert isinstance(values, list) and len(values) == n, f"{name}: {len(values)} values for {n} completions"
    for v in values:
        assert v is None or (type(v) is float and math.isfinite(v)), f"{name} returned {v!r}"


# ----------------------------------------------------------------------------- tests
def test_there_are_rewards_to_fuzz():
    assert REWARDS, "no rewards registered"


@pytest.mark.parametrize("name", REWARDS)
def test_reward_survives_fuzzed_batches(name):
    reward = get_reward(name)
    columns = _columns(name, reward)

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_batch(columns))
    def run(case):
        n, kwargs = case
        _check(reward(**kwargs), n, name)

    run()


# a long but plausible completion: thinking, an answer block, code and a formula
_HUGE = (
    "<think>" + ("step (1+2)*3 = 9; " * 300_000) + "</think>\n<answer>\\boxed{" + "1" * 1000 + "}</answer>\n"
    "```python\n" + "x = 1\n" * 50_000 + "```" + "((((" * 20_000
)


@pytest.mark.parametrize("name", REWARDS)
def test_reward_survives_a_10mb_completion(name):
    assert len(_HUGE) > 5_000_000
    reward = get_reward(name)
    columns = {c: ["42", None] for c in _columns(name, reward)}
    t = time.perf_counter()
    values = reward(prompts=["p", "p"], completions=[_HUGE, [{"role": "assistant", "content": _HUGE + "\ud800"}]],
                    completion_ids=[list(range(1000)), None], **columns)
    elapsed = time.perf_counter() - t
    _check(values, 2, name)
    assert elapsed < 30, f"{name} took {elapsed:.1f}s on a 10 MB completion"


@pytest.mark.parametrize("name", REWARDS)
def test_reward_uses_trainer_hooks_consistently(name):
    """log_extra gets n values; log_metric gets the same keys on every call (TRL averages them
    across ranks, which deadlocks or mislogs when ranks log different keys); values are finite."""
    reward = get_reward(name)
    keys_per_call = []
    for completions in (["<think>a</think><answer>1</answer>", "", None], [[{"role": "assistant", "content": "x"}]]):
        n = len(completions)
        extra, metrics = [], []
        columns = {c: ["1"] * n for c in _columns(name, reward)}
        values = reward(prompts=["p"] * n, completions=completions, completion_ids=[[1, 2]] * n,
                        log_extra=lambda col, vals, extra=extra: extra.append((col, vals)),
                        log_metric=lambda key, val, metrics=metrics: metrics.append((key, val)), trainer_state=None,
                        **columns)
        _check(values, n, name)
        assert all(len(vals) == n for _, vals in extra), extra
        assert all(isinstance(v, (int, float)) and math.isfinite(v) for _, v in metrics), metrics
        keys_per_call.append(sorted(k for k, _ in metrics))
    assert keys_per_call[0] == keys_per_call[1]
