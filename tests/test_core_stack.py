"""RewardStack, Gated, stack config files and picklability."""

from __future__ import annotations

import json
import multiprocessing
import pickle

import pytest

from rlvr import (
    Gated,
    Reward,
    RewardConfigError,
    RewardStack,
    Sample,
    Score,
    Status,
    gate,
    get_reward,
    load_stack,
    register,
)
from rlvr.rewards.base import RewardParams


class _LenParams(RewardParams):
    per_char: float = 0.1


@register("_stack_len")
class CharLength(Reward):
    """per_char * number of characters."""

    Params = _LenParams

    def judge(self, sample: Sample) -> Score:
        return Score(self.params.per_char * len(sample.text), Status.OK)


@register("_stack_exact")
class ExactSolution(Reward):
    """1.0 when the completion equals the ``solution`` column; None when the solution is empty."""

    def required_columns(self) -> tuple[str, ...]:
        return ("solution",)

    def judge(self, sample: Sample) -> Score:
        gold = sample.fields["solution"]
        if not gold:
            return Score(None, Status.GOLD_UNPARSEABLE, "empty gold")
        return Score(1.0 if sample.text.strip() == gold else 0.0, Status.CORRECT if sample.text.strip() == gold else Status.WRONG)


def _stack() -> RewardStack:
    return RewardStack([(get_reward("_stack_exact"), 1.0), (get_reward("_stack_len"), 0.5)], name="demo")


# --------------------------------------------------------------------------- stack arithmetic
def test_stack_weighted_sum_and_breakdown():
    stack = _stack()
    assert stack.names == ["_stack_exact", "_stack_len"]
    assert stack.reward_weights == [1.0, 0.5] and [f.__name__ for f in stack.reward_funcs] == stack.names
    assert stack.required_columns() == ("solution",)
    s = stack.score("ab", solution="ab")
    assert s.value == pytest.approx(1.0 + 0.5 * 0.2)
    assert s.details["rewards"]["_stack_exact"] == {"value": 1.0, "weight": 1.0, "status": "correct", "reason": ""}
    out = stack(prompts=["p", "p"], completions=["ab", "xyz"], solution=["ab", "ab"])
    assert out == [pytest.approx(1.1), pytest.approx(0.15)]


def test_stack_none_handling_like_trl_nansum():
    stack = _stack()
    # the exact reward cannot judge (empty gold): the total is the remaining weighted sum
    assert stack(completions=["abcd"], solution=[""]) == [pytest.approx(0.2)]
    only_exact = RewardStack([get_reward("_stack_exact"), (get_reward("_stack_len"), 0.0)], none_as=-5.0)
    s = only_exact.score("abcd", solution="")
    assert s.value is None and s.status is Status.GOLD_UNPARSEABLE  # weight-0 reward does not count...
    assert s.details["rewards"]["_stack_len"]["value"] == pytest.approx(0.4)  # ...but is reported
    assert only_exact(completions=["abcd"], solution=[""]) == [-5.0]


def test_stack_rejects_duplicates_and_non_rewards():
    with pytest.raises(ValueError, match="alias"):
        RewardStack([get_reward("_stack_len"), get_reward("_stack_len", per_char=1.0)])
    RewardStack([get_reward("_stack_len"), get_reward("_stack_len", per_char=1.0, alias="len2")])
    with pytest.raises(TypeError, match="must be rlvr rewards"):
        RewardStack([lambda **kw: [0.0]])
    with pytest.raises(ValueError, match="at least one"):
        RewardStack([])


def test_combined_call_logs_per_reward_metrics_only_when_asked():
    stack = _stack()
    metrics, extra = [], []
    out = stack(completions=["ab", "zz"], solution=["ab", ""],
                log_metric=lambda k, v: metrics.append((k, v)), log_extra=lambda c, v: extra.append((c, v)))
    assert len(out) == 2
    got = dict(metrics)
    assert got["rlvr/demo/_stack_exact"] == pytest.approx(1.0)  # mean over judged samples
    assert got["rlvr/demo/_stack_len"] == pytest.approx(0.2)
    assert got["rlvr/demo/unjudged_frac"] == 0.0
    assert extra == [("demo_status", ["ok", "ok"])]


# --------------------------------------------------------------------------- gating
def test_gated_values_and_statuses():
    g = gate(get_reward("_stack_len"), when=get_reward("_stack_exact"))
    assert g.__name__ == "_stack_len_if__stack_exact"
    assert g.required_columns() == ("solution",)
    scores = g.score_batch(["ab", "abc", "ab"], solution=["ab", "ab", ""])
    assert scores[0].value == pytest.approx(0.2) and scores[0].details["gate"]["value"] == 1.0
    assert scores[1].value == 0.0 and scores[1].status is Status.SKIPPED
    assert scores[1].details["ungated"]["value"] == pytest.approx(0.3)
    assert scores[2].value is None and scores[2].status is Status.GOLD_UNPARSEABLE
    g2 = Gated(get_reward("_stack_len"), get_reward("_stack_exact"), threshold=0.5, otherwise=-1.0, none_as=0.0)
    assert g2(completions=["abc", "x"], solution=["ab", ""]) == [-1.0, 0.0]


