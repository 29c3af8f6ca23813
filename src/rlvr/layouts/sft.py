"""SFT layouts: Bespoke-Stratos-17k, OpenR1-Math-220k generations, our own chat JSONL.

Output rows: ``{"prompt": [system, user], "completion": [assistant]}`` (TRL's SFTTrainer trains on
the completion only), the assistant text in the layout rlvr's format rewards check::

    <think>
    reasoning
    </think>
    <answer>
    final answer
    </answer>
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rlvr.layouts.base import Layout, LayoutError, Row, need, register_layout
from rlvr.layouts.prompts import MATH_SYSTEM_PROMPT, REASONING_SYSTEM_PROMPT, chat_prompt

__all__ = ["convert_bespoke_stratos", "convert_openr1_math_sft", "convert_sft_messages", "stratos_to_think_answer",
           "think_answer"]

_THOUGHT = re.compile(r"<\|begin_of_thought\|>(.*?)<\|end_of_thought\|>", re.DOTALL)
_SOLUTION = re.compile(r"<\|begin_of_solution\|>(.*?)<\|end_of_solution\|>", re.DOTALL)
_R1_THINK = re.compile(r"^\s*<think>(.*?)</think>(.*)$", re.DOTALL)
_ROLES = {"human": "user", "gpt": "assistant", "user": "user", "assistant": "assistant", "system": "system"}


def think_answer(thought: str, answer: str) -> str:
    """``<think>\\nT\\n</think>\\n<answer>\\nA\\n</answer>`` with both parts stripped."""
    return f"<think>\n{thought.strip()}\n</think>\n<answer>\n{answer.strip()}\n</answer>"


def stratos_to_think_answer(text: str) -> str | None:
    """A Bespoke-Stratos / Sky-T1 reply -> :func:`think_answer` layout.

    Needs exactly one complete thought block followed by exactly one complete solution block, both
    non-empty; anything else (truncated generations, missing markers, repeated blocks) -> ``None``.
    """
    thoughts, solutions = _THOUGHT.findall(text), _SOLUTION.findall(text)
    if len(thoughts) != 1 or len(solutions) != 1:
        return None
    if text.find("<|begin_of_solution|>") < text.find("<|end_of_thought|>"):
        return None
    if not thoughts[0].strip() or not solutions[0].strip():
        return None
    return think_answer(thoughts[0], solutions[0])


def _turns(row: Row, layout: str) -> list[dict[str, str]]:
    """``conversations`` (``from``/``value``) or ``messages`` (``role``/``content``) as role/content."""
    if "conversations" in row:
        raw, role_key, text_key = row["conversations"], "from", "value"
    else:
        need(row, layout, "messages")
        raw, role_key, text_key = row["messages"], "role", "content"
    if not isinstance(raw, list):
        raise LayoutError(f"layout {layout!r}: the conversation must be a list of turns, got {type(raw).__name__}")
    out = []
    for turn in raw:
        if not isinstance(turn, Mapping):
            raise LayoutError(f"layout {layout!r}: a turn is {type(turn).__name__}, not a mapping")
        role = _ROLES.get(str(turn.get(role_key, "")).lower())
        if role is None:
            raise LayoutError(f"layout {layout!r}: unknown speaker {turn.get(role_key)!r}")
        out.append({"role": role, "content": str(turn.get(text_key) or "")})
    return out


def convert_bespoke_stratos(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``bespokelabs/Bespoke-Stratos-17k``: ``system`` (Sky-T1's, replaced by ours) and
    ``conversations`` (``from``/``value``). Only single-turn user -> assistant rows are kept."""
    turns = [t for t in _turns(row, "bespoke_stratos") if t["role"] != "system"]
    if len(turns) != 2 or turns[0]["role"] != "user" or turns[1]["role"] != "assistant":
        return None
    reply = stratos_to_think_answer(turns[1]["content"])
    if reply is None or not turns[0]["content"].strip():
        return None
    return {"prompt": chat_prompt(system_prompt, turns[0]["content"].strip()),
            "completion": [{"role": "assistant", "content": reply}]}


def convert_openr1_math_sft(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/OpenR1-Math-220k`` as SFT data: the first of ``generations`` that math-verify
    marked correct (``correctness_math_verify``), ``<think>R</think> A`` rewritten as think + answer."""
    need(row, "openr1_math_sft", "problem", "generations", "correctness_math_verify")
    for text, ok in zip(row["generations"] or [], row["correctness_math_verify"] or []):
        if ok is not True or not isinstance(text, str):
            continue
        m = _R1_THINK.match(text)
        if not m or "<think>" in m.group(1) or not m.group(1).strip() or not m.group(2).strip():
            continue
        return {"prompt": chat_prompt(system_prompt, str(row["problem"]).strip()),
                "completion": [{"role": "assistant", "content": think_answer(m.group(1), m.group(2))}]}
    return None


def convert_sft_messages(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """Chat JSONL such as rejection-sampling output: ``prompt`` + ``completion`` (message lists or
    strings), or ``messages`` ending with the assistant turn. ``system_prompt`` is added only when
    the row has no system turn. Rows with an empty reply are skipped."""
    if "prompt" in row and "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
        prompt = chat_prompt("", prompt) if isinstance(prompt, str) else [dict(m) for m in prompt]
        completion = ([{"role": "assistant", "content": completion}] if isinstance(completion, str)
                      else [dict(m) for m in completion])
    else:
        turns = _turns(row, "sft_messages")
        if len(turns) < 2 or turns[-1]["role"] != "assistant":
            return None
        prompt, completion = turns[:-1], [turns[-1]]
    if not completion or not str(completion[-1].get("content") or "").strip():
        return None
    if system_prompt and not any(m.get("role") == "system" for m in prompt):
        prompt = [{"role": "system", "content": system_prompt}, *prompt]
    return {"prompt": [{"role": m["role"], "content": m["content"]} for m in prompt],
            "completion": [{"role": m["role"], "content": m["content"]} for m in completion]}


register_layout(Layout("bespoke_stratos", "sft", convert_bespoke_stratos, MATH_SYSTEM_PROMPT,
                       "bespokelabs/Bespoke-Stratos-17k", ("completion",)))
register_layout(Layout("openr1_math_sft", "sft", convert_openr1_math_sft, MATH_SYSTEM_PROMPT,
                       "open-r1/OpenR1-Math-220k (config 'default')", ("completion",)))
register_layout(Layout("sft_messages", "sft", convert_sft_messages, REASONING_SYSTEM_PROMPT, "(local JSONL)",
                       ("completion",)))
