"""veRL adapter: compute_score dispatch through DATA_SOURCES, return shape, ground-truth mapping."""

from __future__ import annotations

import importlib.util
import math
import pickle

import pytest

from rlvr import MissingColumnError, Reward, Sample, Score, Status, register
from rlvr.adapters import verl
from rlvr.adapters.verl import (
    DATA_SOURCES,
    RewardSpec,
    UnknownDataSourceError,
    compute_score,
    compute_score_batch,
    register_data_source,
    resolve_data_source,
)

COUNTDOWN_GT = {"target": 24, "numbers": [2, 3, 4]}
KEYS = {"score", "status", "reason", "judged"}


@register("_verl_echo")
class EchoReward(Reward):
    """1.0 when the completion equals the ``gold`` column; None for gold 'unknown'; reads extra ``bonus``."""

    def required_columns(self) -> tuple[str, ...]:
        return ("gold",)

    def judge(self, sample: Sample) -> Score:
        gold = sample.fields["gold"]
        if gold == "unknown":
            return Score(None, Status.GOLD_UNPARSEABLE, "no gold")
        bonus = float(sample.fields.get("bonus") or 0.0)
        return Score(float(sample.text == gold) + bonus, Status.OK)


@pytest.fixture
def table():
    saved = dict(DATA_SOURCES)
    yield DATA_SOURCES
    DATA_SOURCES.clear()
    DATA_SOURCES.update(saved)


def test_countdown_via_pattern_with_tinyzero_ground_truth():
    for source in ("countdown", "Jiayi-Pan/Countdown-Tasks-3to4", "countdown_3to4"):
        out = compute_score(source, "<think>x</think><answer>(3 - 2 + ... </answer>", COUNTDOWN_GT)
        assert set(out) == KEYS and out["status"] == "wrong" and out["score"] == 0.0
        good = compute_score(source, "<think>x</think><answer>(4 * 3) * 2</answer>", COUNTDOWN_GT)
        assert good == {"score": 1.0, "status": "correct", "reason": "", "judged": True}
    # numpy arrays from parquet are accepted
    np = pytest.importorskip("numpy")
    gt = {"target": np.int64(24), "nums": np.array([2, 3, 4])}
    assert compute_score("countdown", "<answer>2*3*4</answer>", gt, {"index": 7})["score"] == 1.0
    assert compute_score("countdown", "<answer>2*3*4</answer>", gt, return_dict=False) == 1.0


def test_unknown_data_source_lists_known_keys():
    with pytest.raises(UnknownDataSourceError) as info:
        compute_score("my/unmapped_set", "x", "1")
    msg = str(info.value)
    assert "'my/unmapped_set'" in msg and "openai/gsm8k" in msg and "countdown*" in msg
    assert "register_data_source" in msg


def test_exact_key_beats_pattern_and_longest_pattern_wins(table):
    register_data_source("echo*", RewardSpec("_verl_echo"))
    register_data_source("echo/special*", "_verl_echo", none_as=-1.0)
    register_data_source("echo/special/exact", RewardSpec("_verl_echo", none_as=-2.0))
    assert resolve_data_source("echo/x").none_as == 0.0
    assert resolve_data_source("ECHO/special/y").none_as == -1.0
    assert resolve_data_source("echo/special/exact").none_as == -2.0
    with pytest.raises(ValueError, match="already mapped"):
        register_data_source("echo*", RewardSpec("_verl_echo"))
    register_data_source("echo*", RewardSpec("_verl_echo", none_as=5.0), replace=True)
    assert resolve_data_source("echo/x").none_as == 5.0


def test_none_becomes_number_with_status_and_extra_info_columns(table):
    register_data_source("echo", RewardSpec("_verl_echo", none_as=-0.5))
    out = compute_score("echo", "abc", "unknown")
    assert out == {"score": -0.5, "status": "gold_unparseable", "reason": "no gold", "judged": False}
    assert compute_score("echo", "abc", "abc") == {"score": 1.0, "status": "ok", "reason": "", "judged": True}
    # extra_info keys become columns; ground truth (column 'gold') wins over an extra_info 'gold'
    out = compute_score("echo", "abc", "abc", {"bonus": 0.25, "gold": "zzz", "completions": "ignored"})
    assert out["score"] == 1.25
    # veRL passes extra keywords to custom functions: ignored
    assert compute_score("echo", "abc", "abc", None, sandbox_fusion_url=None, memory_limit_mb=1024)["score"] == 1.0


