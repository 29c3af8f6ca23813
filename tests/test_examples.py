"""The example scripts (examples/*.py), in-process and fast: readable-recipe rules, profiles that TRL
accepts, each script's reward stack on gold and wrong answers, the rejection-sampling selection
rule on real `rlvr score` output, and the generation settings (KV cache kept on in a real GRPO step).
The --smoke runs of every script are in test_examples_smoke.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _file_module import load_file_module

from rlvr.layouts import load_layout

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = ["sft_cold_start.py", "grpo_math.py", "grpo_countdown.py", "grpo_code.py", "rejection_sampling.py",
           "r1_pipeline.py"]
GRPO_SCRIPTS = ["grpo_math.py", "grpo_countdown.py", "grpo_code.py"]
# TRL calls transformers' renamed gradient-checkpointing methods (dependency noise; the scripts filter it too)
pytestmark = pytest.mark.filterwarnings(
    r"ignore:`(is_gradient_checkpointing|gradient_checkpointing_(en|dis)able)` is deprecated:FutureWarning")


def load_script(name: str):
    """Import an example script as a module (its heavy imports live inside functions)."""
    return load_file_module(EXAMPLES / name)


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_self_contained_recipes(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250, f"{name} is longer than 250 lines"
    assert "sys.path" not in text and "rlvr_examples" not in text  # no hidden framework
    assert not (EXAMPLES / "rlvr_examples").exists() and not list(EXAMPLES.glob("configs/*.yaml"))
    assert "--smoke" in text
    module = load_script(name)
    assert callable(module.main)


@pytest.mark.parametrize("name", GRPO_SCRIPTS)
def test_grpo_profiles_hold_whole_groups(name):
    profiles = load_script(name).PROFILES
    assert set(profiles) == {"smoke", "t4", "a100"}
    for label, p in profiles.items():
        assert p["num_generations"] >= 2, label
        # TRL: the generation batch (micro-batch x accumulation) must hold whole groups
        assert (p["batch_size"] * p["grad_accum"]) % p["num_generations"] == 0, label
    assert profiles["t4"]["load_in_4bit"] and not profiles["smoke"]["load_in_4bit"]
    assert profiles["smoke"]["max_prompt_length"] + profiles["smoke"]["max_completion_length"] <= 1024  # tiny model


def _columns(rows: list[dict]) -> dict[str, list]:
    return {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}


def test_math_stack_scores_gold_1_and_wrong_0():
    rows, _ = load_layout(EXAMPLES / "data" / "gsm8k.jsonl", "gsm8k")
    stack = load_script("grpo_math.py").reward_stack()
    gold = [f"<think>\nWorking.\n</think>\n<answer>\n\\boxed{{{r['solution']}}}\n</answer>" for r in rows]
    wrong = [f"<think>\nHmm.\n</think>\n<answer>\n\\boxed{{{r['solution']}1}}\n</answer>" for r in rows]
    scores = stack.score_batch(gold + wrong, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    per = [s.details["rewards"] for s in scores]
    assert all(p["math_accuracy"]["value"] == 1.0 and p["format"]["value"] == 1.0 for p in per[: len(rows)])
    assert all(p["math_accuracy"]["value"] == 0.0 and p["format"]["value"] == 1.0 for p in per[len(rows):])
    assert stack.reward_weights == [1.0, 0.5, 0.25]


COUNTDOWN_GOLD = {24: "4 * 6 * 1", 10: "2 * 3 + 4", 98: "44 + 19 + 35", 64: "4 * (6 + 8 + 2)", 15: "3 + 5 + 7",
                  36: "9 * 2 * 2 * 1"}


def test_countdown_stack_pays_thought_length_only_for_correct_equations():
    rows, _ = load_layout(EXAMPLES / "data" / "countdown.jsonl", "countdown")
    stack = load_script("grpo_countdown.py").reward_stack(thought_target=50)
    think = "Let me try the numbers one by one. " * 3  # > 50 characters: the length term saturates
    gold = [f"<think>\n{think}\n</think>\n<answer>{COUNTDOWN_GOLD[r['target']]}</answer>" for r in rows]
    reuse = [f"<think>\n{think}\n</think>\n<answer>{r['nums'][0]} * 1</answer>" for r in rows]
    scores = stack.score_batch(gold + reuse, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    names = stack.names
    assert names == ["countdown", "format", "thought_length_if_countdown"]
    for s in scores[: len(rows)]:
        assert [s.details["rewards"][n]["value"] for n in names] == [1.0, 1.0, 1.0]
    for s in scores[len(rows):]:  # well formed and long, but wrong: no length reward
        assert [s.details["rewards"][n]["value"] for n in names] == [0.0, 1.0, 0.0]


def test_code_stack_runs_gold_programs_in_the_sandbox():
    raw = [json.loads(line) for line in (EXAMPLES / "data" / "verifiable_code.jsonl").read_text().splitlines()]
    rows, _ = load_layout(EXAMPLES / "data" / "verifiable_code.jsonl", "verifiable_code")
    stack = load_script("grpo_code.py").reward_stack("local")
    good = [f"<think>\nEasy.\n</think>\n<answer>\n```python\n{r['gold_standard_solution']}```\n</answer>" for r in raw]
    bad = ["<think>\nEasy.\n</think>\n<answer>\n```python\nprint(0)\n```\n</answer>"] * len(rows)
    scores = stack.score_batch(good + bad, prompts=[r["prompt"] for r in rows] * 2,
                               **{k: v * 2 for k, v in _columns(rows).items()})
    assert [s.details["rewards"]["code_tests"]["value"] for s in scores[: len(rows)]] == [1.0] * len(rows)
    assert all(s.details["rewards"]["code_tests"]["value"] == 0.0 for s in scores[len(rows):])


def test_rejection_sampling_keeps_verified_unique_samples(tmp_path):
    """select_verified on what the real `rlvr score` CLI wrote for a candidates file."""
    module = load_script("rejection_sampling.py")
    rows, _ = load_layout(EXAMPLES / "data" / "openr1_math.jsonl", "openr1_math")  # gold 7, \frac{5}{6}, 6

    def fmt(ans: str) -> str:
        return f"<think>\nreasoning\n</think>\n<answer>\n\\boxed{{{ans}}}\n</answer>"

    samples = [[fmt("7"), fmt("7"), fmt("8"), "\\boxed{7}", fmt("7.0")],     # dup, wrong, unformatted, equivalent
               [fmt("5/6"), fmt("\\frac{5}{6}"), fmt("\\frac{10}{12}")],   # three distinct correct ones
               [fmt("5")]]
    candidates = [{"id": i, **row, "completions": s} for i, (row, s) in enumerate(zip(rows, samples))]
    path = tmp_path / "candidates.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in candidates), encoding="utf-8")
    cmd = [sys.executable, "-m", "rlvr.cli", "score", str(path), "-o", str(tmp_path / "scored.jsonl"), "--quiet",
           "--reward", "math_accuracy", "--reward", "format=0"]
    assert subprocess.run(cmd, check=False).returncode == 0
    scored = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]
    kept = module.select_verified(candidates, scored, module.ACCEPT, max_kept=2)
    texts = [(k["prompt"][-1]["content"][:7], k["completion"][0]["content"]) for k in kept]
    assert texts == [("Find th", fmt("7")), ("Find th", fmt("7.0")), ("Compute", fmt("5/6")),
                     ("Compute", fmt("\\frac{5}{6}"))]
    assert all(k["completion"][0]["role"] == "assistant" for k in kept)
    # kept rows are SFT data for the sft_messages layout the second SFT reads
    kept_path = tmp_path / "kept.jsonl"
    kept_path.write_text("".join(json.dumps(k) + "\n" for k in kept), encoding="utf-8")
    assert load_layout(kept_path, "sft_messages")[1].kept == 4
    # a reward that could not judge (None) rejects; a malformed scored row rejects
    assert module.select_verified(candidates, [{"line": 1, "index": 0, "rewards": {
        "math_accuracy": {"value": None}, "format": {"value": 1.0}}}, {"line": 1, "index": 1, "rewards": {}}],
        module.ACCEPT, 2) == []


@pytest.mark.parametrize("name", GRPO_SCRIPTS)
def test_generation_settings_per_backend(name):
    from rlvr.generation import grpo_generation_kwargs as settings

    assert settings(backend="unsloth", vllm=True) == {}  # fast_inference: Unsloth's trainer drives its own vLLM
    assert settings(vllm=True) == {"use_vllm": True, "vllm_mode": "colocate", "vllm_gpu_memory_utilization": 0.3}
    assert settings() == {"generation_kwargs": {"use_cache": True}}
    source = (ROOT / "examples" / name).read_text(encoding="utf-8")  # each script uses them, flag included
    assert "grpo_generation_kwargs(backend=backend, vllm=has_vllm, compile=args.compile_generation" in source
    assert "enable_compiled_generation(trainer)" in source and '"--compile-generation"' in source


@pytest.mark.trl
def test_generation_keeps_the_kv_cache_with_gradient_checkpointing(tmp_path):
    """A real GRPO step with activation checkpointing on and a model whose generation config says
    use_cache=False (what a checkpoint saved with use_cache: false in config.json loads with): with
    the scripts' plain-transformers settings every decoding step after the first feeds one token (the
    KV cache is used). Without them, TRL 1.16 + transformers 5 re-run the whole sequence every step."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from trl import GRPOConfig, GRPOTrainer

    from rlvr.testing import build_tiny_model, build_tiny_tokenizer

    def decode_lengths(extra: dict) -> list[int]:
        tokenizer = build_tiny_tokenizer()
        model = build_tiny_model(tokenizer)
        model.config.use_cache = False
        model.generation_config.use_cache = False
        model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
        seen: list[int] = []
        layer = model.base_model.model.model.layers[0]
        layer.register_forward_pre_hook(lambda m, args, kwargs: seen.append(
            -1 if torch.is_grad_enabled() else (args[0] if args else kwargs["hidden_states"]).shape[1]),
            with_kwargs=True)
        ckpt = "activation_checkpointing" if "activation_checkpointing" in GRPOConfig.__dataclass_fields__ \
            else "gradient_checkpointing"
        config = GRPOConfig(output_dir=str(tmp_path / "o"), use_cpu=True, bf16=False, per_device_train_batch_size=2,
                            num_generations=2, max_completion_length=10, max_steps=1, report_to="none",
                            save_strategy="no", **{ckpt: True}, **extra)
        dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": "hi"}]}] * 2)
        GRPOTrainer(model=model, processing_class=tokenizer, args=config, train_dataset=dataset,
                    reward_funcs=[get_reward_len]).train()
        return [n for n in seen if n >= 0]

    from rlvr.generation import grpo_generation_kwargs

    settings = grpo_generation_kwargs(backend="trl", vllm=False)  # what the scripts pass without a flag
    assert decode_lengths(settings).count(1) >= 9  # 10 new tokens: 9 single-token cached steps
    assert decode_lengths({}).count(1) == 0        # what the setting prevents


def get_reward_len(completions, **kwargs):
    return [float(len(str(c))) for c in completions]


def test_docs_describe_the_scripts():
    docs = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    for name in SCRIPTS:
        assert name in docs, name
    assert "docs/generation.md" in docs or "generation.md" in docs
    assert not re.search(r"rlvr_examples|configs/.*\.yaml|run_pipeline\.py", docs)
