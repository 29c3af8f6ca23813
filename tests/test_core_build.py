"""The one extension point (judge / judge_batch), the composite protocol and the one spec-to-stack builder."""

from __future__ import annotations

import json
import pickle

import pytest

from rlvr.rewards.base import Reward, RewardConfigError, Sample
from rlvr.rewards.build import RewardSpecError, build_reward, build_stack
from rlvr.rewards.composite import Composite
from rlvr.rewards.length import CosineLengthReward, KimiLengthReward
from rlvr.rewards.registry import UnknownRewardError, get_reward, list_rewards, register
from rlvr.rewards.stack import Gated, RewardStack, gate
from rlvr.score import Score, Status


@register("_build_exact")
class _Exact(Reward):
    """1.0 when the completion equals the ``solution`` column; None for an empty solution."""

    def required_columns(self) -> tuple[str, ...]:
        return ("solution",)

    def judge(self, sample: Sample) -> Score:
        gold, same = sample.fields["solution"], sample.text == sample.fields["solution"]
        if gold:
            return Score(float(same), (Status.WRONG, Status.CORRECT)[same])
        return Score(None, Status.GOLD_UNPARSEABLE, "empty gold")


@register("_build_batch_len")
class _BatchLen(Reward):
    """Length relative to the longest completion of the batch (needs the batch)."""

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        longest = max((len(s.text) for s in samples), default=0) or 1
        return [Score(len(s.text) / longest, Status.OK) for s in samples]


def length_ratio(completions, **kwargs):
    """A plain TRL reward function: length / 10."""
    return [len(c) / 10 for c in completions]


# --------------------------------------------------------------------------- one extension point
@pytest.mark.parametrize("method", ["score_batch", "score"])
def test_overriding_a_final_method_fails_at_class_definition(method):
    with pytest.raises(TypeError, match=f"overrides {method}.*judge_batch"):
        type("Bad", (Reward,), {method: lambda self, *a, **k: None})


def test_either_judge_or_judge_batch_serves_single_and_batch_calls():
    batch_only = get_reward("_build_batch_len")
    sample = Sample("abc")
    assert batch_only.judge(sample) == Score(1.0, Status.OK)  # single sample through judge_batch
    assert [s.value for s in batch_only.score_batch(["ab", "abcd"])] == [0.5, 1.0]
    per_sample = get_reward("_build_exact")
    assert [s.value for s in per_sample.judge_batch([Sample("a", fields={"solution": "a"})])] == [1.0]


def test_a_reward_with_neither_override_reports_errors_without_recursing():
    class Empty(Reward):
        pass

    scores = Empty().score_batch(["a", "b"])
    assert [s.status for s in scores] == [Status.ERROR, Status.ERROR] and "judge() or judge_batch()" in scores[0].reason


def test_builtin_rewards_override_exactly_one_judging_method():
    for info in list_rewards():
        if info.kind != "reward" or not info.module.startswith("rlvr."):
            continue
        cls = type(get_reward(info.name))
        own = {m for klass in cls.__mro__ if klass not in (Reward, Composite, object)
               for m in ("judge", "judge_batch") if m in vars(klass)}
        assert len(own) == 1, f"{info.name} overrides {sorted(own)}: override judge OR judge_batch"


def test_gated_judge_does_not_raise():
    g = gate(get_reward("_build_batch_len"), when=get_reward("_build_exact"))
    assert g.judge(Sample("ab", fields={"solution": "ab"}, completion="ab")) == Score(
        1.0, Status.OK, "", {"gate": {"value": 1.0, "status": "correct", "reason": "", "details": {}}})
    assert g.judge(Sample("ab", fields={"solution": "x"}, completion="ab")).status is Status.SKIPPED


# --------------------------------------------------------------------------- one composite protocol
def test_stack_gate_and_shaped_length_rewards_share_the_composite_protocol():
    exact = get_reward("_build_exact")
    stack = RewardStack([exact, (get_reward("_build_batch_len"), 0.5)])
    gated = gate(get_reward("_build_batch_len"), when=exact)
    cosine = get_reward("cosine_length", accuracy="_build_exact")
    kimi = get_reward("kimi_length", accuracy="_build_exact", group_by="column")
    for composite in (stack, gated, cosine, kimi):
        assert isinstance(composite, Composite)
        assert "solution" in composite.required_columns()
        assert pickle.loads(pickle.dumps(composite)).required_columns() == composite.required_columns()
    assert isinstance(cosine, CosineLengthReward) and isinstance(kimi, KimiLengthReward)
    assert stack.children() == (exact, stack.entries[1].reward) and stack.child_weights() == (1.0, 0.5)
    assert gated.children() == (gated.reward, exact) and cosine.children() == (cosine.accuracy_reward,)
    assert kimi.required_columns() == ("solution", "group_id")  # derived from the child, plus its own
    assert stack.additive and not gated.additive and not cosine.additive
    # the composites judge through their children, whatever the batch shape
    scores = cosine.score_batch(["a", "bb", {"role": "assistant"}], solution=["a", "x", "a"])
    assert scores[0].value == pytest.approx(1.0, abs=1e-3) and scores[1].value < -0.99
    assert scores[2].status is Status.INVALID_INPUT
    assert cosine.score("a", solution="").status is Status.GOLD_UNPARSEABLE


