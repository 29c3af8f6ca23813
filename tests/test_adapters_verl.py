"""veRL adapter: compute_score dispatch through DATA_SOURCES, return shape, ground-truth mapping."""

from __future__ import annotations

import importlib.util
import json
import math
import pickle

import numpy as np
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
KEYS = {"score", "acc", "status", "reason", "judged"}


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
        assert good == {"score": 1.0, "acc": 1.0, "status": "correct", "reason": "", "judged": True}
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
    assert out == {"score": -0.5, "acc": 0.0, "status": "gold_unparseable", "reason": "no gold", "judged": False}
    assert compute_score("echo", "abc", "abc") == {"score": 1.0, "acc": 1.0, "status": "ok", "reason": "", "judged": True}
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
    assert out == {"score": 0.0, "acc": 0.0, "status": "gold_unparseable", "reason": out["reason"], "judged": False}


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


# ----------------------------------------------------------------------------------------- issue 10
CODE_GT = {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"]}
CODE_GOOD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
CODE_BAD = "```python\na, b = map(int, input().split())\nprint(a * b)\n```"

#: reward family -> (ground truth, correct completion, wrong completion, wrong value)
CASES = {
    "numeric_answer": ("72", "48 + 24 = 72\n#### 72", "#### 71", 0.0),
    "math_accuracy": ("\\frac{1}{2}", "<think>t</think> \\boxed{0.5}", "Answer: 3", 0.0),
    "math_dapo": ("34", "Let me think.\nAnswer: 34", "Let me think.\nAnswer: 33", -1.0),
    "countdown": (COUNTDOWN_GT, "<think>x</think><answer>(4 * 3) * 2</answer>", "<answer>2 + 3 + 4</answer>", 0.0),
    "code_tests": (CODE_GT, CODE_GOOD, CODE_BAD, 0.0),
}


def _family(key: str) -> str:
    spec = DATA_SOURCES[key]
    if spec.reward == "math_accuracy" and spec.params.get("wrong_value") == -1.0:
        return "math_dapo"
    return spec.reward


def _docker_or_skip():
    import os

    from rlvr.sandbox import docker_usable
    from rlvr.sandbox.docker_backend import DEFAULT_IMAGE

    ok, why = docker_usable(DEFAULT_IMAGE)
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"CI requires the Docker sandbox for the veRL code sources: {why}")
        pytest.skip(f"Docker sandbox not usable here: {why}")


@pytest.mark.docker
def test_every_builtin_data_source_scores_correct_max_and_wrong_at_its_documented_value():
    """Each DATA_SOURCES key (patterns made concrete) scores a correct sample at its scale's max and a
    wrong one at its documented value (0.0; -1.0 for math_dapo). A new key without a case fails here."""
    _docker_or_skip()
    sources, texts, gts, expected = [], [], [], []
    for key in DATA_SOURCES:
        family = _family(key)
        assert family in CASES, f"DATA_SOURCES[{key!r}] ({family}) has no test case"
        gt, good, bad, wrong_value = CASES[family]
        source = key.replace("*", "x")
        assert resolve_data_source(source) is DATA_SOURCES[key], key
        sources += [source, source]
        texts += [good, bad]
        gts += [gt, json.dumps(gt) if family == "code_tests" else gt]  # code: dict and JSON string
        expected += [(key, 1.0, 1.0), (key, wrong_value, 0.0)]
    out = compute_score_batch(sources, texts, gts)
    got = [(key, r["score"], r["acc"]) for (key, _, _), r in zip(expected, out)]
    assert got == expected
    assert all(set(r) == KEYS and r["judged"] is True for r in out)


def test_math_dapo_reads_answer_lines_on_verls_scale():
    """Before: "Answer: 34" had no extractable answer (no_answer, 0.0) and the scale was 0/1."""
    assert compute_score("math_dapo", "We add.\nAnswer: 34", "34")["score"] == 1.0
    assert compute_score("math_dapo", "**Answer:** $34$", "34")["score"] == 1.0
    for text in ("Answer: 35", "no answer at all", "", "Answer:"):
        out = compute_score("math_dapo", text, "34")
        assert (out["score"], out["acc"], out["judged"]) == (-1.0, 0.0, True), (text, out)
    # the 0/1 maths sources read the same line
    assert compute_score("aime_2024", "so\nAnswer: 204", "204")["score"] == 1.0
    assert compute_score("math", "so\nAnswer: 204", "205")["score"] == 0.0


@pytest.mark.docker
def test_code_ground_truth_is_the_tests_record_not_spread_into_columns():
    """Before: the dict was spread into columns ``inputs``/``outputs`` and code_tests raised
    MissingColumnError('verification_info') inside the reward step."""
    _docker_or_skip()
    call = {"inputs": [[1, 2], [3, 4]], "outputs": [3, 7], "fn_name": "add"}
    fn_code = "```python\ndef add(a, b):\n    return a + b\n```"
    contests = {"public_tests": {"input": ["1 2\n"], "output": ["3\n"]},
                "private_tests": {"input": ["3 4\n"], "output": ["7\n"]},
                "generated_tests": {"input": [], "output": []}}
    out = compute_score_batch(
        ["apps", "taco", "codecontests", "codeforces", "primeintellect", "my/code_set"],
        [CODE_GOOD, fn_code, CODE_GOOD, CODE_BAD, CODE_GOOD, CODE_GOOD],
        [CODE_GT, json.dumps(call), contests, {"input": ["1 2\n"], "output": ["3\n"]},
         json.dumps({"test_cases": [{"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"}]}),
         np.array([json.dumps(CODE_GT)], dtype=object)[0]],
    )
    assert [(r["score"], r["status"]) for r in out] == [
        (1.0, "correct"), (1.0, "correct"), (1.0, "correct"), (0.0, "wrong"), (1.0, "correct"), (1.0, "correct")]
    assert out[2]["reason"].startswith("2/2"), out[2]  # public + private tests of code_contests


