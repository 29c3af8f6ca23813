#!/usr/bin/env python
"""GRPO on maths with rlvr rewards (DeepSeek-R1 stage 2): GSM8K or OpenR1-Math on one GPU.

    python examples/grpo_math.py --profile t4 --init-from runs/cold_start/adapter   # after sft_cold_start.py
    python examples/grpo_math.py --profile t4 --dataset openr1_math                   # R1-Zero style, base model
    python examples/grpo_math.py --smoke                                              # CPU, tiny model, seconds

Writes OUTPUT/adapter (LoRA + tokenizer), OUTPUT/metrics.jsonl (every logged step) and
OUTPUT/eval/ (completions for held-out prompts, scored by `rlvr score`). Walkthrough: docs/examples.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"  # bundled sample rows for --smoke

# ---------------------------------------------------------------------------------------------
# 1. Hardware profiles. Group size x micro-batch x accumulation: TRL generates
#    batch_size * grad_accum completions per step, i.e. that many / num_generations prompts.
PROFILES = {
    # CPU smoke test: rlvr.testing's tiny random Qwen2 (saved locally, loaded by path), 2 steps.
    "smoke": dict(model=None, load_in_4bit=False, lora_rank=4, num_generations=2, batch_size=2, grad_accum=1,
                  max_prompt_length=900, max_completion_length=24, learning_rate=1e-3, max_steps=2,
                  eval_prompts=2, eval_samples=2),
    # One T4 (16 GB): 1.5B in 4-bit (QLoRA), fp16 (Turing has no bf16); peak ~7-8 GB in GRPO.
    # 768 completion tokens: GSM8K solutions need ~200-400, the rest is room for the <think> block.
    # Expected on a T4, derived from H200 measurements for 16-bit weights (docs/generation.md; not measured
    # on a T4): 42-68 s/step with TRL's defaults (6-9 h for 500 steps), 12-19 s/step with --compile-generation.
    # 16-bit fits here too (4.6 GiB measured) and decodes faster: load_in_4bit=False if speed matters most.
    "t4": dict(model="Qwen/Qwen2.5-1.5B-Instruct", load_in_4bit=True, lora_rank=32, num_generations=4, batch_size=4,
               grad_accum=2, max_prompt_length=384, max_completion_length=768, learning_rate=5e-6, max_steps=500,
               eval_prompts=50, eval_samples=4),
    # One A100/H100 80 GB: 7B in bf16; groups of 16 give a steadier group baseline.
    "a100": dict(model="Qwen/Qwen2.5-7B-Instruct", load_in_4bit=False, lora_rank=64, num_generations=16, batch_size=8,
                 grad_accum=4, max_prompt_length=1024, max_completion_length=2048, learning_rate=3e-6, max_steps=1000,
                 eval_prompts=100, eval_samples=4),
}
# Hub dataset, config, layout (rlvr.layouts), train split, eval split, bundled sample.
DATASETS = {
    "gsm8k": ("openai/gsm8k", "main", "gsm8k", "train", "test", "gsm8k.jsonl"),
    "openr1_math": ("open-r1/OpenR1-Math-220k", "default", "openr1_math", "train[:-500]", "train[-500:]",
                    "openr1_math.jsonl"),
}
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def reward_stack():
    """math_accuracy is the goal (math-verify under a hard deadline; None when the gold cannot be
    parsed, so such rows drop out of the loss instead of teaching "wrong"). format keeps the
    <think>/<answer> layout the answer is extracted from; tag_count gives partial credit per tag,
    a gradient before the all-or-nothing format reward starts paying."""
    from rlvr import RewardStack, get_reward

    return RewardStack([(get_reward("math_accuracy"), 1.0), (get_reward("format"), 0.5),
                        (get_reward("tag_count"), 0.25)])


# ---------------------------------------------------------------------------------------------
# 2. Model: Unsloth on a GPU when installed (its kernels, and vLLM generation with fast_inference),
#    else transformers + peft. LoRA on every linear layer; a saved adapter continues training.
def load_model(p: dict, init_from: str | None, backend: str, has_vllm: bool):
    import torch

    dtype = torch.float32 if not torch.cuda.is_available() else (
        torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        model, tokenizer = FastLanguageModel.from_pretrained(
            init_from or p["model"], max_seq_length=p["max_prompt_length"] + p["max_completion_length"],
            load_in_4bit=p["load_in_4bit"], fast_inference=has_vllm, max_lora_rank=p["lora_rank"],
            gpu_memory_utilization=0.5)  # vLLM's share when fast_inference is on
        if init_from is None:
            model = FastLanguageModel.get_peft_model(model, r=p["lora_rank"], lora_alpha=2 * p["lora_rank"],
                                                     target_modules=LORA_TARGETS, random_state=0,
                                                     use_gradient_checkpointing="unsloth")
        for name, param in model.named_parameters():  # a loaded adapter is frozen: train its LoRA weights
            param.requires_grad_("lora_" in name)
        return model, tokenizer
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    tokenizer = AutoTokenizer.from_pretrained(init_from or p["model"])
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                               bnb_4bit_use_double_quant=True) if p["load_in_4bit"] else None
    model = AutoModelForCausalLM.from_pretrained(p["model"], dtype=dtype, quantization_config=quant)
    if init_from:
        return PeftModel.from_pretrained(model, init_from, is_trainable=True), tokenizer
    lora = LoraConfig(r=p["lora_rank"], lora_alpha=2 * p["lora_rank"], target_modules=LORA_TARGETS, task_type="CAUSAL_LM")
    return get_peft_model(model, lora), tokenizer


# ---------------------------------------------------------------------------------------------
# 3. Evaluation: sample a few answers per held-out prompt and score them with the `rlvr score` CLI,
#    exactly as you would score any JSONL of completions (pass@k, per-reward means and statuses).
def evaluate(model, tokenizer, rows: list[dict], out: Path, k: int, max_new_tokens: int, rewards: list[str]) -> dict:
    import torch

    tokenizer.padding_side = "left"
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "completions.jsonl").open("w", encoding="utf-8") as f:
        for start in range(0, len(rows), 8):
            batch = rows[start:start + 8]
            texts = [tokenizer.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True) for r in batch]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                ids = model.generate(**enc, do_sample=True, temperature=0.7, top_p=0.95, max_new_tokens=max_new_tokens,
                                     num_return_sequences=k, use_cache=True, pad_token_id=tokenizer.pad_token_id)
            texts_out = tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            for j, row in enumerate(batch):  # one row per prompt with its k completions: a group for pass@k
                f.write(json.dumps({"id": start + j, **row, "completions": texts_out[j * k:(j + 1) * k]}) + "\n")
    rlvr = [shutil.which("rlvr")] if shutil.which("rlvr") else [sys.executable, "-m", "rlvr.cli"]
    cmd = [*rlvr, "score", str(out / "completions.jsonl"), "-o", str(out / "scored.jsonl"), "--overwrite",
           "--summary-json", str(out / "summary.json"), "--quiet", *[a for r in rewards for a in ("--reward", r)]]
    if subprocess.run(cmd, check=False).returncode not in (0, 1):  # 1: some rows failed, still scored
        sys.exit(f"rlvr score failed: {' '.join(cmd)}")
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# 4. The recipe: data -> rewards -> GRPO config -> train -> save -> evaluate.
def train(args: argparse.Namespace, backend: str, has_vllm: bool) -> dict:
    import torch
    from datasets import Dataset
    from transformers.trainer_utils import get_last_checkpoint
    from trl import GRPOConfig, GRPOTrainer

    from rlvr.generation import enable_compiled_generation, grpo_generation_kwargs
    from rlvr.layouts import load_layout

    p = dict(PROFILES["smoke" if args.smoke else args.profile])
    p.update({k: v for k, v in (("model", args.model), ("max_steps", args.max_steps)) if v})  # overrides
    out = Path(args.output_dir)
    hub, config, layout, train_split, eval_split, sample = DATASETS[args.dataset]
    if args.smoke:
        from rlvr.testing import save_tiny_model

        p["model"] = save_tiny_model(out / "tiny-model")
        rows, _ = load_layout(DATA / sample, layout)
        eval_rows = rows[: p["eval_prompts"]]
    elif args.data_file:  # a local file in the dataset's own schema: its tail is held out for evaluation
        all_rows, _ = load_layout(args.data_file, layout)
        cut = max(1, len(all_rows) - p["eval_prompts"])
        rows, eval_rows = all_rows[:cut][: args.limit], all_rows[cut:] or all_rows[:1]
    else:  # the real datasets: `datasets.load_dataset` under the hood, rows converted by rlvr.layouts
        rows, _ = load_layout(hub, layout, config=config, split=train_split, limit=args.limit)
        eval_rows, _ = load_layout(hub, layout, config=config, split=eval_split, limit=p["eval_prompts"])
    model, tokenizer = load_model(p, args.init_from, backend, has_vllm)

    # TRL >= 0.28 no longer truncates prompts, and a cut maths problem is a different problem: drop long ones.
    def prompt_tokens(row: dict) -> int:
        text = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    rows = [r for r in rows if prompt_tokens(r) <= p["max_prompt_length"]]
    rewards = reward_stack()
    on_gpu = torch.cuda.is_available()
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    # transformers 5 renamed gradient_checkpointing; Unsloth's pinned TRL/transformers only know the old name.
    ckpt = "activation_checkpointing" if "activation_checkpointing" in GRPOConfig.__dataclass_fields__ else "gradient_checkpointing"
    config = GRPOConfig(
        output_dir=str(out / "checkpoints"), seed=0, report_to=args.report_to,
        num_generations=p["num_generations"], per_device_train_batch_size=p["batch_size"],
        gradient_accumulation_steps=p["grad_accum"], max_completion_length=p["max_completion_length"],
        learning_rate=p["learning_rate"], max_steps=p["max_steps"], warmup_steps=max(1, p["max_steps"] // 10),
        lr_scheduler_type="cosine", temperature=1.0,
        beta=0.0,            # no KL term: no reference model in memory, the R1/DAPO default
        loss_type="dapo",    # token-level loss: long correct answers are not down-weighted
        max_grad_norm=0.1,   # GRPO gradients are spiky; fp16 on a T4 overflows without it
        reward_weights=rewards.reward_weights,  # one TRL reward function per rlvr reward: logged separately
        bf16=bf16, fp16=on_gpu and not bf16, use_cpu=not on_gpu,
        **{ckpt: on_gpu and backend == "trl"},  # recompute activations on GPU; Unsloth does its own
        optim="adamw_8bit" if on_gpu else "adamw_torch",
        logging_steps=1, save_steps=50, save_total_limit=2, log_completions=False,
        # Generation is ~99% of a step: colocated vLLM when installed, Unsloth's own with fast_inference,
        # else the KV cache on (and, with --compile-generation, a compiled static cache: docs/generation.md).
        **grpo_generation_kwargs(backend=backend, vllm=has_vllm, compile=args.compile_generation,
                                 max_cache_len=p["max_prompt_length"] + p["max_completion_length"]),
    )
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, args=config, train_dataset=Dataset.from_list(rows),
                          reward_funcs=rewards.reward_funcs)
    if args.compile_generation and backend == "trl" and not has_vllm:
        enable_compiled_generation(trainer)  # TRL turns transformers' compilation off by default
    checkpoints = out / "checkpoints"
    trainer.train(resume_from_checkpoint=get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None)
    model.save_pretrained(str(out / "adapter"))
    tokenizer.save_pretrained(str(out / "adapter"))
    with (out / "metrics.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(entry) + "\n" for entry in trainer.state.log_history)
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        FastLanguageModel.for_inference(model)
    summary = evaluate(model, tokenizer, eval_rows, out / "eval", p["eval_samples"], p["max_completion_length"],
                       ["math_accuracy=1", "format=0.5", "tag_count=0.25"])
    print(json.dumps({"rows": len(rows), "steps": trainer.state.global_step,
                      "pass_at_k": summary["groups"]["pass_at_k"],
                      "rewards": {k: v["mean"] for k, v in summary["rewards"].items()}}))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=[k for k in PROFILES if k != "smoke"], default="t4")
    parser.add_argument("--smoke", action="store_true", help="CPU, tiny local model, bundled rows, seconds")
    parser.add_argument("--dataset", choices=list(DATASETS), default="gsm8k")
    parser.add_argument("--data-file", default=None, help="a local .jsonl/.parquet in the dataset's schema")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many training rows")
    parser.add_argument("--model", default=None, help="override the profile's model (Hub name or local path)")
    parser.add_argument("--max-steps", type=int, default=None, help="override the profile's max_steps")
    parser.add_argument("--init-from", default=None, help="a LoRA adapter to continue (e.g. the cold-start one)")
    parser.add_argument("--backend", choices=["auto", "unsloth", "trl"], default="auto")
    parser.add_argument("--compile-generation", action="store_true",
                        help="plain transformers on a GPU: compiled static-cache decoding (opt-in, docs/generation.md)")
    parser.add_argument("--output-dir", default="runs/grpo_math")
    parser.add_argument("--report-to", default="none", help="none, tensorboard, wandb, ...")
    args = parser.parse_args(argv)
    if args.smoke:
        from rlvr.testing import offline_mode

        offline_mode()  # the tiny model is local: never touch the network
    import torch

    gpu = torch.cuda.is_available() and not args.smoke
    unsloth_ok = gpu and importlib.util.find_spec("unsloth") is not None
    backend = "unsloth" if args.backend == "unsloth" or (args.backend == "auto" and unsloth_ok) else "trl"
    if backend == "unsloth":
        import unsloth  # noqa: F401  (must be imported before transformers/trl: it patches them)
    # TRL and peft still call transformers' renamed gradient-checkpointing methods: dependency noise,
    # filtered by its exact message (our own config passes the new name, activation_checkpointing).
    warnings.filterwarnings("ignore", category=FutureWarning,
                            message=r"`(is_gradient_checkpointing|gradient_checkpointing_(en|dis)able)` is deprecated")
    train(args, backend, has_vllm=gpu and importlib.util.find_spec("vllm") is not None)


if __name__ == "__main__":
    main()
