"""Training backends: Unsloth on a GPU, plain TRL + peft everywhere else.

* ``resolve_backend("auto")`` picks Unsloth when it is installed *and* a CUDA GPU is visible,
  else TRL + peft. ``"unsloth"`` fails with the install lines when it cannot work.
* :func:`activate_backend` must run before anything imports transformers/trl: Unsloth patches
  them at import time (it warns, and its speed-ups are lost, when imported after them).
* :func:`load_model` loads the base model (4-bit when asked and possible), wraps it in a LoRA
  adapter, or continues a saved adapter (``init_from``); :func:`save_outputs` writes the
  adapter and/or merged 16-bit weights.

Unsloth cannot be installed next to the latest TRL (it pins older trl/transformers/torch), so
its path is written against its documented API (``FastLanguageModel.from_pretrained``,
``get_peft_model(use_gradient_checkpointing="unsloth")``, ``for_training``/``for_inference``,
``save_pretrained_merged``, ``fast_generate`` + ``load_lora`` with vLLM) and exercised on GPUs only.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr_examples.config import ModelConfig

__all__ = [
    "UNSLOTH_INSTALL",
    "BackendError",
    "LoadedModel",
    "activate_backend",
    "cuda_available",
    "load_model",
    "precision_flags",
    "resolve_backend",
    "resolve_precision",
    "save_outputs",
]

log = logging.getLogger("rlvr_examples")

UNSLOTH_INSTALL = """\
Unsloth needs a CUDA GPU and pins older trl/transformers/torch. On Colab (T4) install, in order:
    pip install unsloth                                      # + unsloth_zoo, bitsandbytes, peft, accelerate
    pip install --no-deps transformers==4.56.2 trl==0.22.2   # the versions Unsloth's GRPO notebooks pin
    pip install vllm==0.11.2                                 # optional: model.fast_inference: true
    pip install math-verify sympy latex2sympy2_extended regex pydantic pyyaml
    pip install --no-deps -e .                               # rlvr itself, from this repository
