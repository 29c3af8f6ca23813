#!/usr/bin/env python
"""Cold-start SFT (DeepSeek-R1 stage 1): teach the <think>/<answer> layout on long reasoning traces.

Bespoke-Stratos-17k replies (Sky-T1 markers) are rewritten by rlvr.layouts into the layout the GRPO
stage rewards, so GRPO starts from a model that already writes it. The same script runs R1's
second SFT on verified rejection-sampling output (--dataset sft_messages --data-file kept.jsonl).

    python examples/sft_cold_start.py --profile t4                      # -> runs/cold_start/adapter
    python examples/sft_cold_start.py --profile t4 --dataset openr1_math_sft
    python examples/sft_cold_start.py --profile t4 --dataset sft_messages --data-file runs/rs/kept.jsonl \\
        --mix-cold-start 1000 --output-dir runs/second_sft             # R1's second SFT
    python examples/sft_cold_start.py --smoke                           # CPU, tiny model, seconds
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"  # bundled sample rows for --smoke

# ---------------------------------------------------------------------------------------------
# 1. Hardware profiles. Reasoning traces are long: one sequence per micro-batch, accumulation
#    for the effective batch. Traces longer than max_length are dropped, not cut: a truncated
#    trace teaches the model to stop before its answer.
PROFILES = {
    # CPU smoke test: rlvr.testing's tiny random Qwen2 (saved locally, loaded by path), 2 steps.
    "smoke": dict(model=None, load_in_4bit=False, lora_rank=4, max_length=1024, batch_size=2, grad_accum=1,
                  learning_rate=1e-3, epochs=1, max_steps=2, limit=None, eval_prompts=2, eval_samples=1,
                  max_new_tokens=24),
    # One T4 (16 GB): 1.5B in 4-bit (QLoRA), fp16. Logits of 4096 tokens x 152k vocabulary ~1.2 GB.
    "t4": dict(model="Qwen/Qwen2.5-1.5B-Instruct", load_in_4bit=True, lora_rank=32, max_length=4096, batch_size=1,
               grad_accum=16, learning_rate=1e-4, epochs=1, max_steps=-1, limit=4000, eval_prompts=100,
               eval_samples=1, max_new_tokens=1024),
    # One A100/H100 80 GB: 7B in bf16, nearly every trace fits in 16k tokens.
    "a100": dict(model="Qwen/Qwen2.5-7B-Instruct", load_in_4bit=False, lora_rank=64, max_length=16384, batch_size=1,
                 grad_accum=16, learning_rate=1e-4, epochs=2, max_steps=-1, limit=None, eval_prompts=200,
                 eval_samples=1, max_new_tokens=4096),
}
# Hub dataset, config, layout (rlvr.layouts), bundled sample.
DATASETS = {
    "bespoke_stratos": ("bespokelabs/Bespoke-Stratos-17k", None, "bespoke_stratos.jsonl"),
    "openr1_math_sft": ("open-r1/OpenR1-Math-220k", "default", "openr1_math.jsonl"),
    "sft_messages": (None, None, "sft_messages.jsonl"),  # local chat JSONL, e.g. rejection-sampling output
}
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


# ---------------------------------------------------------------------------------------------
# 2. Model: Unsloth on a GPU when installed, else transformers + peft; LoRA on every linear layer.
def load_model(p: dict, backend: str):
    import torch

    dtype = torch.float32 if not torch.cuda.is_available() else (
        torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        model, tokenizer = FastLanguageModel.from_pretrained(p["model"], max_seq_length=p["max_length"],
                                                             load_in_4bit=p["load_in_4bit"])
        model = FastLanguageModel.get_peft_model(model, r=p["lora_rank"], lora_alpha=2 * p["lora_rank"],
                                                 target_modules=LORA_TARGETS, random_state=0,
                                                 use_gradient_checkpointing="unsloth")
        return model, tokenizer
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    tokenizer = AutoTokenizer.from_pretrained(p["model"])
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                               bnb_4bit_use_double_quant=True) if p["load_in_4bit"] else None
    model = AutoModelForCausalLM.from_pretrained(p["model"], dtype=dtype, quantization_config=quant)
    lora = LoraConfig(r=p["lora_rank"], lora_alpha=2 * p["lora_rank"], target_modules=LORA_TARGETS, task_type="CAUSAL_LM")
    return get_peft_model(model, lora), tokenizer


# ---------------------------------------------------------------------------------------------
# 3. Evaluation: does the model now answer held-out GSM8K problems in the rewarded layout? A few
#    samples per prompt, scored with the `rlvr score` CLI (per-reward means, statuses, pass@k).
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
            for j, row in enumerate(batch):
                f.write(json.dumps({"id": start + j, **row, "completions": texts_out[j * k:(j + 1) * k]}) + "\n")
    rlvr = [shutil.which("rlvr")] if shutil.which("rlvr") else [sys.executable, "-m", "rlvr.cli"]
    cmd = [*rlvr, "score", str(out / "completions.jsonl"), "-o", str(out / "scored.jsonl"), "--overwrite",
           "--summary-json", str(out / "summary.json"), "--quiet", *[a for r in rewards for a in ("--reward", r)]]
    if subprocess.run(cmd, check=False).returncode not in (0, 1):  # 1: some rows failed, still scored
        sys.exit(f"rlvr score failed: {' '.join(cmd)}")
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# 4. The recipe: data -> SFT config -> train -> save -> evaluate.
def train(args: argparse.Namespace, backend: str) -> dict:
    import torch
    from datasets import Dataset
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig, SFTTrainer

    from rlvr.layouts import DatasetLoadError, load_layout

    p = dict(PROFILES["smoke" if args.smoke else args.profile])
    out = Path(args.output_dir)
    hub, config, sample = DATASETS[args.dataset]
    if args.smoke:
        from rlvr.testing import save_tiny_model

        p["model"] = save_tiny_model(out / "tiny-model")
    source = args.data_file or (DATA / sample if args.smoke or hub is None else hub)
    try:
        rows, _ = load_layout(source, args.dataset, config=config, limit=p["limit"])
    except DatasetLoadError:
        if not args.mix_cold_start:
            raise
        rows = []  # no verified sample at all (a smoke run's random model): the mixed rows alone
    if args.mix_cold_start:  # R1's second SFT mixes general reasoning data into the verified samples
        extra_source = DATA / "bespoke_stratos.jsonl" if args.smoke else "bespokelabs/Bespoke-Stratos-17k"
        rows += load_layout(extra_source, "bespoke_stratos", limit=args.mix_cold_start)[0]
        random.Random(0).shuffle(rows)
    eval_source = DATA / "gsm8k.jsonl" if args.smoke else "openai/gsm8k"
    eval_rows, _ = load_layout(eval_source, "gsm8k", config="main", split="test", limit=p["eval_prompts"])
    model, tokenizer = load_model(p, backend)

    def tokens(row: dict) -> int:
        text = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    kept = [r for r in rows if tokens(r) <= p["max_length"]]
    print(f"{len(kept)} of {len(rows)} rows fit in {p['max_length']} tokens")
    on_gpu = torch.cuda.is_available()
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    # transformers 5 renamed gradient_checkpointing; Unsloth's pinned TRL/transformers only know the old name.
    ckpt = "activation_checkpointing" if "activation_checkpointing" in SFTConfig.__dataclass_fields__ else "gradient_checkpointing"
    config = SFTConfig(
        output_dir=str(out / "checkpoints"), seed=0, report_to=args.report_to,
        max_length=p["max_length"], per_device_train_batch_size=p["batch_size"],
        gradient_accumulation_steps=p["grad_accum"], learning_rate=p["learning_rate"],
        num_train_epochs=p["epochs"], max_steps=p["max_steps"], warmup_steps=5, lr_scheduler_type="cosine",
        weight_decay=0.01, max_grad_norm=1.0,
        completion_only_loss=True,  # prompt/completion rows: learn the reply, not the question
        bf16=bf16, fp16=on_gpu and not bf16, use_cpu=not on_gpu,
        **{ckpt: on_gpu and backend == "trl"},  # recompute activations on GPU; Unsloth does its own
        optim="adamw_8bit" if on_gpu else "adamw_torch",
        logging_steps=1, save_steps=100, save_total_limit=2,
    )
    trainer = SFTTrainer(model=model, processing_class=tokenizer, args=config, train_dataset=Dataset.from_list(kept))
    checkpoints = out / "checkpoints"
    trainer.train(resume_from_checkpoint=get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None)
    model.save_pretrained(str(out / "adapter"))
    tokenizer.save_pretrained(str(out / "adapter"))
    with (out / "metrics.jsonl").open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(entry) + "\n" for entry in trainer.state.log_history)
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        FastLanguageModel.for_inference(model)
    summary = evaluate(model, tokenizer, eval_rows, out / "eval", p["eval_samples"], p["max_new_tokens"],
                       ["math_accuracy=1", "format=0.5"])
    print(json.dumps({"rows": len(kept), "steps": trainer.state.global_step,
                      "rewards": {k: v["mean"] for k, v in summary["rewards"].items()}}))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=[k for k in PROFILES if k != "smoke"], default="t4")
    parser.add_argument("--smoke", action="store_true", help="CPU, tiny local model, bundled rows, seconds")
    parser.add_argument("--dataset", choices=list(DATASETS), default="bespoke_stratos", help="the rlvr.layouts layout")
    parser.add_argument("--data-file", default=None, help="a local .jsonl/.parquet in that layout's schema")
    parser.add_argument("--mix-cold-start", type=int, default=0, help="add N Bespoke-Stratos rows (second SFT)")
    parser.add_argument("--backend", choices=["auto", "unsloth", "trl"], default="auto")
    parser.add_argument("--output-dir", default="runs/cold_start")
    parser.add_argument("--report-to", default="none", help="none, tensorboard, wandb, ...")
    args = parser.parse_args(argv)
    if args.dataset == "sft_messages" and not (args.data_file or args.smoke):
        parser.error("--dataset sft_messages reads a local file: pass --data-file")
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
    train(args, backend)


if __name__ == "__main__":
    main()
