"""The stages (SFT, GRPO, rejection sampling) and the runner that chains them.

Every stage writes into ``<output_dir>/<stage name>/``:

* ``adapter/`` - the LoRA adapter + tokenizer (training stages); ``merged/`` with ``save: merged``;
* ``checkpoints/`` - Trainer checkpoints (a re-run resumes from the last one);
* ``metrics.jsonl`` - every logged step (loss, ``rewards/<name>/mean``, completion lengths, ...);
* ``kept.jsonl`` / ``candidates.jsonl`` / ``summary.json`` - rejection sampling;
* ``stage.json`` - written last: the stage's resolved config and results. A stage with a
  ``stage.json`` is done and skipped by the runner unless ``--force``.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvr_examples.backend import (
    BackendError,
    LoadedModel,
    activate_backend,
    cuda_available,
    is_adapter_dir,
    load_model,
    precision_flags,
    resolve_backend,
    save_outputs,
)
from rlvr_examples.config import PipelineConfig, StageConfig
from rlvr_examples.datasets_io import load_stage_rows, to_hf_dataset
from rlvr_examples.rewards_setup import build_reward_stack, check_columns

__all__ = ["RunContext", "StageError", "run_pipeline", "run_stage"]

log = logging.getLogger("rlvr_examples")

REPORTERS = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",), "swanlab": ("swanlab",)}


class StageError(RuntimeError):
    """A stage cannot run as configured (message says what to fix)."""


@dataclass
class RunContext:
    cfg: PipelineConfig
    backend: str
    smoke: bool = False
    force: bool = False
    argv: list[str] = field(default_factory=list)

    @property
    def out_dir(self) -> Path:
        return Path(self.cfg.output_dir)

    def stage_dir(self, name: str) -> Path:
        return self.out_dir / name


# ------------------------------------------------------------------------------------------ helpers
def report_to_list(report_to: str) -> list[str]:
    """``"none"`` / ``"tensorboard,wandb"`` -> TrainingArguments ``report_to``; checks installs."""
    names = [r.strip().lower() for r in report_to.split(",") if r.strip()]
    if not names or names == ["none"]:
        return []
    unknown = [n for n in names if n not in REPORTERS]
    if unknown:
        raise StageError(f"report_to: unknown logger {unknown[0]!r}; use none, tensorboard, wandb or swanlab")
    for name in names:
        if not any(importlib.util.find_spec(mod) for mod in REPORTERS[name]):
            raise StageError(f"report_to: {name} is not installed; pip install {REPORTERS[name][0]} (or report_to: none)")
    return names


def resolve_init(ctx: RunContext, stage: StageConfig) -> str | None:
    """The adapter a stage starts from: None (fresh LoRA on the base model) or a directory."""
    init = stage.init_from
    if init in (None, "", "base"):
        return None
    names = [s.name for s in ctx.cfg.stages]
    candidate = ctx.stage_dir(init) / "adapter" if init in names or not Path(init).exists() else Path(init)
    if is_adapter_dir(candidate):
        return str(candidate)
    if Path(init).exists() and is_adapter_dir(init):
        return str(init)
    if ctx.smoke:
        log.warning("stage %s: init_from %r has no adapter at %s yet; smoke mode starts from the base model",
                    stage.name, init, candidate)
        return None
    raise StageError(
        f"stage {stage.name!r}: init_from {init!r} has no adapter at {candidate}. Run that stage first "
        "(same output_dir), pass --init-from PATH_TO_ADAPTER, or --init-from base."
    )


def metrics_callback(path: Path) -> Any:
    """A TrainerCallback appending every log line to ``path`` (JSONL)."""
    from transformers import TrainerCallback

    class JsonlMetrics(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and state.is_world_process_zero:
                row = {"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, (int, float, str))}}
                with path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")

    return JsonlMetrics()


def _last_checkpoint(ckpt_dir: Path, resume: bool) -> str | None:
    if not resume or not ckpt_dir.is_dir():
        return None
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(ckpt_dir))


def _training_args(ctx: RunContext, stage: StageConfig, loaded: LoadedModel, extra: dict[str, Any]) -> dict[str, Any]:
    stage_dir = ctx.stage_dir(stage.name)
    args: dict[str, Any] = {
        "output_dir": str(stage_dir / "checkpoints"),
        "seed": ctx.cfg.seed,
        "report_to": report_to_list(ctx.cfg.report_to) or "none",
        "run_name": f"{ctx.cfg.name}-{stage.name}",
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": 50,
        "save_total_limit": 2,
        **precision_flags(loaded.precision),
    }
    if loaded.backend == "trl":
        args["gradient_checkpointing"] = ctx.cfg.model.gradient_checkpointing
        if ctx.cfg.model.gradient_checkpointing:
            args["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    args.update(extra)
    args.update(stage.train)
    return args


def filter_long_prompts(rows: list[dict[str, Any]], tokenizer: Any, max_len: int | None, stage: str) -> list[dict[str, Any]]:
    """Drop rows whose chat-formatted prompt exceeds ``max_len`` tokens (TRL >= 0.28 no longer
    truncates prompts; truncating a maths problem would change it anyway)."""
    if max_len is None:
        return rows
    kept = []
    for row in rows:
        text = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        if len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= max_len:
            kept.append(row)
    if len(kept) < len(rows):
        log.info("stage %s: dropped %d of %d prompts longer than %d tokens", stage, len(rows) - len(kept), len(rows), max_len)
    if not kept:
        raise StageError(f"stage {stage!r}: every prompt is longer than max_prompt_length={max_len} tokens; raise it")
    return kept


def _free(loaded: LoadedModel | None) -> None:
    del loaded
    gc.collect()
    if cuda_available():
        import torch

        torch.cuda.empty_cache()


# ------------------------------------------------------------------------------------------ stages
def run_sft(ctx: RunContext, stage: StageConfig) -> dict[str, Any]:
    """Supervised fine-tuning on prompt/completion rows (loss on the completion only)."""
    from trl import SFTConfig, SFTTrainer

    from rlvr_examples.trl_compat import build_trl_config

    stage_dir = ctx.stage_dir(stage.name)
    rows = load_stage_rows(stage, ctx.stage_dir)
    loaded = load_model(ctx.cfg.model, ctx.backend, adapter=resolve_init(ctx, stage), seed=ctx.cfg.seed)
    kwargs = _training_args(ctx, stage, loaded, {"max_length": ctx.cfg.model.max_seq_length})
    args = build_trl_config(SFTConfig, kwargs, where=f"stage {stage.name}.train")
    trainer = SFTTrainer(model=loaded.model, args=args, train_dataset=to_hf_dataset(rows),
                         processing_class=loaded.tokenizer, callbacks=[metrics_callback(stage_dir / "metrics.jsonl")])
    trainer.train(resume_from_checkpoint=_last_checkpoint(stage_dir / "checkpoints", ctx.cfg.resume))
    saved = save_outputs(loaded, ctx.cfg.model, stage_dir)
    result = {"rows": len(rows), "global_step": trainer.state.global_step, **saved}
    del trainer
    _free(loaded)
    return result


def run_grpo(ctx: RunContext, stage: StageConfig) -> dict[str, Any]:
    """GRPO with an rlvr reward stack (each reward a separate TRL reward function + weight)."""
    from trl import GRPOConfig, GRPOTrainer

    from rlvr_examples.trl_compat import build_trl_config

    stage_dir = ctx.stage_dir(stage.name)
    stack = build_reward_stack(stage.rewards)
    rows = load_stage_rows(stage, ctx.stage_dir)
    check_columns(stack, sorted({k for r in rows for k in r}), stage.name)
    loaded = load_model(ctx.cfg.model, ctx.backend, adapter=resolve_init(ctx, stage), seed=ctx.cfg.seed)
    rows = filter_long_prompts(rows, loaded.tokenizer, stage.max_prompt_length, stage.name)
    extra: dict[str, Any] = {"reward_weights": stack.reward_weights}
    if stage.max_prompt_length is not None:
        extra["max_prompt_length"] = stage.max_prompt_length  # TRL < 0.28 (Unsloth); dropped on newer TRL
    kwargs = _training_args(ctx, stage, loaded, extra)
    args = build_trl_config(GRPOConfig, kwargs, where=f"stage {stage.name}.train")
    trainer = GRPOTrainer(model=loaded.model, reward_funcs=stack.reward_funcs, args=args,
                          train_dataset=to_hf_dataset(rows), processing_class=loaded.tokenizer,
                          callbacks=[metrics_callback(stage_dir / "metrics.jsonl")])
    trainer.train(resume_from_checkpoint=_last_checkpoint(stage_dir / "checkpoints", ctx.cfg.resume))
    saved = save_outputs(loaded, ctx.cfg.model, stage_dir)
    result = {"rows": len(rows), "global_step": trainer.state.global_step, "rewards": stack.names,
              "reward_weights": stack.reward_weights, **saved}
    del trainer
    _free(loaded)
    return result


def run_rejection_sampling(ctx: RunContext, stage: StageConfig) -> dict[str, Any]:
    """Sample k completions per prompt from the checkpoint, keep the verified ones as SFT rows."""
    from rlvr_examples.rejection import RejectionResult, generate_samples, select_verified

    assert stage.sampling is not None
    sampling = stage.sampling
    stage_dir = ctx.stage_dir(stage.name)
    stack = build_reward_stack(stage.rewards)
    rows = load_stage_rows(stage, ctx.stage_dir)
    check_columns(stack, sorted({k for r in rows for k in r}), stage.name)
    adapter = resolve_init(ctx, stage)
    loaded = load_model(ctx.cfg.model, ctx.backend, adapter=adapter, for_training=False, seed=ctx.cfg.seed)
    rows = filter_long_prompts(rows, loaded.tokenizer, stage.max_prompt_length, stage.name)
    import torch

    torch.manual_seed(ctx.cfg.seed)
    total = RejectionResult()
    started = time.monotonic()
    for start in range(0, len(rows), sampling.batch_size):
        batch = rows[start:start + sampling.batch_size]
        samples = generate_samples(loaded, [r["prompt"] for r in batch], k=sampling.k, temperature=sampling.temperature,
                                   top_p=sampling.top_p, max_new_tokens=sampling.max_new_tokens, adapter_dir=adapter)
        part = select_verified(batch, samples, stack, sampling.accept, max_kept_per_prompt=sampling.max_kept_per_prompt,
                               dedupe=sampling.dedupe, prompt_offset=start)
        total.candidates.extend(part.candidates)
        total.kept.extend(part.kept)
        log.info("stage %s: %d/%d prompts sampled, %d rows kept (%.0f s)", stage.name, min(start + len(batch), len(rows)),
                 len(rows), len(total.kept), time.monotonic() - started)
    stage_dir.mkdir(parents=True, exist_ok=True)
    for name, items in (("candidates.jsonl", total.candidates), ("kept.jsonl", total.kept)):
        with (stage_dir / name).open("w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item) + "\n")
    summary = total.summary(sampling.k)
    (stage_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    _free(loaded)
    return {**summary, "kept": str(stage_dir / "kept.jsonl"), "candidates": str(stage_dir / "candidates.jsonl")}


STAGE_RUNNERS = {"sft": run_sft, "grpo": run_grpo, "rejection_sampling": run_rejection_sampling}


def run_stage(ctx: RunContext, stage: StageConfig) -> dict[str, Any]:
    stage_dir = ctx.stage_dir(stage.name)
    marker = stage_dir / "stage.json"
    if marker.exists() and not ctx.force:
        log.info("stage %s: done already (%s); skipping (use --force to redo)", stage.name, marker)
        return json.loads(marker.read_text(encoding="utf-8"))
    stage_dir.mkdir(parents=True, exist_ok=True)
    if ctx.force and (stage_dir / "metrics.jsonl").exists():
        (stage_dir / "metrics.jsonl").unlink()
    log.info("stage %s (%s) starting, backend %s", stage.name, stage.kind, ctx.backend)
    started = time.monotonic()
    result = STAGE_RUNNERS[stage.kind](ctx, stage)
    record = {"stage": stage.name, "kind": stage.kind, "backend": ctx.backend, "seconds": round(time.monotonic() - started, 1),
              "result": result, "config": stage.model_dump()}
    marker.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    log.info("stage %s done in %.0f s", stage.name, record["seconds"])
    return record


def _isolated(ctx: RunContext, n_stages: int) -> bool:
    mode = ctx.cfg.isolate_stages
    return n_stages > 1 and (mode == "yes" or (mode == "auto" and ctx.backend == "unsloth"))


def run_pipeline(cfg: PipelineConfig, *, only: list[str] | None = None, smoke: bool = False, force: bool = False,
                 argv: list[str] | None = None) -> dict[str, Any]:
    """Run the stages of ``cfg`` in order (``only``: a subset, by name)."""
    for stage in cfg.stages if not only else [cfg.stage(n) for n in only]:
        if stage.rewards is not None:  # fail on a bad reward spec before loading anything heavy
            build_reward_stack(stage.rewards)
    report_to_list(cfg.report_to)  # an uninstalled logger fails now, not after the model loaded
    backend = resolve_backend(cfg.backend)
    if smoke and backend != "trl":
        raise BackendError("--smoke runs on CPU with the trl backend")
    activate_backend(backend)  # before transformers/trl are imported
    out_dir = Path(cfg.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from rlvr_examples.smoke import TINY_MODEL, materialize_tiny_model

    if cfg.model.name == TINY_MODEL:
        cfg.model.name = materialize_tiny_model(out_dir / "smoke_model")
    ctx = RunContext(cfg, backend, smoke=smoke, force=force, argv=list(argv or []))
    stages = cfg.stages if not only else [cfg.stage(n) for n in only]
    (out_dir / "pipeline_config.json").write_text(cfg.model_dump_json(indent=2), encoding="utf-8")
    results: dict[str, Any] = {}
    for stage in stages:
        if _isolated(ctx, len(stages)):
            results[stage.name] = _run_in_subprocess(ctx, stage)
        else:
            results[stage.name] = run_stage(ctx, stage)
    summary = {"pipeline": cfg.name, "backend": backend, "stages": {n: r.get("result", r) for n, r in results.items()}}
    (out_dir / "pipeline.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary


def _run_in_subprocess(ctx: RunContext, stage: StageConfig) -> dict[str, Any]:
    """One stage in a fresh process (Unsloth/vLLM keep GPU state that ``del`` does not free)."""
    script = Path(__file__).resolve().parent.parent / "run_pipeline.py"
    argv = [a for a in ctx.argv]
    cmd = [sys.executable, str(script), *argv, "--stages", stage.name, "--isolate", "no"]
    log.info("stage %s: running in a subprocess: %s", stage.name, " ".join(cmd))
    subprocess.run(cmd, check=True)
    return json.loads((ctx.stage_dir(stage.name) / "stage.json").read_text(encoding="utf-8"))