def test_unreadable_code_tests_are_not_judged_and_do_not_raise():
    out = compute_score_batch(["apps", "apps"], [CODE_GOOD, CODE_GOOD], ["not json", {"public_tests": 3}])
    assert [(r["score"], r["status"], r["judged"]) for r in out] == [(0.0, "gold_unparseable", False)] * 2


def test_result_is_a_dict_that_also_answers_index_0_for_the_prime_manager():
    out = compute_score("countdown", "<answer>2*3*4</answer>", COUNTDOWN_GT)
    assert isinstance(out, dict) and out[0] == out["score"] == 1.0 and 0 not in out.keys()
    assert float(out[0]) == 1.0 and dict(out) == {"score": 1.0, "acc": 1.0, "status": "correct", "reason": "",
                                                     "judged": True}
    assert pickle.loads(pickle.dumps(out)) == out and pickle.loads(pickle.dumps(out))[0] == 1.0
    with pytest.raises(KeyError):
        out[1]


def test_loaded_by_path_hands_out_the_importable_module_so_it_pickles():
    """veRL's load_module runs the file under ``custom_module_<hash>`` without registering it in
    sys.modules; before, pickling compute_score from there failed (prime manager: all scores 0)."""
    spec = importlib.util.spec_from_file_location("custom_module_12345", verl.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.compute_score is verl.compute_score and module.DATA_SOURCES is verl.DATA_SOURCES
    fn = pickle.loads(pickle.dumps(module.compute_score))
    assert fn("countdown", "<answer>4*3*2</answer>", COUNTDOWN_GT)[0] == 1.0


HOSTILE = [
    "x" * 3_000_000,
    "\\boxed{" * 50_000,
    "<answer>" + "9**9**9**9" + "</answer>",
    "Answer: " + "(" * 100_000,
    "\x00\ud800 broken",
    None,
    12345,
    b"Answer: 34",
    ["not", "text"],
]


@pytest.mark.parametrize("source, gt", [("math_dapo", "34"), ("countdown", COUNTDOWN_GT), ("openai/gsm8k", "72"),
                                        ("lighteval/MATH", "\\frac12")])
def test_hostile_model_output_never_raises_and_returns_one_result_each(source, gt):
    out = compute_score_batch([source] * len(HOSTILE), HOSTILE, [gt] * len(HOSTILE))
    assert len(out) == len(HOSTILE)
    for text, r in zip(HOSTILE, out):
        assert set(r) == KEYS and math.isfinite(r["score"]) and r["score"] <= 1.0, (str(text)[:40], r)
    assert out[7]["score"] == (1.0 if source == "math_dapo" else out[7]["score"])  # bytes are decoded


def test_check_config_names_the_fix():
    legacy = {"custom_reward_function": {"path": verl.__file__, "name": "compute_score"},
              "reward": {"custom_reward_function": {"path": None, "name": None}, "reward_manager": {"name": "naive"}}}
    with pytest.raises(verl.VerlConfigError, match=r"reward\.custom_reward_function\.path=pkg://rlvr\.adapters\.verl"):
        verl.check_config(legacy)
    with pytest.raises(verl.VerlConfigError, match="no custom reward function"):
        verl.check_config({"reward": {"reward_manager": {"name": "naive"}}})
    good = {"reward": {"custom_reward_function": {"path": "pkg://rlvr.adapters.verl", "name": "compute_score"},
                       "reward_manager": {"name": "dapo"}}}
    verl.check_config(good)
    good["reward"]["reward_manager"]["name"] = "batch"
    with pytest.raises(verl.VerlConfigError, match="compute_score_batch"):
        verl.check_config(good)
    good["reward"]["custom_reward_function"]["name"] = "score"
    with pytest.raises(verl.VerlConfigError, match="defines compute_score"):
        verl.check_config(good)


def test_check_dataset_finds_unknown_sources_and_missing_columns_before_training():
    rows = [{"data_source": "countdown", "reward_model": {"ground_truth": COUNTDOWN_GT, "style": "rule"}},
            {"data_source": "math_dapo", "reward_model": {"ground_truth": "34"}, "extra_info": {"index": 1}}]
    assert verl.check_dataset(rows) == 2
    with pytest.raises(UnknownDataSourceError, match="register_data_source"):
        verl.check_dataset(rows + [{"data_source": "mystery", "reward_model": {"ground_truth": "1"}}])
    with pytest.raises(MissingColumnError, match=r"row 1 .*'nums'"):
        verl.check_dataset([rows[0], {"data_source": "countdown", "reward_model": {"ground_truth": {"target": 3}}}])
    with pytest.raises(ValueError, match="reward_model.ground_truth"):
        verl.check_dataset([{"data_source": "countdown", "reward_model": {}}])
