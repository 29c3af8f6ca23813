"""Tiny, fully local models and tokenizers for tests and ``--smoke`` runs (no downloads).

Needs the ``trl`` extra (torch, transformers, tokenizers). Nothing here is imported by
``import rlvr``.

The tokenizer is character-level (one token per character) with a ChatML chat template, so
any text round-trips exactly; the model is a randomly initialised 2-layer Qwen2 of ~25k
parameters, enough to run real SFT/GRPO steps on CPU in seconds.
"""

from __future__ import annotations

import os
import string
from typing import Any

__all__ = ["CHATML_TEMPLATE", "build_tiny_model", "build_tiny_tokenizer", "offline_mode", "save_tiny_model"]

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_SPECIALS = ["<pad>", "<eos>", "<bos>", "<|im_start|>", "<|im_end|>"]


def offline_mode() -> None:
    """Make Hugging Face libraries never touch the network (set before importing them)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build_tiny_tokenizer(extra_chars: str = "") -> Any:
    """A character-level ``PreTrainedTokenizerFast`` with pad/eos/bos and a ChatML template."""
    offline_mode()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = list(dict.fromkeys(string.ascii_letters + string.digits + string.punctuation + " \n\t" + extra_chars))
    vocab = {tok: i for i, tok in enumerate(_SPECIALS + chars)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")  # one token per character
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        eos_token="<eos>",
        bos_token="<bos>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        # transformers 4.x defaults to also emitting token_type_ids, which TRL 0.22 passes on to the model
        model_input_names=["input_ids", "attention_mask"],
    )
    tok.chat_template = CHATML_TEMPLATE
    tok.padding_side = "left"
    return tok


def build_tiny_model(tokenizer: Any, *, seed: int = 0, hidden_size: int = 32, layers: int = 2) -> Any:
    """A randomly initialised tiny ``Qwen2ForCausalLM`` matching ``tokenizer``."""
    offline_mode()
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    return model


def save_tiny_model(directory: str | os.PathLike[str]) -> str:
    """Write the tiny tokenizer + model with ``save_pretrained`` under ``directory`` and return its path.

    The example scripts' ``--smoke`` mode loads this directory by path, exactly like a Hub model
    name, so the real loading code runs. A directory that already holds both is reused as is.
    """
    path = os.fspath(directory)
    if os.path.exists(os.path.join(path, "config.json")) and os.path.exists(os.path.join(path, "tokenizer_config.json")):
        return path
    tokenizer = build_tiny_tokenizer()
    model = build_tiny_model(tokenizer)
    os.makedirs(path, exist_ok=True)
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path
