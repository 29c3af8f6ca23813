"""Every example script's ``--smoke`` mode, run for real as a subprocess on CPU (tiny local model,
bundled rows), checked by what it wrote: adapters, per-reward metrics logged by TRL, the `rlvr score`
evaluation, rejection-sampling rows, and no deprecation noise on stderr.

Three commands (each TRL process pays its ~10-20 s import once):

* ``r1_pipeline.py --smoke``: sft_cold_start.py -> grpo_math.py -> rejection_sampling.py --second-sft
  (which runs sft_cold_start.py again), i.e. every other script; then a re-run that skips every stage;
* ``grpo_countdown.py --smoke``;
* ``grpo_code.py --smoke`` with the Docker sandbox when the engine is usable (CI), else local.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _file_module import load_file_module

pytestmark = [pytest.mark.trl, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(script: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "WANDB_DISABLED": "true"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--smoke", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{script} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    for noise in ("FutureWarning", "DeprecationWarning"):  # silenced at the source or filtered narrowly
        assert noise not in proc.stderr, proc.stderr[proc.stderr.find(noise) - 300:][:800]
    return proc


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_adapter(stage_dir: Path) -> dict:
    adapter = stage_dir / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0
    assert (adapter / "tokenizer_config.json").exists()  # the adapter dir is loadable on its own
    return config


def assert_trained(stage_dir: Path, rewards: list[str] = ()) -> list[dict]:
    steps = [r for r in read_jsonl(stage_dir / "metrics.jsonl") if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for name in rewards:  # one TRL reward function per rlvr reward: each logged on its own
        for r in steps:
            value = r[f"rewards/{name}/mean"]
            assert isinstance(value, float) and math.isfinite(value), (name, r)
            assert r[f"rlvr/{name}/unjudged_frac"] == 0.0  # every sample judged
    return steps


def assert_evaluated(stage_dir: Path, prompts: int, k: int, rewards: list[str]) -> dict:
    """The short evaluation: k completions per held-out prompt, scored by the `rlvr score` CLI."""
    rows = read_jsonl(stage_dir / "eval" / "completions.jsonl")
    assert len(rows) == prompts and all(len(r["completions"]) == k for r in rows)
    scored = read_jsonl(stage_dir / "eval" / "scored.jsonl")
    assert len(scored) == prompts * k
    for row in scored:
        assert list(row["rewards"]) == rewards and all(v["status"] for v in row["rewards"].values())
    summary = json.loads((stage_dir / "eval" / "summary.json").read_text())
    assert summary["rows"] == prompts * k and set(summary["rewards"]) == set(rewards)
    return summary


def lora_b_norm(stage_dir: Path) -> float:
    from safetensors.torch import load_file

    tensors = load_file(str(stage_dir / "adapter" / "adapter_model.safetensors"))
    return sum(float(t.abs().sum()) for name, t in tensors.items() if "lora_B" in name)


def test_r1_pipeline_smoke_runs_every_stage_script(tmp_path):
    out = tmp_path / "r1"
    proc = run_example("r1_pipeline.py", "--output-dir", str(out))
    assert [line.split()[2].rsplit("/", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("== /")] == [
        "sft_cold_start.py", "grpo_math.py", "rejection_sampling.py"]

    # 1. cold-start SFT on Bespoke-Stratos rows, evaluated on GSM8K
    cold = out / "cold_start"
    assert_adapter(cold)
    assert all(r["loss"] > 0 for r in assert_trained(cold))
    assert_evaluated(cold, prompts=2, k=1, rewards=["math_accuracy", "format"])
    assert lora_b_norm(cold) > 0  # trained (LoRA B starts at zero)

    # 2. GRPO continued the cold-start adapter (a fresh LoRA would start with B = 0)
    grpo = out / "grpo_math"
    assert_adapter(grpo)
    assert_trained(grpo, ["math_accuracy", "format", "tag_count"])
    assert lora_b_norm(grpo) > 0
    summary = assert_evaluated(grpo, prompts=2, k=2, rewards=["math_accuracy", "format", "tag_count"])
    assert summary["groups"]["count"] == 2 and summary["groups"]["size_max"] == 2

    # 3. rejection sampling: k=2 samples for each of the 3 usable OpenR1 prompts, judged by `rlvr score`
    rs = out / "rejection_sampling"
    candidates = read_jsonl(rs / "candidates.jsonl")
    assert len(candidates) == 3 and all(len(c["completions"]) == 2 and c["solution"] for c in candidates)
    scored = read_jsonl(rs / "scored.jsonl")
    assert len(scored) == 6 and all(set(r["rewards"]) == {"math_accuracy", "format"} for r in scored)
    module = load_file_module(EXAMPLES / "rejection_sampling.py")
    assert read_jsonl(rs / "kept.jsonl") == module.select_verified(candidates, scored, module.ACCEPT, 2)
    assert json.loads((rs / "summary.json").read_text())["groups"]["count"] == 3

    # 4. the second SFT: a fresh LoRA on the base model, verified samples + cold-start rows
    second = rs / "second_sft"
    assert_adapter(second)
    assert_trained(second)
    assert_evaluated(second, prompts=2, k=1, rewards=["math_accuracy", "format"])

    # a re-run skips every finished stage and retrains nothing
    before = {p: p.stat().st_mtime_ns for p in out.rglob("adapter_model.safetensors")}
    proc = run_example("r1_pipeline.py", "--output-dir", str(out))
    assert proc.stdout.count("done already") == 3
    assert {p: p.stat().st_mtime_ns for p in out.rglob("adapter_model.safetensors")} == before


def test_countdown_grpo_smoke(tmp_path):
    out = tmp_path / "countdown"
    # --compile-generation: the static-cache path of rlvr.generation (compilation itself is GPU-only)
    run_example("grpo_countdown.py", "--output-dir", str(out), "--compile-generation")
    assert_adapter(out)
    assert_trained(out, ["countdown", "format", "thought_length_if_countdown"])
    summary = assert_evaluated(out, prompts=2, k=2, rewards=["countdown", "format"])
    assert summary["rewards"]["countdown"]["judged"] == 4


def _sandbox_backend() -> str:
    from rlvr.sandbox import docker_usable

    return "docker" if docker_usable()[0] else "local"


def test_code_grpo_smoke(tmp_path):
    out = tmp_path / "code"
    run_example("grpo_code.py", "--sandbox", _sandbox_backend(), "--output-dir", str(out))
    assert_adapter(out)
    assert_trained(out, ["code_tests", "format"])
    summary = assert_evaluated(out, prompts=2, k=2, rewards=["code_tests", "format"])
    assert summary["rewards"]["code_tests"]["unjudged"] == 0  # no sandbox_error: the sandbox worked
