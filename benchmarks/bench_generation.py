"""GRPO generation speed for a hardware profile, measured on the machine it runs on.

    python benchmarks/bench_generation.py --profile smoke --device cpu            # seconds, CPU
    python benchmarks/bench_generation.py --profile t4 --device cuda --trl-step    # a GPU box
    python benchmarks/bench_generation.py --profile t4 --device cuda --trl-step --compile \
        --budget-s 240 --json /tmp/gen.json
    python benchmarks/bench_generation.py --profile t4 --rows kv,nocache --trl-step --trl-rows defaults,compile

The model is a randomly initialised Qwen2 of the profile's shape, built from a config (no
download): ``t4`` is Qwen2.5-1.5B (28 layers, hidden 1536, vocab 151,936), ``smoke`` a tiny
2-layer model. One GRPO group is ``--group`` sequences sampling ``--new-tokens`` tokens from the
same ``--prompt-len``-token prompt; every sequence is forced to the full length
(``min_new_tokens``), the worst case and the usual one early in GRPO when completions clip.

Rows, all measured in this run, each with its ratio to the baseline:

* ``no KV cache (baseline)``: ``generate(use_cache=False)`` on the whole group: what a
  gradient-checkpointed model in training mode did inside older TRL/transformers (the
  checkpointed layers drop the cache, so every new token re-runs the whole sequence).
* ``KV cache, micro-batches``: cache on, the group generated ``--micro-batch`` sequences at a time
  (generation per training micro-batch, as with ``steps_per_generation=1``).
* ``KV cache, whole group``: cache on, one ``generate`` call for the group (TRL >= 0.18 default:
  ``generation_batch_size = per_device_train_batch_size * steps_per_generation``).
* ``static cache``: ``cache_implementation="static"`` without compilation (what TRL's
  ``GRPOConfig(cache_implementation="static")`` gives: TRL passes ``disable_compile=True``).
* ``static cache + torch.compile`` (``--compile``): transformers' automatic compilation of the
  decoding step; the first call (compilation included) and a second call are both reported.
* ``continuous batching``: ``model.generate_batch`` (transformers >= 5.8), the engine behind
  ``GRPOConfig(use_transformers_continuous_batching=True)``.

``--trl-step`` also runs real TRL ``GRPOTrainer`` steps (LoRA on every linear layer, gradient
checkpointing as the profile says, ``beta=0``) with several generation settings and reports
s/step of a steady-state step, the generation share, peak GPU memory, and whether generation
really used the KV cache (read from the decoder's input lengths, not assumed). Settings:
TRL's defaults; static cache + compile (``cache_implementation="static"``,
``generation_kwargs={"max_cache_len": ...}``, then ``trainer.generation_config.disable_compile =
False`` and the hook fix of :func:`rlvr.generation.enable_compiled_generation`); KV cache off; ``cache_implementation="static"``
alone; ``use_transformers_continuous_batching=True``.

vLLM (``use_vllm=True``) and Unsloth ``fast_inference`` are not measured: neither is installed
where this benchmark has run so far. ``--budget-s`` skips the remaining rows once the run has
spent that much wall time (skipped rows say so). Not part of the test suite. Figures from an H200
run and the T4 estimate derived from them: docs/generation.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

# Model shapes: Qwen2Config keyword arguments. "t4" is Qwen2.5-1.5B(-Instruct)'s published config.
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {
        "model": dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                      tie_word_embeddings=True),
        "group": 8, "micro_batch": 4, "new_tokens": 64, "prompt_len": 32, "lora_rank": 4,
        "gradient_checkpointing": False,
    },
    "t4": {
        "model": dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                      num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=32768,
                      rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True),
        # 8 completions x 768 tokens per GRPO group; micro-batch 4 x 2 accumulation steps; LoRA r=32.
        "group": 8, "micro_batch": 4, "new_tokens": 768, "prompt_len": 256, "lora_rank": 32,
        "gradient_checkpointing": True,
    },
}

PAD, EOS, BOS = 0, 1, 2


@dataclass
class Row:
    name: str
    seconds: float | None = None
    tokens: int = 0
    peak_gib: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tok_s(self) -> float | None:
        return self.tokens / self.seconds if self.seconds else None


class Clock:
    """Wall-time budget: ``has(cost)`` says whether ``cost`` more seconds fit."""

    def __init__(self, budget_s: float | None) -> None:
        self.t0 = time.perf_counter()
        self.budget_s = budget_s

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def has(self, cost: float) -> bool:
        return self.budget_s is None or self.elapsed() + cost <= self.budget_s


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def reset_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device: str) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None


def build_tokenizer(vocab_size: int) -> Any:
    """Character-level tokenizer padded with filler tokens up to the model's vocabulary size,
    so any id the random model samples decodes (TRL decodes every completion)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<bos>"]
    chars = list(dict.fromkeys(string.ascii_letters + string.digits + string.punctuation + " \n"))
    vocab = {t: i for i, t in enumerate(specials + chars)}
    for i in range(len(vocab), vocab_size):
        vocab[f"<t{i}>"] = i
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>")
    tok.padding_side = "left"
    return tok