def test_missing_column_is_an_actionable_error(table):
    register_data_source("cd_bad", RewardSpec("countdown", ground_truth_column="target"))
    with pytest.raises(MissingColumnError, match="nums"):
        compute_score("cd_bad", "<answer>1</answer>", 24)


def test_batch_entry_point_groups_by_source(table):
    register_data_source("echo", RewardSpec("_verl_echo"))
    out = compute_score_batch(
        data_sources=["echo", "countdown", "echo", "countdown"],
        solution_strs=["a", "<answer>2*3*4</answer>", "b", "<answer>2+3+4</answer>"],
        ground_truths=["a", COUNTDOWN_GT, "unknown", COUNTDOWN_GT],
        extra_infos=[None, {"split": "train"}, None, None],
    )
    assert [r["score"] for r in out] == [1.0, 1.0, 0.0, 0.0]
    assert [r["status"] for r in out] == ["ok", "correct", "gold_unparseable", "wrong"]
    assert all(set(r) == KEYS and math.isfinite(r["score"]) for r in out)
    with pytest.raises(ValueError, match="data_sources"):
        compute_score_batch(["echo"], ["a", "b"], ["a", "b"])


def test_json_ground_truth_and_dict_spreading(table):
    register_data_source("echo_json", RewardSpec("_verl_echo", parse_json=True))
    assert compute_score("echo_json", "abc", '{"gold": "abc", "bonus": 1}')["score"] == 2.0
    assert compute_score("echo_json", "not json", "not json")["score"] == 1.0  # plain string: judged as is


def test_gsm8k_maps_to_numeric_answer():
    assert resolve_data_source("openai/gsm8k").reward == "numeric_answer"
    for text in ("48 + 24 = 72\n#### 72", "So the answer is \\boxed{72}."):
        out = compute_score("openai/gsm8k", text, "72")
        assert out["score"] == 1.0 and out["judged"] is True, (text, out)
    out = compute_score("openai/gsm8k", "#### 71", "72")
    assert out["score"] == 0.0 and out["status"] == "wrong"
    out = compute_score("openai/gsm8k", "#### 71", "seventy-two")
    assert out == {"score": 0.0, "status": "gold_unparseable", "reason": out["reason"], "judged": False}


def test_competition_math_maps_to_math_accuracy():
    assert resolve_data_source("HuggingFaceH4/MATH-500").reward == "math_accuracy"
    out = compute_score("HuggingFaceH4/MATH-500", "<think>t</think>\\boxed{\\frac{1}{2}}", "0.5")
    assert out["score"] == 1.0, out
    out = compute_score("aime_2024", "\\boxed{7}", "8")
    assert out["score"] == 0.0 and out["judged"] is True


def test_rewards_built_once_per_spec(table):
    register_data_source("echo", RewardSpec("_verl_echo"))
    compute_score("echo", "a", "a")
    first = verl._reward_for(resolve_data_source("echo"))
    compute_score("echo", "b", "b")
    assert verl._reward_for(resolve_data_source("echo")) is first
    assert pickle.loads(pickle.dumps(resolve_data_source("echo"))).reward == "_verl_echo"


def test_loads_as_a_file_like_verl_custom_reward_function():
    """veRL imports ``custom_reward_function.path`` with spec_from_file_location and takes ``name``."""
    spec = importlib.util.spec_from_file_location("custom_module", verl.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = module.compute_score
    assert fn("countdown", "<answer>4*3*2</answer>", COUNTDOWN_GT)["score"] == 1.0


def test_module_docstring_example_runs(table):
    """The ``my_reward.py`` example of the module docstring is a doctest (it used to pass a parameter
    math_accuracy does not have, and raised when veRL first called it)."""
    import doctest

    result = doctest.testmod(verl, optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted >= 3 and result.failed == 0
    assert resolve_data_source("my_org/my_math").params == {"strategies": ["boxed"]}


def _plain_length(completions, **kwargs):
    return [len(c) / 10 for c in completions]


def test_plain_functions_and_import_specs_as_reward_specs(table):
    register_data_source("plain_fn", RewardSpec(_plain_length))
    register_data_source("by_import", RewardSpec(f"{__name__}:_plain_length"))
    out = compute_score_batch(["plain_fn", "by_import"], ["abcde", "ab"], ["g", "g"])
    assert [o["score"] for o in out] == [0.5, 0.2] and [o["status"] for o in out] == ["ok", "ok"]
