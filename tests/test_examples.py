"""Example pipelines (examples/): converters, configs and profiles, reward wiring, rejection
sampling's selection rule, TRL keyword compatibility. In-process and fast; the real smoke runs
of every pipeline are in test_examples_smoke.py."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

from rlvr_examples.config import (
    CONFIG_DIR,
    PROFILE_DIR,
    ConfigError,
    apply_overrides,
    load_pipeline_config,
)
from rlvr_examples.converters import (
    LAYOUTS,
    LayoutError,
    convert_rows,
    get_layout,
    gsm8k_final_answer,
    stratos_to_think_answer,
)
from rlvr_examples.datasets_io import DatasetLoadError, read_local_rows
from rlvr_examples.rewards_setup import build_reward_stack, check_columns, set_reward_param
from rlvr_examples.trl_compat import UnknownTrainingKey, filter_config_kwargs

PIPELINE_CONFIGS = sorted(p for p in CONFIG_DIR.glob("*.yaml"))
PROFILES = sorted(p.stem for p in PROFILE_DIR.glob("*.yaml") if p.stem != "smoke")


def sample_rows(layout: str) -> list[dict]:
    return read_local_rows(EXAMPLES / "data" / get_layout(layout).sample_file)


# ------------------------------------------------------------------------------------- converters
EXPECTED_SAMPLE_COUNTS = {
    "gsm8k": (6, 0), "openr1_math": (3, 1), "math_boxed": (3, 0), "countdown": (6, 0),
    "verifiable_code": (4, 0), "bespoke_stratos": (4, 1), "openr1_math_sft": (3, 1), "sft_messages": (2, 0),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_converts_its_bundled_sample(layout):
    rows, report = convert_rows(sample_rows(layout), layout)
    assert (report.kept, report.skipped) == EXPECTED_SAMPLE_COUNTS[layout]
    for row in rows:
        assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"].strip()
        if LAYOUTS[layout].kind == "sft":
            reply = row["completion"][0]["content"]
            assert row["completion"][0]["role"] == "assistant"
            assert reply.startswith("<think>\n") and reply.endswith("\n</answer>")
            assert "<|begin_of_thought|>" not in reply and "<|begin_of_solution|>" not in reply
        json.dumps(row)  # plain data, writable as JSONL


def test_layout_names_and_samples_are_consistent():
    assert EXPECTED_SAMPLE_COUNTS.keys() == LAYOUTS.keys()
    for layout in LAYOUTS.values():
        assert (EXAMPLES / "data" / layout.sample_file).exists(), layout.name


@pytest.mark.parametrize("text,expected", [
    ("12 - 2 = 10.\n#### 10", "10"),
    ("#### 1,234", "1234"),
    ("so\n#### -5", "-5"),
    ("####3.5", "3.5"),
    ("#### 72.", "72"),
    ("no final marker 72", None),
    ("#### ", None),
    ("#### 10\ntrailing line", None),
])
def test_gsm8k_final_answer(text, expected):
    assert gsm8k_final_answer(text) == expected


def test_gsm8k_rows_carry_the_number_as_solution():
    rows, _ = convert_rows(sample_rows("gsm8k"), "gsm8k")
    assert [r["solution"] for r in rows] == ["10", "20", "950", "210", "260", "6"]
    assert rows[0]["prompt"][0]["role"] == "system" and "<answer>" in rows[0]["prompt"][0]["content"]


def test_bespoke_stratos_markers_become_think_answer():
    text = "<|begin_of_thought|>\n\nI reason.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{4}\n\n<|end_of_solution|>"
    assert stratos_to_think_answer(text) == "<think>\nI reason.\n</think>\n<answer>\n\\boxed{4}\n</answer>"


@pytest.mark.parametrize("text", [
    "<|begin_of_thought|>\ncut off",                                                        # truncated
    "no markers at all",
    ("<|begin_of_thought|>a<|end_of_thought|><|begin_of_thought|>b<|end_of_thought|>"
     "<|begin_of_solution|>s<|end_of_solution|>"),                                          # two thoughts
    "<|begin_of_solution|>s<|end_of_solution|><|begin_of_thought|>a<|end_of_thought|>",      # wrong order
    "<|begin_of_thought|> <|end_of_thought|><|begin_of_solution|>s<|end_of_solution|>",      # empty thought
    "<|begin_of_thought|>a<|end_of_thought|><|begin_of_solution|> <|end_of_solution|>",      # empty solution
])
def test_bespoke_stratos_malformed_replies_are_skipped(text):
    assert stratos_to_think_answer(text) is None


def test_bespoke_stratos_system_prompt_is_replaced_and_multiturn_skipped():
    rows, _ = convert_rows(sample_rows("bespoke_stratos"), "bespoke_stratos")
    for row in rows:
        assert all("<|begin_of_thought|>" not in m["content"] for m in row["prompt"])
        assert "<think>" in row["prompt"][0]["content"]
    multi = {"conversations": [{"from": "user", "value": "a"}, {"from": "assistant", "value": "b"},
                               {"from": "user", "value": "c"}, {"from": "assistant", "value": "d"}]}
    assert convert_rows([multi], "bespoke_stratos")[1].skipped == 1
    custom, _ = convert_rows(sample_rows("bespoke_stratos"), "bespoke_stratos", system_prompt="")
    assert custom[0]["prompt"][0]["role"] == "user"  # "" means no system turn


def test_wrong_layout_names_the_columns():
    with pytest.raises(LayoutError, match=r"row 0: layout 'gsm8k' needs column\(s\) \['question', 'answer'\].*\['nums', 'target'\]"):
        convert_rows(sample_rows("countdown"), "gsm8k")
    with pytest.raises(LayoutError, match="unknown layout 'gsm8"):
        get_layout("gsm8")
    with pytest.raises(LayoutError, match="row 1 is str"):
        convert_rows([{"target": 3, "nums": [1, 2]}, "junk"], "countdown")


def test_countdown_rows_and_bad_values():
    rows, report = convert_rows([
        {"target": 24, "nums": [4, 6, 1]},
        {"target": 24.0, "numbers": [4.0, 6, 1]},          # rlvr generator key, integral floats
        {"target": "24", "nums": [4, 6, 1]},               # string target: skipped
        {"target": 24, "nums": [4, 6.5, 1]},               # non-integer number
        {"target": 24, "nums": [True, 6, 1]},              # bools are not numbers
        {"target": 24, "nums": "[4, 6, 1]"},               # JSON-encoded list
        {"target": 24, "nums": []},
    ], "countdown")
    assert report.skipped == 4
    assert [(r["target"], r["nums"]) for r in rows] == [(24, [4, 6, 1])] * 3
    assert "[4, 6, 1]" in rows[0]["prompt"][-1]["content"] and "24" in rows[0]["prompt"][-1]["content"]


def test_verifiable_code_rows():
    rows, _ = convert_rows(sample_rows("verifiable_code"), "verifiable_code")
    infos = [json.loads(r["verification_info"]) for r in rows]
    assert all(i["language"] == "python" and i["test_cases"] for i in infos)
    assert infos[1]["test_cases"][0] == {"input": "hello\n", "output": "olleh\n", "type": "stdin_stdout"}
    skipped = [
        {"prompt": "p", "verification_info": {"language": "cpp", "test_cases": [{"input": "", "output": "1"}]}},
        {"prompt": "p", "verification_info": {"language": "python", "test_cases": [
            {"input": "1", "output": "1", "type": "function_call", "fn_name": "f"}]}},
        {"prompt": "p", "verification_info": {"language": "python", "test_cases": []}},
        {"prompt": "p", "verification_info": "{not json"},
        {"prompt": "  ", "verification_info": {"language": "python", "test_cases": [{"input": "", "output": "1"}]}},
    ]
    assert convert_rows(skipped, "verifiable_code")[1].skipped == len(skipped)


def test_openr1_math_layouts():
    rows, _ = convert_rows(sample_rows("openr1_math"), "openr1_math")
    assert [r["solution"] for r in rows] == ["7", "\\frac{5}{6}", "6"]
    sft, _ = convert_rows(sample_rows("openr1_math_sft"), "openr1_math_sft")
    # the second problem's first generation is marked wrong: the correct one is used
    assert "5/6" in sft[1]["completion"][0]["content"] and "2/5" not in sft[1]["completion"][0]["content"]
    boxed, _ = convert_rows(sample_rows("math_boxed"), "math_boxed")
    assert [r["solution"] for r in boxed] == ["32", "\\frac{3}{4}", "3"]


def test_sft_messages_layout():
    rows, report = convert_rows(sample_rows("sft_messages") + [
        {"messages": [{"role": "user", "content": "q"}]},                                  # no reply
        {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": " "}]},
    ], "sft_messages")
    assert report.skipped == 2
    assert rows[0]["prompt"][0]["role"] == "system" and rows[0]["completion"][0]["content"].startswith("<think>")


# ------------------------------------------------------------------------------------- local files
def test_read_local_rows_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n\n{"a": \n', encoding="utf-8")
    with pytest.raises(DatasetLoadError, match=r"bad.jsonl:3: not valid JSON"):
        read_local_rows(bad)
    arr = tmp_path / "rows.json"
    arr.write_text('[{"a": 1}, {"a": 2}]', encoding="utf-8")
    assert read_local_rows(arr) == [{"a": 1}, {"a": 2}]
    with pytest.raises(DatasetLoadError, match="not found"):
        read_local_rows(tmp_path / "missing.jsonl")


def test_local_parquet_round_trip(tmp_path):
    datasets = pytest.importorskip("datasets")

    rows = sample_rows("countdown")
    path = tmp_path / "countdown.parquet"
    datasets.Dataset.from_list(rows).to_parquet(str(path))
    assert read_local_rows(path) == rows


def test_stage_rows_mix_limit_shuffle_and_generator(tmp_path):
    from rlvr_examples.config import StageConfig
    from rlvr_examples.datasets_io import load_stage_rows

    stage = StageConfig(name="s", kind="grpo", rewards="countdown", datasets=[
        {"source": str(EXAMPLES / "data" / "countdown.jsonl"), "layout": "countdown", "limit": 2},
        {"source": "rlvr:countdown", "layout": "countdown", "generate": {"n": 5, "seed": 3, "max_numbers": 3}},
    ])
    rows = load_stage_rows(stage, lambda name: tmp_path / name)
    assert len(rows) == 7 and all(isinstance(r["target"], int) for r in rows)
    again = load_stage_rows(stage, lambda name: tmp_path / name)
    assert rows == again  # seeded shuffle and generator: reproducible
    assert sum(len(r["nums"]) == 3 for r in rows) >= 5
    empty = StageConfig(name="e", kind="sft", datasets=[{"source": "@rs", "layout": "sft_messages"}])
    with pytest.raises(DatasetLoadError, match="run stage 'rs' first"):
        load_stage_rows(empty, lambda name: tmp_path / name)
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "kept.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(DatasetLoadError, match="no usable rows"):
        load_stage_rows(empty, lambda name: tmp_path / name)


# ------------------------------------------------------------------------------------- configs
@pytest.mark.parametrize("config", PIPELINE_CONFIGS, ids=lambda p: p.stem)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_config_validates_with_every_profile(config, profile):
    cfg = load_pipeline_config(config, profile=profile)
    assert cfg.profile == profile and cfg.stages
    for stage in cfg.stages:
        if stage.kind == "grpo":
            t = stage.train
            n = t["num_generations"]
            assert n >= 2
            # TRL: the generation batch (micro-batch x accumulation) must hold whole groups
            assert (t["per_device_train_batch_size"] * t.get("gradient_accumulation_steps", 1)) % n == 0
            assert stage.max_prompt_length and t["max_completion_length"]
            assert stage.max_prompt_length + t["max_completion_length"] <= cfg.model.max_seq_length
        build_reward_stack(stage.rewards) if stage.rewards else None


def test_t4_profile_is_fp16_4bit():
    cfg = load_pipeline_config(CONFIG_DIR / "r1_math_pipeline.yaml", profile="t4")
    assert cfg.model.precision == "fp16" and cfg.model.load_in_4bit
    grpo = cfg.stage("grpo_math")
    assert grpo.train["num_generations"] == 4 and grpo.train["max_steps"] == 500  # profile + file


def test_profile_file_and_set_precedence():
    cfg = load_pipeline_config(CONFIG_DIR / "r1_math_pipeline.yaml", profile="a100",
                               assignments=["stages.grpo_math.train.max_steps=7", "model.lora_rank=8",
                                            "stages.rejection_sampling.sampling.k=3"])
    grpo = cfg.stage("grpo_math")
    assert grpo.train["max_steps"] == 7 and grpo.train["num_generations"] == 16
    assert cfg.model.lora_rank == 8 and cfg.model.alpha == 128  # the profile sets lora_alpha explicitly
    assert cfg.stage("rejection_sampling").sampling.k == 3


def test_smoke_overrides_win_and_point_at_bundled_samples():
    cfg = load_pipeline_config(CONFIG_DIR / "r1_math_pipeline.yaml", profile="t4", smoke=True)
    assert cfg.backend == "trl" and cfg.model.name == "@tiny" and cfg.model.precision == "fp32"
    assert not cfg.model.load_in_4bit
    for stage in cfg.stages:
        for ds in stage.datasets:
            assert ds.source.startswith("@") or Path(ds.source).exists()
        if stage.kind in ("sft", "grpo"):
            assert stage.train["max_steps"] == 2
    assert cfg.stage("second_sft").datasets[0].source == "@rejection_sampling"
    gen = load_pipeline_config(CONFIG_DIR / "grpo_countdown_generated.yaml", smoke=True)
    assert gen.stages[0].datasets[0].source == "rlvr:countdown" and gen.stages[0].datasets[0].generate["n"] == 6


@pytest.mark.parametrize("assignments,match", [
    (["stages.nope.train.max_steps=1"], "no stage named 'nope'"),
    (["max_steps"], "KEY=VALUE"),
    (["stages.grpo_math.trian.max_steps=1"], "trian"),
    (["model.precision=fp8"], "precision"),
    (["stages.grpo_math.datasets=[]"], "at least one dataset"),
])
def test_config_errors_are_actionable(assignments, match):
    with pytest.raises(ConfigError, match=match):
        load_pipeline_config(CONFIG_DIR / "r1_math_pipeline.yaml", assignments=assignments)


def test_unknown_profile_and_layout(tmp_path):
    with pytest.raises(ConfigError, match="unknown profile 'tpu'.*t4"):
        load_pipeline_config(CONFIG_DIR / "grpo_countdown.yaml", profile="tpu")
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\noutput_dir: o\nmodel: {name: m}\nstages:\n"
                   "  - {name: s, kind: sft, datasets: [{source: a.jsonl, layout: gsm9k}]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown layout 'gsm9k'"):
        load_pipeline_config(bad)
    bad.write_text("name: x\noutput_dir: o\nmodel: {name: m}\nstages:\n"
                   "  - {name: s, kind: grpo, datasets: [{source: a.jsonl, layout: gsm8k}]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs 'rewards'"):
        load_pipeline_config(bad)


def test_apply_overrides_parses_yaml_values():
    raw = {"stages": [{"name": "a", "train": {}}]}
    out = apply_overrides(raw, ["stages.a.train.lr=1e-5", "stages.a.train.flag=true", "report_to=wandb"])
    assert out["stages"][0]["train"] == {"lr": 1e-5, "flag": True} and out["report_to"] == "wandb"
    assert raw == {"stages": [{"name": "a", "train": {}}]}  # input untouched


# ------------------------------------------------------------------------------------- rewards wiring
def _stage_rows(config: str, stage_name: str):
    cfg = load_pipeline_config(CONFIG_DIR / config, smoke=True)
    stage = cfg.stage(stage_name)
    ds = stage.datasets[0]
    rows, _ = convert_rows(read_local_rows(Path(ds.source)), ds.layout)
    return stage, rows


def _columns(rows):
    return {k: [r[k] for r in rows] for k in rows[0] if k not in ("prompt", "completion")}


def test_math_stack_scores_gold_answers_and_rejects_wrong_ones():
    stage, rows = _stage_rows("r1_math_pipeline.yaml", "grpo_math")
    stack = build_reward_stack(stage.rewards)
    check_columns(stack, list(rows[0]), stage.name)
    gold = [f"<think>\nWorking it out.\n</think>\n<answer>\n\\boxed{{{r['solution']}}}\n</answer>" for r in rows]
    wrong = [f"<think>\nHmm.\n</think>\n<answer>\n\\boxed{{{r['solution']}1}}\n</answer>" for r in rows]
    scores = stack.score_batch(gold + wrong, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    per = [s.details["rewards"] for s in scores]
    assert all(p["math_accuracy"]["value"] == 1.0 and p["format"]["value"] == 1.0 for p in per[: len(rows)])
    assert all(p["math_accuracy"]["value"] == 0.0 and p["format"]["value"] == 1.0 for p in per[len(rows):])


COUNTDOWN_GOLD = {24: "4 * 6 * 1", 10: "2 * 3 + 4", 98: "44 + 19 + 35", 64: "4 * (6 + 8 + 2)", 15: "3 + 5 + 7", 36: "9 * 2 * 2 * 1"}


def test_countdown_stack_scores_gold_equations():
    stage, rows = _stage_rows("grpo_countdown.yaml", "grpo_countdown")
    stack = build_reward_stack(stage.rewards)
    check_columns(stack, list(rows[0]), stage.name)
    think = "Let me try the numbers. " * 10
    gold = [f"<think>\n{think}\n</think>\n<answer>{COUNTDOWN_GOLD[r['target']]}</answer>" for r in rows]
    reuse = [f"<think>\n{think}\n</think>\n<answer>{r['nums'][0]} * 1</answer>" for r in rows]
    scores = stack.score_batch(gold + reuse, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    assert all(s.details["rewards"]["countdown"]["value"] == 1.0 for s in scores[: len(rows)])
    assert all(s.details["rewards"]["countdown"]["value"] == 0.0 for s in scores[len(rows):])


def test_code_stack_runs_gold_programs_in_the_sandbox():
    stage, rows = _stage_rows("grpo_code.yaml", "grpo_code")
    spec = set_reward_param(stage.rewards, {"code_tests"}, "backend", "local")
    stack = build_reward_stack(spec)
    check_columns(stack, list(rows[0]), stage.name)
    golds = [r["gold_standard_solution"] for r in sample_rows("verifiable_code")]
    good = [f"<think>\nEasy.\n</think>\n<answer>\n```python\n{g}```\n</answer>" for g in golds]
    bad = ["<think>\nEasy.\n</think>\n<answer>\n```python\nprint(0)\n```\n</answer>"] * len(rows)
    scores = stack.score_batch(good + bad, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    assert [s.details["rewards"]["code_tests"]["value"] for s in scores[: len(rows)]] == [1.0] * len(rows)
    assert all(s.details["rewards"]["code_tests"]["value"] == 0.0 for s in scores[len(rows):])


def test_set_reward_param_on_presets_lists_and_stacks():
    assert set_reward_param("open_r1_code", {"code_tests"}, "backend", "local", preset_key="backend") == \
        {"preset": "open_r1_code", "params": {"backend": "local"}}
    lst = set_reward_param(["code_tests=1.0", "format=0.1"], {"code_tests"}, "backend", "docker")
    assert lst[0] == {"name": "code_tests", "weight": 1.0, "params": {"backend": "docker"}} and lst[1] == {"name": "format", "weight": 0.1}
    stack = build_reward_stack(set_reward_param("open_r1_code", {"code_tests"}, "backend", "local", preset_key="backend"))
    assert "code_tests" in stack.names


def test_missing_reward_column_fails_before_training():
    stack = build_reward_stack({"preset": "countdown_r1", "params": {"prefilled": False}})
    with pytest.raises(ValueError, match=r"need column\(s\) \['target', 'nums'\].*'solution'"):
        check_columns(stack, ["prompt", "solution"], "grpo_countdown")


# ------------------------------------------------------------------------------------- rejection sampling
def test_select_verified_keeps_correct_well_formed_unique_samples():
    from rlvr_examples.rejection import select_verified

    stage, rows = _stage_rows("r1_math_pipeline.yaml", "rejection_sampling")
    stack = build_reward_stack(stage.rewards)
    rows = rows[:2]  # gold "7" and "\frac{5}{6}"

    def fmt(ans: str) -> str:
        return f"<think>\nreasoning\n</think>\n<answer>\n\\boxed{{{ans}}}\n</answer>"

    samples = [
        [fmt("7"), fmt("7"), fmt("8"), "\\boxed{7}", fmt("7.0")],     # dup, wrong, unformatted, equivalent
        [fmt("5/6"), fmt("\\frac{5}{6}"), fmt("\\frac{10}{12}")],   # three distinct correct ones
    ]
    result = select_verified(rows, samples, stack, {"math_accuracy": 1.0, "format": 1.0}, max_kept_per_prompt=2)
    assert len(result.candidates) == 8
    accepted = [(c["prompt_index"], c["sample_index"]) for c in result.candidates if c["accepted"]]
    assert accepted == [(0, 0), (0, 1), (0, 4), (1, 0), (1, 1), (1, 2)]
    kept = [(k["prompt_index"], k["sample_index"]) for k in result.kept]
    assert kept == [(0, 0), (0, 4), (1, 0), (1, 1)]  # duplicate dropped, at most 2 per prompt
    row = result.kept[0]
    assert row["rewards"] == {"math_accuracy": 1.0, "format": 1.0}
    assert row["completion"] == [{"role": "assistant", "content": fmt("7")}]
    # kept rows are SFT data for the sft_messages layout
    sft, report = convert_rows(result.kept, "sft_messages")
    assert report.skipped == 0 and sft[0]["completion"][0]["content"] == fmt("7")
    summary = result.summary(k=5)
    assert summary["pass_at_k"] == 1.0 and summary["kept_rows"] == 4 and summary["samples"] == 8
    with pytest.raises(ValueError, match="not in the reward stack"):
        select_verified(rows, samples, stack, {"accuracy": 1.0})


# ------------------------------------------------------------------------------------- TRL keywords
def test_trl_keyword_filter_against_an_old_style_config():
    @dataclasses.dataclass
    class OldGRPOConfig:  # the shape of TRL 0.22 (Unsloth's pin): max_prompt_length, warmup_ratio
        output_dir: str = ""
        max_prompt_length: int = 512
        num_generations: int = 8
        warmup_ratio: float = 0.0
        max_seq_length: int = 1024

    out = filter_config_kwargs(OldGRPOConfig, {"max_prompt_length": 256, "warmup_ratio": 0.1, "max_length": 99,
                                               "multi_objective_aggregation": "sum_then_normalize"})
    assert out == {"max_prompt_length": 256, "warmup_ratio": 0.1, "max_seq_length": 99}
    with pytest.raises(UnknownTrainingKey, match="'num_generation' \\(did you mean 'num_generations'"):
        filter_config_kwargs(OldGRPOConfig, {"num_generation": 4})


@pytest.mark.trl
def test_trl_keyword_filter_against_installed_trl():
    from rlvr_examples.trl_compat import config_fields
    from trl import GRPOConfig, SFTConfig

    grpo = config_fields(GRPOConfig)
    out = filter_config_kwargs(GRPOConfig, {"max_prompt_length": 256, "num_generations": 4, "warmup_ratio": 0.1})
    assert out["num_generations"] == 4
    assert ("max_prompt_length" in out) == ("max_prompt_length" in grpo)
    assert out.get("warmup_ratio", out.get("warmup_steps")) == 0.1
    sft = filter_config_kwargs(SFTConfig, {"max_seq_length": 512})
    assert sft == ({"max_length": 512} if "max_length" in config_fields(SFTConfig) else {"max_seq_length": 512})


def test_report_to_validation():
    import importlib.util

    from rlvr_examples.stages import StageError, report_to_list

    assert report_to_list("none") == [] and report_to_list(" ") == []
    with pytest.raises(StageError, match="unknown logger 'mlflowx'"):
        report_to_list("tensorboard,mlflowx")
    for name, module in (("tensorboard", "tensorboard"), ("wandb", "wandb"), ("swanlab", "swanlab")):
        installed = importlib.util.find_spec(module) is not None or (name == "tensorboard" and importlib.util.find_spec("tensorboardX"))
        if installed:
            assert report_to_list(name.upper()) == [name]
        else:
            with pytest.raises(StageError, match=f"pip install {module}"):
                report_to_list(name)
