"""Rejection sampling (DeepSeek-R1 stage 3): sample k completions per prompt, keep the verified.

:func:`generate_samples` draws the samples (Hugging Face ``generate``; Unsloth's vLLM
``fast_generate`` when the model was loaded with ``fast_inference``). :func:`select_verified`
scores them with an rlvr :class:`~rlvr.RewardStack` and applies the acceptance rule: every
``accept`` reward must reach its threshold; a reward that could not judge a sample (``None``)
rejects it (an unverified sample is not SFT data). Duplicates of an already kept completion
are dropped, and at most ``max_kept_per_prompt`` samples per prompt are kept.

Output rows (``kept.jsonl``) are SFT-ready for the ``sft_messages`` layout::

    {"prompt": [...messages...], "completion": [{"role": "assistant", "content": ...}],
     "rewards": {"math_accuracy": 1.0, "format": 1.0}, "reward": 1.5,
     "prompt_index": 3, "sample_index": 1}

``candidates.jsonl`` holds every sample with its per-reward values, statuses and the
``accepted`` flag (for pass@k analysis).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RejectionResult", "generate_samples", "select_verified"]


@dataclass
class RejectionResult:
    candidates: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, k: int) -> dict[str, Any]:
        prompts = {c["prompt_index"] for c in self.candidates}
        solved = {c["prompt_index"] for c in self.candidates if c["accepted"]}
        means: dict[str, float] = {}
        for name in (self.candidates[0]["rewards"] if self.candidates else {}):
            vals = [c["rewards"][name] for c in self.candidates if c["rewards"][name] is not None]
            means[name] = sum(vals) / len(vals) if vals else float("nan")
        return {
            "prompts": len(prompts),
            "samples": len(self.candidates),
            "k": k,
            "accepted_samples": sum(c["accepted"] for c in self.candidates),
            "kept_rows": len(self.kept),
            "pass_at_k": len(solved) / len(prompts) if prompts else 0.0,
            "reward_means": means,
        }


def select_verified(
    rows: Sequence[Mapping[str, Any]],
    completions: Sequence[Sequence[str]],
    stack: Any,
    accept: Mapping[str, float],
    *,
    max_kept_per_prompt: int | None = None,
    dedupe: bool = True,
    prompt_offset: int = 0,
) -> RejectionResult:
    """Score ``completions[i]`` (the samples of ``rows[i]``) and keep the verified ones."""
    unknown = [name for name in accept if name not in stack.names]
    if unknown:
        raise ValueError(f"accept names {unknown} are not in the reward stack {stack.names}")
    flat_completions: list[str] = []
    flat_prompts: list[Any] = []
    columns: dict[str, list[Any]] = {}
    column_names = [c for c in (rows[0].keys() if rows else []) if c not in ("prompt", "completion")]
    owners: list[tuple[int, int]] = []
    for i, (row, samples) in enumerate(zip(rows, completions)):
        for j, text in enumerate(samples):
            owners.append((i, j))
            flat_completions.append(text)
            flat_prompts.append(row["prompt"])
            for c in column_names:
                columns.setdefault(c, []).append(row.get(c))
    result = RejectionResult()
    if not flat_completions:
        return result
    scores = stack.score_batch(flat_completions, prompts=flat_prompts, **columns)
    kept_per_prompt: dict[int, list[str]] = {}
    for (i, j), text, score in zip(owners, flat_completions, scores):
        breakdown = score.details.get("rewards", {})
        values = {name: breakdown.get(name, {}).get("value") for name in stack.names}
        statuses = {name: breakdown.get(name, {}).get("status") for name in stack.names}
        accepted = all(values[name] is not None and values[name] >= threshold for name, threshold in accept.items())
        candidate = {
            "prompt_index": prompt_offset + i,
            "sample_index": j,
            "prompt": rows[i]["prompt"],
            "completion": [{"role": "assistant", "content": text}],
            "reward": score.value,
            "rewards": values,
            "statuses": statuses,
            "accepted": accepted,
        }
        result.candidates.append(candidate)
        if not accepted:
            continue
        seen = kept_per_prompt.setdefault(i, [])
        if dedupe and text.strip() in seen:
            continue
        if max_kept_per_prompt is not None and len(seen) >= max_kept_per_prompt:
            continue
        seen.append(text.strip())
        kept = {k: v for k, v in candidate.items() if k not in ("statuses", "accepted")}
        result.kept.append(kept)
    return result


def generate_samples(loaded: Any, prompts: Sequence[Any], *, k: int, temperature: float, top_p: float,
                     max_new_tokens: int, adapter_dir: str | None = None) -> list[list[str]]:
    """``k`` sampled completions (decoded text) for each chat prompt."""
    tokenizer = loaded.tokenizer
    texts = [tokenizer.apply_chat_template(list(p), tokenize=False, add_generation_prompt=True) for p in prompts]
    if getattr(loaded.model, "fast_generate", None) is not None and loaded.backend == "unsloth" and adapter_dir:
        return _generate_vllm(loaded, texts, k, temperature, top_p, max_new_tokens, adapter_dir)
    import torch

    model = loaded.model
    device = next(model.parameters()).device
    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
    with torch.no_grad():
        out = model.generate(
            **enc,
            do_sample=True,
            temperature=temperature,
            top_p=top_p,
            max_new_tokens=max_new_tokens,
            num_return_sequences=k,
            pad_token_id=tokenizer.pad_token_id,
        )
    decoded = tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return [decoded[i * k:(i + 1) * k] for i in range(len(texts))]


def _generate_vllm(loaded: Any, texts: list[str], k: int, temperature: float, top_p: float,
                   max_new_tokens: int, adapter_dir: str) -> list[list[str]]:
    from vllm import SamplingParams

    params = SamplingParams(n=k, temperature=temperature, top_p=top_p, max_tokens=max_new_tokens)
    outputs = loaded.model.fast_generate(texts, sampling_params=params, lora_request=loaded.model.load_lora(adapter_dir))
    return [[o.text for o in out.outputs] for out in outputs]