def build_model(profile: dict[str, Any], device: str, dtype: torch.dtype) -> Any:
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(pad_token_id=PAD, eos_token_id=EOS, bos_token_id=BOS, **profile["model"])
    with torch.device(device):
        model = Qwen2ForCausalLM(config)
    model.to(dtype)
    model.generation_config = GenerationConfig(pad_token_id=PAD, eos_token_id=EOS, bos_token_id=BOS)
    model.eval()
    return model


def sample_kwargs(new_tokens: int) -> dict[str, Any]:
    # TRL's sampling settings (temperature 1, top_p 1, top_k 0); forced to the full length.
    return dict(do_sample=True, temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=new_tokens,
                min_new_tokens=new_tokens, pad_token_id=PAD, eos_token_id=EOS)


def timed_generate(model: Any, device: str, prompt: torch.Tensor, batch: int, new_tokens: int,
                   repeats: int, **kwargs: Any) -> tuple[float, int, float | None]:
    """Median seconds for one ``generate`` of ``batch`` copies of ``prompt``; tokens per call; peak GiB."""
    ids = prompt.unsqueeze(0).repeat(batch, 1).to(device)
    mask = torch.ones_like(ids)
    times, tokens = [], 0
    reset_peak(device)
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, **sample_kwargs(new_tokens), **kwargs)
        sync(device)
        times.append(time.perf_counter() - t0)
        tokens = int((out.shape[1] - ids.shape[1]) * out.shape[0])
    return statistics.median(times), tokens, peak_gib(device)