def test_the_scoring_plan_expands_additive_composites_only():
    from rlvr.scoring.plan import _expand

    inner = RewardStack([get_reward("_build_exact"), (gate(get_reward("_build_batch_len"),
                                                         when=get_reward("_build_exact")), 0.5)], name="inner")
    outer = RewardStack([(inner, 2.0), (get_reward("cosine_length", accuracy="_build_exact"), 0.25)])
    out: list = []
    _expand(outer, 1.0, out)
    assert [(c.name, c.weight) for c in out] == [("_build_exact", 2.0), ("_build_batch_len_if__build_exact", 1.0),
                                                 ("cosine_length", 0.25)]

    class EntriesButNoJudge:  # duck typing used to expand anything with .entries and no .judge
        __name__ = "odd"
        entries = ()

        def required_columns(self):
            return ()

    out = []
    _expand(EntriesButNoJudge(), 1.0, out)
    assert [c.name for c in out] == ["odd"]


# --------------------------------------------------------------------------- one builder
def test_build_stack_accepts_every_spec_shape(tmp_path):
    exact = get_reward("_build_exact")
    cases = {
        "name": ("_build_exact", [("_build_exact", 1.0)]),
        "name=weight": ("_build_exact=0.5", [("_build_exact", 0.5)]),
        "dict of weights": ({"_build_exact": 2, "_build_batch_len": 0.5}, [("_build_exact", 2.0), ("_build_batch_len", 0.5)]),
        "dict of entries": ({"_build_exact": {"weight": 3, "alias": "ex"}}, [("ex", 3.0)]),
        "entry": ({"name": "_build_exact", "weight": 4}, [("_build_exact", 4.0)]),
        "list": (["_build_exact", ("_build_batch_len", 0.1), length_ratio], [("_build_exact", 1.0),
                 ("_build_batch_len", 0.1), ("length_ratio", 1.0)]),
        "reward": (exact, [("_build_exact", 1.0)]),
        "pair": ((exact, 0.3), [("_build_exact", 0.3)]),
        "function": (length_ratio, [("length_ratio", 1.0)]),
        "module:attr": (f"{__name__}:length_ratio=2", [("length_ratio", 2.0)]),
        "module:class": (f"{__name__}:_Exact", [("_build_exact", 1.0)]),
        "stack config": ({"name": "cfg", "rewards": ["_build_exact"]}, [("_build_exact", 1.0)]),
        "function entry": ({"name": f"{__name__}:length_ratio", "alias": "lr", "params": {"none_as": 0.0}},
                           [("lr", 1.0)]),
    }
    for label, (spec, expected) in cases.items():
        stack = build_stack(spec)
        assert list(zip(stack.names, stack.reward_weights)) == expected, label
    path = tmp_path / "stack.json"
    path.write_text(json.dumps({"name": "from_file", "rewards": [{"name": "_build_exact", "weight": 2}]}))
    for spec in (path, str(path)):
        assert build_stack(spec).__name__ == "from_file" and build_stack(spec).reward_weights == [2.0]
    ready = build_stack(exact)
    assert build_stack(ready) is ready and build_stack(ready, name="renamed").__name__ == "renamed"
    assert ready.__name__ == "reward_stack"


def test_build_errors_name_the_problem():
    with pytest.raises(RewardSpecError, match="not an rlvr reward"):
        build_stack([lambda completions, **kw: []])
    with pytest.raises(RewardSpecError, match=r"\(reward, weight\) pairs"):
        build_stack([("_build_exact", 1.0, 2.0)])
    with pytest.raises(RewardSpecError, match="must be a number"):
        build_stack([("_build_exact", "heavy")])
    with pytest.raises(UnknownRewardError, match="_build_exct"):
        build_stack("_build_exct")
    with pytest.raises(ImportError, match="no attribute"):
        build_stack(f"{__name__}:nothing_here")
    with pytest.raises(RewardConfigError, match="params/alias"):
        build_reward(get_reward("_build_exact"), params={"x": 1})
    with pytest.raises(RewardConfigError, match="unknown parameter 'x'"):
        build_reward(length_ratio, params={"x": 1})


def test_from_config_load_stack_trl_and_plan_all_build_through_the_builder(tmp_path):
    from rlvr.adapters.trl import trl_reward_funcs
    from rlvr.rewards.stack import load_stack
    from rlvr.scoring.plan import build_plan

    spec = f"{__name__}:length_ratio"  # only the builder knows module:attr specs
    assert RewardStack.from_config([spec]).names == ["length_ratio"]
    (tmp_path / "s.json").write_text(json.dumps({"rewards": [spec]}))
    assert load_stack(tmp_path / "s.json").names == ["length_ratio"]
    assert [f.__name__ for f in trl_reward_funcs([spec])[0]] == ["length_ratio"]
    assert build_plan([spec + "=0.5"]).weights == {"length_ratio": 0.5}
    assert build_plan(config=str(tmp_path / "s.json")).names == ["length_ratio"]


def test_every_preset_stack_has_a_name_and_dead_helpers_are_gone():
    import rlvr.rewards.registry as registry
    import rlvr.score as score

    for info in list_rewards():
        if info.kind == "preset" and info.module.startswith("rlvr."):
            assert get_reward(info.name).__name__ == info.name, info.name
    assert not hasattr(registry, "reward_class") and not hasattr(score, "unjudgeable")
    assert not hasattr(Reward, "acall") and "__reduce__" not in vars(Gated)