# --------------------------------------------------------------------------- configuration
CONFIG = {
    "name": "cfg",
    "rewards": [
        {"name": "_stack_exact", "weight": 2.0},
        {"name": "_stack_len", "weight": 0.5, "alias": "len_fine", "params": {"per_char": 0.01}},
        {"name": "_stack_len", "weight": 1.0, "gate": {"name": "_stack_exact", "threshold": 1.0}},
        "_stack_len=0.25",
    ],
}


def test_from_config():
    stack = RewardStack.from_config(CONFIG)
    assert stack.__name__ == "cfg"
    assert stack.names == ["_stack_exact", "len_fine", "_stack_len_if__stack_exact", "_stack_len"]
    assert stack.reward_weights == [2.0, 0.5, 1.0, 0.25]
    assert isinstance(stack.reward_funcs[2], Gated)
    # "ab" vs "ab": 2*1 + 0.5*0.02 + 1*0.2 + 0.25*0.2
    assert stack(completions=["ab"], solution=["ab"]) == [pytest.approx(2.0 + 0.01 + 0.2 + 0.05)]
    assert RewardStack.from_config(["_stack_len=2"]).reward_weights == [2.0]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"rewards": []}, "at least one"),
        ({"rewards": ["_stack_len"], "nme": "x"}, r"unknown key\(s\) \['nme'\]"),
        ({"rewards": [{"weight": 1}]}, r"rewards\[0\] needs a 'name'"),
        ({"rewards": [{"name": "_stack_len", "wieght": 1}]}, r"rewards\[0\] \(_stack_len\): unknown key"),
        ({"rewards": ["_stack_len=heavy"]}, "not a number"),
        ({"rewards": [{"name": "_stack_len", "params": {"per_chr": 1}}]}, "unknown parameter 'per_chr'"),
    ],
)
def test_from_config_errors(config, message):
    with pytest.raises(RewardConfigError, match=message):
        RewardStack.from_config(config)


def test_load_stack_json_toml_yaml(tmp_path):
    pytest.importorskip("yaml")
    (tmp_path / "s.json").write_text(json.dumps(CONFIG))
    (tmp_path / "s.toml").write_text(
        'name = "cfg"\n'
        '[[rewards]]\nname = "_stack_exact"\nweight = 2.0\n'
        '[[rewards]]\nname = "_stack_len"\nweight = 0.5\nalias = "len_fine"\nparams = { per_char = 0.01 }\n'
        '[[rewards]]\nname = "_stack_len"\nweight = 1.0\ngate = { name = "_stack_exact", threshold = 1.0 }\n'
        '[[rewards]]\nname = "_stack_len"\nweight = 0.25\n'
    )
    (tmp_path / "s.yaml").write_text(
        "name: cfg\nrewards:\n"
        "  - {name: _stack_exact, weight: 2.0}\n"
        "  - {name: _stack_len, weight: 0.5, alias: len_fine, params: {per_char: 0.01}}\n"
        "  - name: _stack_len\n    weight: 1.0\n    gate: {name: _stack_exact, threshold: 1.0}\n"
        "  - _stack_len=0.25\n"
    )
    results = []
    for fname in ("s.json", "s.toml", "s.yaml"):
        stack = load_stack(tmp_path / fname)
        assert stack.names == ["_stack_exact", "len_fine", "_stack_len_if__stack_exact", "_stack_len"], fname
        results.append(stack(completions=["ab", "b"], solution=["ab", "ab"]))
    assert results[0] == results[1] == results[2]
    (tmp_path / "bad.json").write_text('{"rewards": [{"name": "_stack_len", "oops": 1}]}')
    with pytest.raises(RewardConfigError, match="bad.json"):
        load_stack(tmp_path / "bad.json")


# --------------------------------------------------------------------------- picklability
def _call_in_child(func, kwargs, queue):
    queue.put((func.__name__, func(**kwargs)))


def test_rewards_stacks_and_gates_pickle_and_survive_a_spawned_process():
    stack = RewardStack.from_config(CONFIG)
    kwargs = {"prompts": ["p", "p"], "completions": ["ab", "b"], "solution": ["ab", "ab"]}
    expected = stack(**kwargs)
    for obj in [stack, *stack.reward_funcs]:
        clone = pickle.loads(pickle.dumps(obj))
        assert clone.__name__ == obj.__name__
        assert clone(**kwargs) == obj(**kwargs)
    ctx = multiprocessing.get_context("spawn")  # what TRL's async_grpo uses for reward_funcs
    queue = ctx.Queue()
    proc = ctx.Process(target=_call_in_child, args=(stack, kwargs, queue))
    proc.start()
    name, values = queue.get(timeout=120)
    proc.join(timeout=30)
    assert proc.exitcode == 0
    assert name == "cfg" and values == expected


def test_builtin_rewards_pickle_with_defaults():
    from rlvr import list_rewards

    for info in list_rewards():
        if info.kind != "reward" or not info.module.startswith("rlvr."):
            continue
        r = get_reward(info.name)
        clone = pickle.loads(pickle.dumps(r))
        assert clone.__name__ == r.__name__ and clone.params == r.params, info.name