def bench_generate(model: Any, args: argparse.Namespace, prof: dict[str, Any], clock: Clock,
                   rows: list[Row], on_row: Callable[[], None]) -> None:
    device, group, micro, new = args.device, args.group, args.micro_batch, args.new_tokens
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(3, prof["model"]["vocab_size"], (args.prompt_len,), generator=g)
    # Warm-up: kernels, allocator, cuBLAS handles.
    timed_generate(model, device, prompt, group, min(16, new), 1)

    def add(key: str, name: str, cost: float, fn: Callable[[], tuple[float, int, float | None]],
            note: str = "") -> Row:
        if key not in args.rows:
            return Row(name, note="not selected")
        if not clock.has(cost):
            row = Row(name, note=f"skipped: --budget-s {clock.budget_s:.0f} s reached")
        else:
            try:
                s, n, p = fn()
                row = Row(name, s, n, p, note)
            except Exception as exc:  # a setting the installed stack does not support: report, go on
                row = Row(name, note=f"failed: {type(exc).__name__}: {str(exc)[:160]}")
        rows.append(row)
        on_row()
        print(f"  {row.name:<38} {fmt(row.seconds, 's'):>9} {row.note}", flush=True)
        return row

    kv = add("kv", "KV cache, whole group", 0, lambda: timed_generate(model, device, prompt, group, new, args.repeats))
    ref = kv.seconds or args.ref_s

    def compiled() -> tuple[float, int, float | None]:
        # transformers compiles the decoding step itself when the cache is static and compiling is allowed
        extra: dict[str, Any] = {}
        if device == "cpu":
            from transformers import CompileConfig

            extra["compile_config"] = CompileConfig()
            extra["compile_config"]._compile_all_devices = True
        return timed_generate(model, device, prompt, group, new, 1, cache_implementation="static", **extra)

    first = add("compile", "static cache + compile (1st call)", ref + 60, compiled, "includes compilation")
    if first.seconds:
        add("compile", "static cache + compile (2nd call)", ref / 2, compiled)

    add("cb", "continuous batching (generate_batch)", ref, lambda: timed_generate_batch(model, args, prompt))
    # Without a cache, decoding step t re-runs all prompt + t tokens (compute-bound, quadratic overall).
    add("nocache", "no KV cache (baseline)", ref * 1.5,
        lambda: timed_generate(model, device, prompt, group, new, args.repeats, use_cache=False))
    add("static", "static cache", ref * 1.2,
        lambda: timed_generate(model, device, prompt, group, new, args.repeats, cache_implementation="static",
                               disable_compile=True))

    def microbatched() -> tuple[float, int, float | None]:
        total_s, total_n, peak = 0.0, 0, None
        for start in range(0, group, micro):
            s, n, peak = timed_generate(model, device, prompt, min(micro, group - start), new, args.repeats)
            total_s, total_n = total_s + s, total_n + n
        return total_s, total_n, peak

    add("micro", f"KV cache, micro-batches of {micro}", ref * group / micro, microbatched)


def timed_generate_batch(model: Any, args: argparse.Namespace, prompt: torch.Tensor) -> tuple[float, int, float | None]:
    from transformers import GenerationConfig

    if not hasattr(model, "generate_batch"):
        raise RuntimeError("this transformers has no generate_batch (needs >= 5.8)")
    cfg = GenerationConfig(**sample_kwargs(args.new_tokens))
    inputs = [prompt.tolist() for _ in range(args.group)]
    reset_peak(args.device)
    times, tokens = [], 0
    for _ in range(args.repeats):
        sync(args.device)
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate_batch(inputs, generation_config=cfg, progress_bar=False)
        sync(args.device)
        times.append(time.perf_counter() - t0)
        tokens = sum(len(o.generated_tokens) for o in out.values())
    return statistics.median(times), tokens, peak_gib(args.device)


# ---------------------------------------------------------------------------------------------
# Real TRL GRPO steps


def allow_compile(trainer: Any, device: str) -> None:
    """rlvr's compiled-generation switch (compilation on, one input-grad hook); on CPU also tell
    transformers to compile there, which it does only on accelerators unless asked."""
    from transformers import CompileConfig

    from rlvr.generation import enable_compiled_generation

    enable_compiled_generation(trainer)
    if device == "cpu":
        cfg = CompileConfig()
        cfg._compile_all_devices = True
        trainer.generation_config.compile_config = cfg


