#!/usr/bin/env python
"""Rejection sampling (DeepSeek-R1 stage 3): sample k answers per prompt from the GRPO checkpoint,
keep only those rlvr verifies (correct AND well formed), then R1's second SFT on them.

    python examples/rejection_sampling.py --profile t4 --init-from runs/grpo_math/adapter --second-sft
    python examples/rejection_sampling.py --smoke --second-sft            # CPU, tiny model, seconds

Writes OUTPUT/candidates.jsonl (one row per prompt with its k samples), OUTPUT/scored.jsonl and
OUTPUT/summary.json (`rlvr score`: statuses, pass@k), OUTPUT/kept.jsonl (SFT-ready chat rows) and,
with --second-sft, OUTPUT/second_sft/ (sft_cold_start.py on kept.jsonl + cold-start rows).
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
# 1. Profiles. This stage only generates: it is bound by generation speed, so vLLM (Unsloth's
#    fast_inference) pays off most here. k samples per prompt, at most max_kept of them kept.
PROFILES = {
    "smoke": dict(model=None, load_in_4bit=False, prompts=None, k=2, batch_prompts=3, max_new_tokens=24,
                  max_kept=2, mix_cold_start=4),
    # T4: 2000 prompts x 4 samples x <=1024 tokens: hours with transformers' generate, far less with vLLM.
    "t4": dict(model="Qwen/Qwen2.5-1.5B-Instruct", load_in_4bit=True, prompts=2000, k=4, batch_prompts=8,
               max_new_tokens=1024, max_kept=2, mix_cold_start=1000),
    "a100": dict(model="Qwen/Qwen2.5-7B-Instruct", load_in_4bit=False, prompts=10000, k=16, batch_prompts=16,
                 max_new_tokens=4096, max_kept=4, mix_cold_start=4000),
}
DATASETS = {  # Hub dataset, config, split, layout (rlvr.layouts), bundled sample
    "openr1_math": ("open-r1/OpenR1-Math-220k", "default", "train[-20000:]", "openr1_math", "openr1_math.jsonl"),
    "gsm8k": ("openai/gsm8k", "main", "train", "gsm8k", "gsm8k.jsonl"),
}
# The acceptance rule: every one of these rewards must reach its threshold. A reward that could not
# judge a sample (None, e.g. an unparseable gold answer) rejects it: unverified text is not SFT data.
ACCEPT = {"math_accuracy": 1.0, "format": 1.0}


def load_model(p: dict, adapter: str | None, backend: str, has_vllm: bool):
    """The policy to sample from: base model + the GRPO LoRA adapter, in inference mode."""
    import torch

    dtype = torch.float32 if not torch.cuda.is_available() else (
        torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    if backend == "unsloth":
        from unsloth import FastLanguageModel

        # with vLLM: the base model, the adapter applied per request; without: base + adapter in one load
        model, tokenizer = FastLanguageModel.from_pretrained(
            p["model"] if has_vllm else (adapter or p["model"]), max_seq_length=4096 + p["max_new_tokens"],
            load_in_4bit=p["load_in_4bit"], fast_inference=has_vllm, gpu_memory_utilization=0.8, max_lora_rank=64)
        FastLanguageModel.for_inference(model)
        return model, tokenizer, (model.load_lora(adapter) if has_vllm and adapter else None)
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    tokenizer = AutoTokenizer.from_pretrained(adapter or p["model"])
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                               bnb_4bit_compute_dtype=dtype) if p["load_in_4bit"] else None
    model = AutoModelForCausalLM.from_pretrained(p["model"], dtype=dtype, quantization_config=quant,
                                                 device_map="auto" if torch.cuda.is_available() else None)
    if adapter:
        model = PeftModel.from_pretrained(model, adapter)
    return model.eval(), tokenizer, None


def sample(model, tokenizer, rows: list[dict], p: dict, lora_request=None) -> list[list[str]]:
    """k sampled completions per prompt (temperature 0.7: diverse, still mostly on-policy)."""
    texts = [tokenizer.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True) for r in rows]
    if lora_request is not None:
        from vllm import SamplingParams

        params = SamplingParams(n=p["k"], temperature=0.7, top_p=0.95, max_tokens=p["max_new_tokens"])
        return [[o.text for o in out.outputs] for out in model.fast_generate(texts, sampling_params=params,
                                                                                  lora_request=lora_request)]
    import torch

    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    with torch.no_grad():
        ids = model.generate(**enc, do_sample=True, temperature=0.7, top_p=0.95, max_new_tokens=p["max_new_tokens"],
                             num_return_sequences=p["k"], use_cache=True, pad_token_id=tokenizer.pad_token_id)
    decoded = tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return [decoded[i * p["k"]:(i + 1) * p["k"]] for i in range(len(rows))]


def select_verified(candidates: list[dict], scored: list[dict], accept: dict[str, float], max_kept: int) -> list[dict]:
    """Kept rows (``prompt`` + ``completion``, the ``sft_messages`` layout) from `rlvr score` output.

    ``scored`` has one row per completion: ``line`` (1-based line of ``candidates``), ``index`` (its
    position in that line's ``completions``) and ``rewards[name]["value"]``. A sample is kept when
    every ``accept`` reward reaches its threshold (None never does); exact duplicates of a kept
    sample are dropped, and at most ``max_kept`` samples are kept per prompt, in sampling order."""
    def verified(row: dict) -> bool:
        values = [(row.get("rewards", {}).get(name) or {}).get("value") for name in accept]
        return all(v is not None and v >= threshold for v, threshold in zip(values, accept.values()))

    kept: dict[int, list[str]] = {}
    for row in sorted(scored, key=lambda r: (r["line"], r.get("index", 0))):
        if not verified(row):
            continue
        text = candidates[row["line"] - 1]["completions"][row.get("index", 0)]
        same_prompt = kept.setdefault(row["line"], [])
        if text.strip() not in (t.strip() for t in same_prompt) and len(same_prompt) < max_kept:
            same_prompt.append(text)
    return [{"prompt": candidates[line - 1]["prompt"], "completion": [{"role": "assistant", "content": text}]}
            for line, texts in sorted(kept.items()) for text in texts]


def run(args: argparse.Namespace, backend: str, has_vllm: bool) -> dict:
    from rlvr.layouts import load_layout

    p = dict(PROFILES["smoke" if args.smoke else args.profile])
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    hub, config, split, layout, bundled = DATASETS[args.dataset]
    if args.init_from:  # sample from the base model the adapter was trained on
        adapter_config = json.loads((Path(args.init_from) / "adapter_config.json").read_text(encoding="utf-8"))
        p["model"] = adapter_config["base_model_name_or_path"]
    elif args.smoke:  # a stand-alone smoke run: the tiny base model itself
        from rlvr.testing import save_tiny_model

        p["model"] = save_tiny_model(out / "tiny-model")
    rows, _ = (load_layout(DATA / bundled, layout) if args.smoke
               else load_layout(hub, layout, config=config, split=split, limit=p["prompts"]))
    model, tokenizer, lora_request = load_model(p, args.init_from, backend, has_vllm)

    # 1) sample: one line per prompt with its k completions (a group, so `rlvr score` reports pass@k)
    with (out / "candidates.jsonl").open("w", encoding="utf-8") as f:
        for start in range(0, len(rows), p["batch_prompts"]):
            batch = rows[start:start + p["batch_prompts"]]
            for i, (row, texts) in enumerate(zip(batch, sample(model, tokenizer, batch, p, lora_request))):
                f.write(json.dumps({"id": start + i, **row, "completions": texts}) + "\n")
            print(f"sampled {min(start + p['batch_prompts'], len(rows))}/{len(rows)} prompts", flush=True)
    del model  # free the GPU for the second SFT

    # 2) verify with the rlvr CLI; format at weight 0 is judged and reported but not summed
    rlvr = [shutil.which("rlvr")] if shutil.which("rlvr") else [sys.executable, "-m", "rlvr.cli"]
    cmd = [*rlvr, "score", str(out / "candidates.jsonl"), "-o", str(out / "scored.jsonl"), "--overwrite",
           "--summary-json", str(out / "summary.json"), "--quiet", "--reward", "math_accuracy", "--reward", "format=0"]
    if subprocess.run(cmd, check=False).returncode not in (0, 1):
        sys.exit(f"rlvr score failed: {' '.join(cmd)}")

    # 3) keep the verified samples
    candidates = [json.loads(line) for line in (out / "candidates.jsonl").read_text(encoding="utf-8").splitlines()]
    scored = [json.loads(line) for line in (out / "scored.jsonl").read_text(encoding="utf-8").splitlines()]
    kept = select_verified(candidates, scored, ACCEPT, p["max_kept"])
    (out / "kept.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    print(json.dumps({"prompts": len(candidates), "samples": len(scored), "kept": len(kept),
                      "pass_at_k": summary["groups"]["pass_at_k"]}))

    # 4) R1's second SFT: a fresh LoRA on the base model, verified samples + some cold-start data
    if args.second_sft:
        script = Path(__file__).resolve().with_name("sft_cold_start.py")
        cmd = [sys.executable, str(script), "--dataset", "sft_messages", "--data-file", str(out / "kept.jsonl"),
               "--mix-cold-start", str(p["mix_cold_start"]), "--output-dir", str(out / "second_sft"),
               "--backend", backend, *(["--smoke"] if args.smoke else ["--profile", args.profile])]
        subprocess.run(cmd, check=True)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=[k for k in PROFILES if k != "smoke"], default="t4")
    parser.add_argument("--smoke", action="store_true", help="CPU, tiny local model, bundled rows, seconds")
    parser.add_argument("--init-from", default=None, help="the LoRA adapter to sample from (the GRPO one)")
    parser.add_argument("--dataset", choices=list(DATASETS), default="openr1_math")
    parser.add_argument("--second-sft", action="store_true", help="then run sft_cold_start.py on kept.jsonl")
    parser.add_argument("--backend", choices=["auto", "unsloth", "trl"], default="auto")
    parser.add_argument("--output-dir", default="runs/rejection_sampling")
    args = parser.parse_args(argv)
    if args.init_from is None and not args.smoke:
        parser.error("pass --init-from ADAPTER (the GRPO stage's adapter directory)")
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
    run(args, backend, has_vllm=gpu and importlib.util.find_spec("vllm") is not None)


if __name__ == "__main__":
    main()
