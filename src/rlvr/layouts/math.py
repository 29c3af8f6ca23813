"""Maths layouts: GSM8K, OpenR1-Math-220k, MATH (``\\boxed{}`` solutions).

Output rows: ``{"prompt": [system, user], "solution": <gold final answer>}``; ``solution`` is the
column ``math_accuracy`` reads by default.
"""

from __future__ import annotations

import re
from typing import Any

from rlvr.layouts.base import Layout, Row, need, register_layout
from rlvr.layouts.prompts import MATH_SYSTEM_PROMPT, chat_prompt

__all__ = ["convert_gsm8k", "convert_math_boxed", "convert_openr1_math", "gsm8k_final_answer"]

_GSM8K_FINAL = re.compile(r"####\s*(.+?)\s*$")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def gsm8k_final_answer(answer: str) -> str | None:
    """``"...\\n#### 1,234"`` -> ``"1234"``: the text after ``####`` on the last line, thousands
    separators and a trailing full stop dropped. ``None`` when the last line has no ``####`` value."""
    last_line = answer.strip().rsplit("\n", 1)[-1]
    m = _GSM8K_FINAL.search(last_line)
    if not m:
        return None
    value = m.group(1).strip().rstrip(".")
    if _THOUSANDS.fullmatch(value):
        value = value.replace(",", "")
    return value or None


def convert_gsm8k(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``openai/gsm8k`` (config ``main``): ``question``, ``answer`` ending in ``#### N``."""
    need(row, "gsm8k", "question", "answer")
    solution = gsm8k_final_answer(str(row["answer"] or ""))
    question = str(row["question"] or "").strip()
    if solution is None or not question:
        return None
    return {"prompt": chat_prompt(system_prompt, question), "solution": solution}


_NO_FINAL_ANSWER = {"", "proof", "notfound", "none", "null"}


def convert_openr1_math(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/OpenR1-Math-220k``: ``problem`` and ``answer`` (the final answer; its ``solution``
    column is the worked solution). Proof problems (answer ``proof``/``notfound``) are skipped."""
    need(row, "openr1_math", "problem", "answer")
    answer = str(row["answer"] if row["answer"] is not None else "").strip()
    problem = str(row["problem"] or "").strip()
    if answer.lower() in _NO_FINAL_ANSWER or not problem:
        return None
    return {"prompt": chat_prompt(system_prompt, problem), "solution": answer}


def convert_math_boxed(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """MATH-style rows (``problem``, ``solution`` with a ``\\boxed{}``): the gold is the last
    boxed value of the worked solution; rows without one are skipped."""
    need(row, "math_boxed", "problem", "solution")
    from rlvr.math.extraction import find_boxed

    boxed = find_boxed(str(row["solution"] or ""))
    if not boxed or not boxed[-1].strip():
        return None
    return {"prompt": chat_prompt(system_prompt, str(row["problem"]).strip()), "solution": boxed[-1].strip()}


register_layout(Layout("gsm8k", "rl", convert_gsm8k, MATH_SYSTEM_PROMPT, "openai/gsm8k (config 'main')",
                       ("solution",)))
register_layout(Layout("openr1_math", "rl", convert_openr1_math, MATH_SYSTEM_PROMPT,
                       "open-r1/OpenR1-Math-220k (config 'default')", ("solution",)))
register_layout(Layout("math_boxed", "rl", convert_math_boxed, MATH_SYSTEM_PROMPT,
                       "DigitalLearningGmbH/MATH-lighteval", ("solution",)))