def bench_trl(args: argparse.Namespace, prof: dict[str, Any], dtype: torch.dtype, clock: Clock,
              gen_ref_s: float, rows: list[Row], on_row: Callable[[], None]) -> None:
    try:
        import trl
        from datasets import Dataset
        from peft import LoraConfig
        from trl import GRPOConfig, GRPOTrainer
    except Exception as exc:
        print(f"  TRL step not run: {type(exc).__name__}: {exc}")
        rows.append(Row("TRL GRPO step", note=f"not run: {type(exc).__name__}: {exc}"))
        on_row()
        return
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback

    print(f"  trl {trl.__version__}")
    device, group, micro, new = args.device, args.group, args.micro_batch, args.new_tokens
    tok = build_tokenizer(prof["model"]["vocab_size"])
    rng = torch.Generator().manual_seed(2)
    alphabet = string.ascii_lowercase + " "
    prompts = ["".join(alphabet[int(i)] for i in torch.randint(0, len(alphabet), (args.prompt_len,), generator=rng))
               for _ in range(4)]
    dataset = Dataset.from_list([{"prompt": p} for p in prompts])

    def distinct_tokens(completion_ids: list[list[int]], **_: Any) -> list[float]:
        """A cheap reward that varies within a group, so advantages are not all zero."""
        return [len(set(ids)) / max(1, len(ids)) for ids in completion_ids]

    class StepTimes(TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_train_begin(self, *a: Any, **k: Any) -> None:
            sync(device)
            self.marks.append(time.perf_counter())

        def on_step_end(self, *a: Any, **k: Any) -> None:
            sync(device)
            self.marks.append(time.perf_counter())

    settings: list[tuple[str, str, dict[str, Any], float]] = [
        ("defaults", "TRL step: defaults", {}, 1.0),
        # TRL builds its GenerationConfig with disable_compile=True; lifting that after construction lets
        # transformers compile the decoding step (static cache sized once, so one compilation per run).
        ("compile", "TRL step: static cache + compile", {
            "cache_implementation": "static",
            "generation_kwargs": {"max_cache_len": args.prompt_len + new}}, 0.8),
        ("nocache", "TRL step: KV cache off (old stacks)", {"generation_kwargs": {"use_cache": False}}, 1.5),
        ("static", "TRL step: cache_implementation=static", {"cache_implementation": "static"}, 1.2),
        ("cb", "TRL step: continuous batching", {"use_transformers_continuous_batching": True}, 1.0),
    ]
    settings = [s for s in settings if s[0] in args.trl_rows]
    step_guess = None
    for _key, name, extra, factor in settings:
        cost = 2 * (step_guess or gen_ref_s * 2) * factor
        if not clock.has(cost):
            rows.append(Row(name, note=f"skipped: --budget-s {clock.budget_s:.0f} s reached"))
            on_row()
            print(f"  {name:<38} {'-':>9} skipped (budget)", flush=True)
            continue
        extra = dict(extra)
        gen_kwargs = {"min_new_tokens": new, **extra.pop("generation_kwargs", {})}
        model = build_model(prof, device, dtype)
        model.train()
        gen_times: list[float] = []
        fed: list[int] = []  # decoder input lengths during generation (1 per step = cache in use)

        def watch_inputs(_module: Any, a: tuple, k: dict, __fed: list[int] = fed) -> None:
            ids = k.get("input_ids", a[0] if a else None)
            if ids is not None and not torch.is_grad_enabled():
                __fed.append(int(ids.shape[1]))

        # Not under compilation: dynamo would trace the hook and recompile each time `fed` grows. A static
        # cache is a KV cache by construction.
        hook = None if _key == "compile" else model.model.register_forward_pre_hook(watch_inputs, with_kwargs=True)
        with tempfile.TemporaryDirectory() as out_dir:
            cfg = GRPOConfig(
                output_dir=out_dir, max_steps=args.trl_steps, per_device_train_batch_size=micro,
                gradient_accumulation_steps=max(1, group // micro), num_generations=group,
                max_completion_length=new, learning_rate=5e-6, beta=0.0, loss_type="dapo",
                gradient_checkpointing=args.gradient_checkpointing, logging_steps=1, save_strategy="no",
                report_to="none", disable_tqdm=True, seed=0, generation_kwargs=gen_kwargs,
                use_cpu=device == "cpu", bf16=device == "cuda" and dtype == torch.bfloat16,
                fp16=device == "cuda" and dtype == torch.float16, **extra)
            lora = LoraConfig(r=args.lora_rank, lora_alpha=2 * args.lora_rank, lora_dropout=0.0,
                              target_modules="all-linear", task_type="CAUSAL_LM")
            timer = StepTimes()
            try:
                trainer = GRPOTrainer(model=model, processing_class=tok, args=cfg, train_dataset=dataset,
                                      reward_funcs=[distinct_tokens], peft_config=lora, callbacks=[timer])
                if _key == "compile":
                    allow_compile(trainer, device)
                for attr in ("generate", "generate_batch"):
                    if hasattr(trainer.model, attr):
                        orig = getattr(trainer.model, attr)

                        def timed(*a: Any, __orig: Callable = orig, __times: list[float] = gen_times, **k: Any) -> Any:
                            sync(device)
                            t0 = time.perf_counter()
                            out = __orig(*a, **k)
                            sync(device)
                            __times.append(time.perf_counter() - t0)
                            return out

                        setattr(trainer.model, attr, timed)
                trainer.remove_callback(PrinterCallback)  # no per-step log dicts in the output
                reset_peak(device)
                trainer.train()
                steps = [b - a for a, b in zip(timer.marks, timer.marks[1:])]
                best = min(range(1, len(steps)), key=steps.__getitem__) if len(steps) > 1 else 0
                step_s = steps[best]  # steady state: the fastest step after the first
                step_guess = step_guess or step_s
                gen_s = gen_times[best] if len(gen_times) == len(steps) else None  # one generate per step
                decode_calls = [n for n in fed if n == 1]
                # continuous batching packs all sequences into one row of a paged cache: not readable here
                used_cache = None if "continuous" in name else (len(decode_calls) > len(fed) // 2 if fed else None)
                if _key == "compile":
                    used_cache = True
                row = Row(name, step_s, group * new, peak_gib(device),
                          note=f"generation {fmt(gen_s, 's')} of the step; KV cache used: {used_cache}",
                          extra={"all_steps_s": steps, "generate_s": gen_times, "kv_cache_used": used_cache,
                                 "config": {k: v for k, v in extra.items()}, "generation_kwargs": gen_kwargs})
            except Exception as exc:
                row = Row(name, note=f"failed: {type(exc).__name__}: {str(exc)[:200]}")
            finally:
                if hook is not None:
                    hook.remove()
        rows.append(row)
        on_row()
        print(f"  {row.name:<38} {fmt(row.seconds, 's/step'):>9} {row.note}", flush=True)
        del model
        reset_peak(device)


# ---------------------------------------------------------------------------------------------


def fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    return f"{x:.3g} {unit}".strip() if x < 100 else f"{x:.0f} {unit}".strip()


def table(title: str, rows: list[Row], baseline: Row | None, unit: str) -> None:
    print(f"\n{title}")
    print(f"| {'setting':<40} | {unit:>9} | {'tokens/s':>9} | {'x baseline':>10} | {'peak GiB':>8} | note")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 11}|{'-' * 12}|{'-' * 10}|------")
    for r in rows:
        ratio = baseline.seconds / r.seconds if baseline and baseline.seconds and r.seconds else None
        print(f"| {r.name:<40} | {fmt(r.seconds):>9} | {fmt(r.tok_s):>9} | "
              f"{(f'{ratio:.2f}x' if ratio else '-'):>10} | {fmt(r.peak_gib):>8} | {r.note}")


# ---------------------------------------------------------------------------------------------
# Derived (not measured): a T4 from GPU measurements. The assumptions are docs/generation.md's.

T4 = {"bandwidth": 320e9, "bw_eff": (0.8, 0.7), "tflops": (30e12, 20e12), "peak_ratio": 790 / 65,
      "host_slowdown": (1.0, 1.5), "kernel_slowdown": (1.5, 2.5)}


def derive_t4(paths: list[str], steps: int = 500) -> None:
    """Print the t4 profile's expected generation time, s/step and run time on a T4, derived from
    ``--json`` files of GPU runs (rows merged by name). Every figure printed is a range."""
    rows: dict[str, dict[str, Any]] = {}
    meta: dict[str, Any] = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        meta.update({k: v for k, v in data.items() if k not in ("generate", "trl")})
        rows.update({r["name"]: r for r in data.get("generate", []) + data.get("trl", []) if r.get("seconds")})
    shape = PROFILES[meta["profile"]]["model"]
    group, new, prompt = meta["group"], meta["new_tokens"], meta["prompt_len"]
    params = meta.get("parameters") or 1.5437e9
    head_dim = shape["hidden_size"] // shape["num_attention_heads"]
    kv_bytes = group * (prompt + new / 2) * shape["num_hidden_layers"] * 2 * shape["num_key_value_heads"] * head_dim * 2
    step_bytes = 2 * params + kv_bytes
    floor = [step_bytes / (T4["bandwidth"] * eff) for eff in T4["bw_eff"]]  # s per decoding step
    trl = rows.get("TRL step: defaults")
    eager_h200 = (trl["extra"]["generate_s"][-1] if trl else rows["KV cache, whole group"]["seconds"]) / new
    compiled = rows.get("static cache + compile (2nd call)")
    print(f"\nDERIVED, not measured: t4 profile on a T4 ({group} x {new} tokens, prompt {prompt}, 16-bit weights)")
    print(f"  bytes per decoding step {step_bytes / 1e9:.2f} GB -> T4 floor "
          f"{floor[0] * 1e3:.1f}-{floor[1] * 1e3:.1f} ms per step")
    eager = [max(eager_h200 * k, f) * new for k, f in zip(T4["host_slowdown"], floor)]
    gens = {"eager generate (TRL defaults)": eager}
    if compiled:
        per_step = compiled["seconds"] / new
        gens["static cache + compile"] = [max(per_step * k, f) * new for k, f in zip(T4["kernel_slowdown"], floor)]
    flops = 6 * params * group * (prompt + new)
    train = sorted([flops / T4["tflops"][0], flops / T4["tflops"][1]]
                   + ([(trl["seconds"] - trl["extra"]["generate_s"][-1]) * T4["peak_ratio"]] if trl else []))
    train = [train[0], train[-1]]
    print(f"  training part of a step {train[0]:.1f}-{train[1]:.1f} s")
    for name, (lo, hi) in gens.items():
        s_lo, s_hi = lo + train[0], hi + train[1]
        print(f"  {name:<32} generation {lo:.0f}-{hi:.0f} s; step {s_lo:.0f}-{s_hi:.0f} s; "
              f"{steps} steps {s_lo * steps / 3600:.1f}-{s_hi * steps / 3600:.1f} h")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", choices=sorted(PROFILES), default="smoke")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], default=None,
                   help="default: bf16 on a GPU that has it, fp16 on other GPUs, fp32 on CPU")
    p.add_argument("--group", type=int, help="sequences per GRPO group (num_generations)")
    p.add_argument("--micro-batch", type=int, help="per_device_train_batch_size")
    p.add_argument("--new-tokens", type=int, help="max_completion_length")
    p.add_argument("--prompt-len", type=int, help="prompt tokens")
    p.add_argument("--repeats", type=int, default=None,
                   help="generate calls per row (median); default 3 on CPU, 1 on GPU")
    p.add_argument("--rows", default="kv,nocache,static,cb,micro",
                   help="generate rows, comma-separated from kv,nocache,static,cb,compile,micro")
    p.add_argument("--compile", action="store_true", help="add the static cache + torch.compile row")
    p.add_argument("--trl-rows", default="defaults,compile,nocache,static,cb",
                   help="TRL step rows, comma-separated from defaults,compile,nocache,static,cb")
    p.add_argument("--ref-s", type=float, default=10.0,
                   help="budget estimates: seconds per group assumed when the kv row is not run")
    p.add_argument("--trl-step", action="store_true", help="also time real TRL GRPOTrainer steps")
    p.add_argument("--no-generate", action="store_true", help="skip the plain generate rows")
    p.add_argument("--trl-steps", type=int, default=None,
                   help="optimizer steps per TRL row (the fastest after the first is reported); "
                        "default 3 on CPU, 2 on GPU")
    p.add_argument("--gradient-checkpointing", choices=["on", "off"], default=None,
                   help="TRL step: default as the profile says (t4: on)")
    p.add_argument("--budget-s", type=float, default=None, help="skip remaining rows after this many seconds")
    p.add_argument("--json", help="write all figures to this file")
    p.add_argument("--derive-t4", nargs="+", metavar="JSON",
                   help="measure nothing: print the T4 estimate derived from these --json files of GPU runs")
    args = p.parse_args(argv)
    if args.derive_t4:
        derive_t4(args.derive_t4)
        return 0
    prof = PROFILES[args.profile]
    args.rows = set(args.rows.split(",")) | ({"compile"} if args.compile else set())
    args.trl_rows = set(args.trl_rows.split(","))
    for key in ("group", "micro_batch", "new_tokens", "prompt_len"):
        if getattr(args, key) is None:
            setattr(args, key, prof[key])
    args.lora_rank = prof["lora_rank"]
    gc = args.gradient_checkpointing
    args.gradient_checkpointing = prof["gradient_checkpointing"] if gc is None else gc == "on"
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but torch sees no CUDA device")
    if args.trl_steps is None:
        args.trl_steps = 2 if args.device == "cuda" else 3
    if args.repeats is None:
        args.repeats = 1 if args.device == "cuda" else 3
    if args.dtype is None:
        if args.device == "cpu":
            args.dtype = "fp32"
        else:
            args.dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    if args.device == "cpu":
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    import transformers

    hw = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or platform.machine()
    print(f"profile {args.profile}: group {args.group} x {args.new_tokens} new tokens, prompt {args.prompt_len}, "
          f"micro-batch {args.micro_batch}, {args.dtype} on {args.device} ({hw}); torch {torch.__version__}, "
          f"transformers {transformers.__version__}", flush=True)
    clock = Clock(args.budget_s)
    result: dict[str, Any] = {"profile": args.profile, "device": args.device, "hardware": hw, "dtype": args.dtype,
                              "group": args.group, "new_tokens": args.new_tokens, "prompt_len": args.prompt_len,
                              "micro_batch": args.micro_batch, "torch": torch.__version__,
                              "transformers": transformers.__version__, "python": sys.version.split()[0]}
    gen_rows: list[Row] = []
    trl_rows: list[Row] = []

    def save() -> None:  # after every row, so a run stopped at a time limit keeps what it measured
        result["generate"] = [dict(r.__dict__, tok_s=r.tok_s) for r in gen_rows]
        result["trl"] = [dict(r.__dict__, tok_s=r.tok_s) for r in trl_rows]
        result["wall_s"] = clock.elapsed()
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=1, default=str)

    if not args.no_generate:
        model = build_model(prof, args.device, dtype)
        n_params = sum(t.numel() for t in model.parameters())
        result["parameters"] = n_params
        print(f"  model: {n_params / 1e6:.1f}M parameters (random weights)", flush=True)
        bench_generate(model, args, prof, clock, gen_rows, save)
        del model
        reset_peak(args.device)
    ref_s = next((r.seconds for r in gen_rows if r.name.startswith("KV cache, whole") and r.seconds), args.ref_s)
    if args.trl_step:
        bench_trl(args, prof, dtype, clock, ref_s, trl_rows, save)

    if gen_rows:
        base = next((r for r in gen_rows if r.name.startswith("no KV cache")), None)
        table(f"generate(): one GRPO group of {args.group} x {args.new_tokens} tokens (seconds per group)",
              gen_rows, base, "s/group")
    if trl_rows:
        base = next((r for r in trl_rows if "KV cache off" in r.name and r.seconds), None) or trl_rows[0]
        table("TRL GRPOTrainer: steady-state optimizer step (one group), LoRA"
              f" r={args.lora_rank}, gradient checkpointing {args.gradient_checkpointing}", trl_rows, base,
              "s/step")
    print(f"\nwall time {clock.elapsed():.0f} s")
    save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
