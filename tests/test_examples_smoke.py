"""Every example pipeline's ``--smoke`` mode, run as a real subprocess on CPU, checked by what it
wrote: adapters, per-reward metrics logged by TRL, rejection-sampling JSONL rows, stage records.

Three processes in all (each pays the ~10-20 s TRL import once):

* ``run_pipeline.py --smoke``: cold-start SFT -> GRPO maths -> rejection sampling -> second SFT;
  then a re-run, which must skip every finished stage;
* ``grpo_countdown.py --smoke``;
* ``grpo_code.py --smoke`` with the Docker sandbox when the engine is usable (CI), else local.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.trl, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "WANDB_DISABLED": "true"}
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--smoke", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{script} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_adapter(stage_dir: Path) -> None:
    adapter = stage_dir / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4
    assert (adapter / "adapter_model.safetensors").stat().st_size > 0
    assert (adapter / "tokenizer_config.json").exists()  # the adapter dir is loadable on its own


def assert_training_metrics(stage_dir: Path, reward_names: list[str] | None = None) -> list[dict]:
    rows = read_jsonl(stage_dir / "metrics.jsonl")
    steps = [r for r in rows if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for name in reward_names or []:
        for r in steps:
            assert isinstance(r[f"rewards/{name}/mean"], float), (name, r)
            assert r[f"rewards/{name}/mean"] == r[f"rewards/{name}/mean"]  # not NaN
            assert f"rlvr/{name}/unjudged_frac" in r
    record = json.loads((stage_dir / "stage.json").read_text())
    assert record["result"]["global_step"] == 2
    assert (stage_dir / "checkpoints" / "checkpoint-2" / "trainer_state.json").exists()  # resumable
    return steps


def test_chained_r1_pipeline_smoke(tmp_path):
    out = tmp_path / "r1"
    run_example("run_pipeline.py", "--output-dir", str(out))

    # the "hub model" was saved and loaded by path
    assert (out / "smoke_model" / "config.json").exists()
    # 1. cold-start SFT
    assert_adapter(out / "cold_start")
    sft = assert_training_metrics(out / "cold_start")
    assert all(r["loss"] > 0 for r in sft)
    # 2. GRPO maths continued the cold-start adapter, every reward of the stack logged on its own
    assert_adapter(out / "grpo_math")
    grpo = json.loads((out / "grpo_math" / "stage.json").read_text())
    assert grpo["result"]["rewards"] == ["math_accuracy", "format", "tag_count"]
    assert grpo["result"]["reward_weights"] == [1.0, 0.5, 0.25]
    steps = assert_training_metrics(out / "grpo_math", ["math_accuracy", "format", "tag_count"])
    assert all("completions/mean_length" in r and "reward" in r for r in steps)
    # 3. rejection sampling: k=2 samples for each of the 3 usable prompts, each judged by rlvr
    rs = out / "rejection_sampling"
    candidates = read_jsonl(rs / "candidates.jsonl")
    assert len(candidates) == 6
    assert sorted({(c["prompt_index"], c["sample_index"]) for c in candidates}) == [(i, j) for i in range(3) for j in range(2)]
    for c in candidates:
        assert set(c["rewards"]) == {"math_accuracy", "format"}
        assert c["statuses"]["math_accuracy"] in {"correct", "wrong", "no_answer", "bad_format", "ok"}
        assert c["completion"][0]["role"] == "assistant" and c["prompt"][-1]["role"] == "user"
        assert c["accepted"] == (c["rewards"]["math_accuracy"] == 1.0 and c["rewards"]["format"] == 1.0)
    kept = read_jsonl(rs / "kept.jsonl")
    assert len(kept) == sum(c["accepted"] for c in candidates)
    summary = json.loads((rs / "summary.json").read_text())
    assert summary["samples"] == 6 and summary["prompts"] == 3 and summary["kept_rows"] == len(kept)
    # 4. second SFT (from the base model) on verified samples + cold-start data
    assert_adapter(out / "second_sft")
    assert_training_metrics(out / "second_sft")
    second = json.loads((out / "second_sft" / "stage.json").read_text())
    assert second["config"]["datasets"][0]["source"] == "@rejection_sampling"
    assert second["result"]["rows"] == 4 + len(kept)
    pipeline = json.loads((out / "pipeline.json").read_text())
    assert list(pipeline["stages"]) == ["cold_start", "grpo_math", "rejection_sampling", "second_sft"]

    # a re-run resumes: finished stages are skipped, nothing is retrained
    before = {p: p.stat().st_mtime_ns for p in out.glob("*/adapter/adapter_model.safetensors")}
    proc = run_example("run_pipeline.py", "--output-dir", str(out))
    assert proc.stderr.count("done already") == 4
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/adapter/adapter_model.safetensors")} == before

    # a stage script on its own: rejection sampling again (--force) from the GRPO adapter
    proc = run_example("rejection_sampling.py", "--output-dir", str(out), "--force")
    assert "starting" in proc.stderr and "done already" not in proc.stderr
    record = json.loads((rs / "stage.json").read_text())
    assert record["config"]["init_from"] == "grpo_math" and record["result"]["samples"] == 6


@pytest.mark.parametrize("script,stage", [
    ("sft_cold_start.py", "cold_start"), ("grpo_math.py", "grpo_math"),
    ("rejection_sampling.py", "rejection_sampling"), ("grpo_countdown.py", "grpo_countdown"),
    ("grpo_code.py", "grpo_code"),
])
def test_stage_scripts_select_their_stage(script, stage):
    proc = run_example(script, "--dry-run")
    resolved = json.loads(proc.stdout)
    assert resolved["stages_to_run"] == [stage]
    assert resolved["config"]["backend"] == "trl" and resolved["config"]["model"]["name"] == "@tiny"


def test_countdown_grpo_smoke(tmp_path):
    out = tmp_path / "countdown"
    run_example("grpo_countdown.py", "--output-dir", str(out), "--set", "model.save=both")
    record = json.loads((out / "grpo_countdown" / "stage.json").read_text())
    names = record["result"]["rewards"]
    assert "countdown" in names and "format" in names
    assert_adapter(out / "grpo_countdown")
    assert_training_metrics(out / "grpo_countdown", names)
    # save: both -> merged 16-bit weights next to the adapter, loadable without peft
    merged = out / "grpo_countdown" / "merged"
    assert json.loads((merged / "config.json").read_text())["model_type"] == "qwen2"
    assert (merged / "model.safetensors").stat().st_size > 0 and (merged / "tokenizer_config.json").exists()
    assert not (merged / "adapter_config.json").exists()

    # --force with a longer max_steps resumes from the last Trainer checkpoint (step 2 -> 3)
    run_example("grpo_countdown.py", "--output-dir", str(out), "--force",
                       "--set", "stages.grpo_countdown.train.max_steps=3")
    record = json.loads((out / "grpo_countdown" / "stage.json").read_text())
    assert record["result"]["global_step"] == 3
    steps = [r["step"] for r in read_jsonl(out / "grpo_countdown" / "metrics.jsonl") if "loss" in r]
    assert steps == [3]  # steps 1-2 were not retrained


def _sandbox_backend() -> str:
    from rlvr.sandbox import docker_usable

    return "docker" if docker_usable()[0] else "local"


def test_code_grpo_smoke(tmp_path):
    out = tmp_path / "code"
    backend = _sandbox_backend()
    run_example("grpo_code.py", "--sandbox-backend", backend, "--output-dir", str(out))
    record = json.loads((out / "grpo_code" / "stage.json").read_text())
    assert record["result"]["rewards"] == ["code_tests", "format"]
    code_entry = record["config"]["rewards"]["rewards"][0]
    assert code_entry["params"]["backend"] == backend
    assert_adapter(out / "grpo_code")
    assert_training_metrics(out / "grpo_code", ["code_tests", "format"])


def test_configuration_errors_exit_2_with_a_message(tmp_path):
    cmd = [sys.executable, str(EXAMPLES / "grpo_math.py"), "--smoke", "--dry-run", "--set", "stages.grpo_math.trian.x=1"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "error:" in proc.stderr and "trian" in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\noutput_dir: " + str(tmp_path / "o") + "\nstages:\n"
                   "  - {name: g, kind: grpo, rewards: no_such_reward,\n"
                   "     datasets: [{source: " + str(EXAMPLES / "data" / "gsm8k.jsonl") + ", layout: gsm8k}]}\n",
                   encoding="utf-8")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "run_pipeline.py"), "--smoke", "--config", str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 2 and "unknown reward 'no_such_reward'" in proc.stderr
