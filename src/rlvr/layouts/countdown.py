"""Countdown layout: ``Jiayi-Pan/Countdown-Tasks-3to4`` and rlvr's own task generator.

Output rows: ``{"prompt": [system, user], "target": int, "nums": [int, ...]}``, the columns the
``countdown`` reward reads by default.
"""

from __future__ import annotations

import json
from typing import Any

from rlvr.layouts.base import Layout, Row, need, register_layout
from rlvr.layouts.prompts import COUNTDOWN_SYSTEM_PROMPT, chat_prompt, countdown_user_prompt

__all__ = ["convert_countdown"]


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        return None
    return int(value)


def _int_list(value: Any) -> list[int] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, (list, tuple)) or not value:
        return None
    out = [_integer(v) for v in value]
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def convert_countdown(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``target`` + ``nums`` (the Hub dataset) or ``numbers`` (``rlvr.tasks.countdown``).
    Non-integer targets or numbers (bools, 6.5, "24") are skipped; a JSON-encoded list is read."""
    nums_key = "nums" if "nums" in row else "numbers"
    need(row, "countdown", "target", nums_key)
    nums = _int_list(row[nums_key])
    target = _integer(row["target"])
    if nums is None or target is None:
        return None
    return {"prompt": chat_prompt(system_prompt, countdown_user_prompt(nums, target)), "target": target, "nums": nums}


register_layout(Layout("countdown", "rl", convert_countdown, COUNTDOWN_SYSTEM_PROMPT,
                       "Jiayi-Pan/Countdown-Tasks-3to4", ("target", "nums")))
