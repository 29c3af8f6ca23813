"""What a server serves and how: :class:`ServeSettings` (plain, picklable data)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_END_TOKENS", "ServeSettings", "default_workers"]

#: end-of-sequence markers stripped from the end of an OpenRLHF ``query`` (it is decoded with
#: ``skip_special_tokens=False``, so the response ends with the tokenizer's EOS text).
DEFAULT_END_TOKENS: tuple[str, ...] = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>", "<eos>",
                                       "<end_of_turn>", "<｜end▁of▁sentence｜>")


def default_workers() -> int:
    """One scoring process per CPU, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))


@dataclass(frozen=True)
class ServeSettings:
    """Settings of one ``rlvr serve`` process.

    Attributes:
        spec: the reward stack spec handed to :func:`rlvr.rewards.build.build_stack` in every worker
            (``-r`` specs as a list of strings, or a stack file path). Must be picklable.
        workers: scoring processes (>= 1).
        max_body_bytes: larger request bodies are answered 413.
        chunk_rows: a request of more rows than this is split over several workers.
        label_column: the column OpenRLHF's ``labels`` become on ``/get_reward``.
        none_as: the value ``/get_reward`` sends for a sample the stack cannot judge (OpenRLHF turns
            the answer into tensors, which cannot hold ``None``); ``/score`` always sends ``null``.
        end_tokens: suffixes stripped from OpenRLHF responses (see :data:`DEFAULT_END_TOKENS`).
        warm_timeout: seconds a worker waits for its sandbox pool to fill before reporting not warm.
    """

    spec: Any
    workers: int = field(default_factory=default_workers)
    max_body_bytes: int = 32 * 1024 * 1024
    chunk_rows: int = 16
    label_column: str = "solution"
    none_as: float = 0.0
    end_tokens: tuple[str, ...] = DEFAULT_END_TOKENS
    warm_timeout: float = 300.0