or run with --backend trl (plain TRL + peft)."""


class BackendError(RuntimeError):
    """The requested backend cannot run here (message says what to install or change)."""


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def resolve_backend(requested: str) -> str:
    """``auto`` -> ``unsloth`` (installed + CUDA) or ``trl``; validates explicit choices."""
    if requested not in ("auto", "unsloth", "trl"):
        raise BackendError(f"unknown backend {requested!r}; use auto, unsloth or trl")
    if requested == "trl":
        return "trl"
    installed = importlib.util.find_spec("unsloth") is not None
    if requested == "unsloth":
        if not installed:
            raise BackendError("backend 'unsloth' requested but the unsloth package is not installed.\n" + UNSLOTH_INSTALL)
        if not cuda_available():
            raise BackendError("backend 'unsloth' requested but no CUDA GPU is visible (Unsloth refuses to run on CPU). "
                               "Use --backend trl.")
        return "unsloth"
    return "unsloth" if installed and cuda_available() else "trl"


def activate_backend(backend: str) -> None:
    """Import Unsloth first (before transformers/trl) when it is the backend."""
    if backend == "unsloth":
        import sys

        late = [m for m in ("trl", "transformers", "peft") if m in sys.modules]
        if late:
            log.warning("Unsloth imported after %s: some of its patches may not apply", ", ".join(late))
        import unsloth  # noqa: F401  (patches transformers/trl on import)


def resolve_precision(requested: str) -> str:
    """``auto``: bf16 on GPUs that support it (Ampere+), fp16 on older ones (T4), fp32 on CPU."""
    if requested != "auto":
        return requested
    if not cuda_available():
        return "fp32"
    import torch

    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def precision_flags(precision: str) -> dict[str, Any]:
    """TrainingArguments keywords for ``precision`` (TRL 1.x defaults to bf16, which fails on CPU)."""
    on_cpu = not cuda_available()
    if on_cpu and precision in ("bf16", "fp16"):
        raise BackendError(f"precision {precision!r} needs a GPU; use precision: fp32 (or auto) on CPU")
    return {"bf16": precision == "bf16", "fp16": precision == "fp16", "use_cpu": on_cpu}


def _torch_dtype(precision: str) -> Any:
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    backend: str
    precision: str
    base_name: str
    adapter_from: str | None = None


def _adapter_base(adapter_dir: str) -> str | None:
    try:
        with open(Path(adapter_dir) / "adapter_config.json", encoding="utf-8") as f:
            return json.load(f).get("base_model_name_or_path")
    except (OSError, json.JSONDecodeError):
        return None


def is_adapter_dir(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / "adapter_config.json").exists()


def _prepare_tokenizer(tokenizer: Any, cfg: ModelConfig) -> Any:
    if cfg.chat_template:
        tokenizer.chat_template = cfg.chat_template
    if getattr(tokenizer, "chat_template", None) is None:
        raise BackendError(
            f"the tokenizer of {cfg.name!r} has no chat template; the examples use conversational data. "
            "Use an instruct model or set model.chat_template in the config."
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _mark_lora_trainable(model: Any) -> None:
    for name, param in model.named_parameters():
        if "lora_" in name:
            param.requires_grad_(True)


def load_model(cfg: ModelConfig, backend: str, *, adapter: str | None = None, for_training: bool = True,
               seed: int = 42) -> LoadedModel:
    """Load ``cfg.name`` with a LoRA adapter: a fresh one, or the one saved in ``adapter``."""
    precision = resolve_precision(cfg.precision)
    if adapter is not None:
        base = _adapter_base(adapter)
        if base and base != cfg.name and Path(base).resolve() != Path(cfg.name).resolve():
            log.warning("adapter %s was trained on %s, loading it on %s", adapter, base, cfg.name)
    if backend == "unsloth":
        return _load_unsloth(cfg, precision, adapter, for_training, seed)
    return _load_trl(cfg, precision, adapter, for_training)


def _load_unsloth(cfg: ModelConfig, precision: str, adapter: str | None, for_training: bool, seed: int) -> LoadedModel:
    from unsloth import FastLanguageModel

    kwargs: dict[str, Any] = {
        "model_name": adapter or cfg.name,  # an adapter dir loads its base model + the adapter
        "max_seq_length": cfg.max_seq_length,
        "load_in_4bit": cfg.load_in_4bit,
        "dtype": None if cfg.precision == "auto" else _torch_dtype(precision),
    }
    if cfg.fast_inference:
        kwargs.update(fast_inference=True, max_lora_rank=cfg.lora_rank, gpu_memory_utilization=cfg.gpu_memory_utilization)
    model, tokenizer = FastLanguageModel.from_pretrained(**kwargs)
    tokenizer = _prepare_tokenizer(tokenizer, cfg)
    if adapter is None:
        model = FastLanguageModel.get_peft_model(
            model,
            r=cfg.lora_rank,
            target_modules=cfg.target_modules,
            lora_alpha=cfg.alpha,
            lora_dropout=cfg.lora_dropout,
            bias="none",
            use_gradient_checkpointing="unsloth" if cfg.gradient_checkpointing else False,
            random_state=seed,
        )
    if for_training:
        FastLanguageModel.for_training(model)
        _mark_lora_trainable(model)
    else:
        FastLanguageModel.for_inference(model)
    return LoadedModel(model, tokenizer, "unsloth", precision, cfg.name, adapter)


def _load_trl(cfg: ModelConfig, precision: str, adapter: str | None, for_training: bool) -> LoadedModel:
    from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = _prepare_tokenizer(AutoTokenizer.from_pretrained(adapter or cfg.name), cfg)
    kwargs: dict[str, Any] = {"dtype": _torch_dtype(precision)}
    quantized = False
    if cfg.load_in_4bit:
        if cuda_available():
            import torch
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=_torch_dtype(precision) if precision != "fp32" else torch.float16,
            )
            kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
            quantized = True
        else:
            log.warning("load_in_4bit needs a CUDA GPU (bitsandbytes); loading %s unquantized", cfg.name)
    model = AutoModelForCausalLM.from_pretrained(cfg.name, **kwargs)
    if getattr(model, "generation_config", None) is not None and model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    if quantized and for_training:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    elif for_training and cfg.gradient_checkpointing:
        model.enable_input_require_grads()
    if adapter is not None:
        model = PeftModel.from_pretrained(model, adapter, is_trainable=for_training)
    elif for_training:
        lora = LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.alpha, lora_dropout=cfg.lora_dropout,
                          target_modules=cfg.target_modules, bias="none", task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)
    if not for_training:
        model.eval()
        if cuda_available() and not quantized:
            model.to("cuda")
    return LoadedModel(model, tokenizer, "trl", precision, cfg.name, adapter)


def save_outputs(loaded: LoadedModel, cfg: ModelConfig, stage_dir: Path) -> dict[str, str]:
    """Write ``stage_dir/adapter`` (LoRA + tokenizer) and/or ``stage_dir/merged`` (16-bit)."""
    out: dict[str, str] = {}
    adapter_dir = stage_dir / "adapter"
    loaded.model.save_pretrained(str(adapter_dir))
    loaded.tokenizer.save_pretrained(str(adapter_dir))
    out["adapter"] = str(adapter_dir)  # always written: later stages continue from it
    if cfg.save in ("merged", "both"):
        merged_dir = stage_dir / "merged"
        if loaded.backend == "unsloth":
            loaded.model.save_pretrained_merged(str(merged_dir), loaded.tokenizer, save_method="merged_16bit")
        else:
            _merge_with_peft(cfg, adapter_dir, merged_dir, loaded.precision)
        out["merged"] = str(merged_dir)
    return out


def _merge_with_peft(cfg: ModelConfig, adapter_dir: Path, merged_dir: Path, precision: str) -> None:
    """Reload the base unquantized (merging into 4-bit weights is lossy), merge, save."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.float32 if precision == "fp32" else torch.float16 if precision == "fp16" else torch.bfloat16
    base = AutoModelForCausalLM.from_pretrained(cfg.name, dtype=dtype)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(str(merged_dir))
    AutoTokenizer.from_pretrained(str(adapter_dir)).save_pretrained(str(merged_dir))
