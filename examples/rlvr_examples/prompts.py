"""System prompts and user-prompt templates of the example pipelines.

Every pipeline teaches one output layout, the one rlvr's ``format`` reward checks::

    <think>
    ...reasoning...
    </think>
    <answer>
    ...final answer...
    </answer>

The cold-start SFT data (Bespoke-Stratos) is rewritten into this layout, so the GRPO stages
that start from the cold-start adapter already speak it.
"""

from __future__ import annotations

__all__ = [
    "BESPOKE_STRATOS_SYSTEM_MARKERS",
    "CODE_SYSTEM_PROMPT",
    "COUNTDOWN_SYSTEM_PROMPT",
    "MATH_SYSTEM_PROMPT",
    "REASONING_SYSTEM_PROMPT",
    "countdown_user_prompt",
]

#: General reasoning prompt (cold-start SFT on mixed domains).
REASONING_SYSTEM_PROMPT = (
    "You are a helpful assistant that reasons before answering. "
    "Write your reasoning between <think> and </think>, then write the final answer "
    "between <answer> and </answer>."
)

#: Maths: the final result goes in \boxed{} inside the answer block (math_accuracy reads both).
MATH_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves maths problems. "
    "Reason step by step between <think> and </think>. Then write the final answer between "
    "<answer> and </answer>, with the final result in \\boxed{}."
)

#: Countdown (R1-Zero experiment): one equation in the answer block.
COUNTDOWN_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves arithmetic puzzles. "
    "Reason between <think> and </think>. Then write only the equation, without '= target', "
    "between <answer> and </answer>, for example <answer>(7 - 3) * 5</answer>."
)

#: Code: a complete stdin/stdout Python program in a fenced block inside the answer.
CODE_SYSTEM_PROMPT = (
    "You are a helpful assistant that writes correct Python 3 programs. "
    "Reason between <think> and </think>. Then, between <answer> and </answer>, give one complete "
    "program in a ```python code block that reads the input from standard input and prints the "
    "output to standard output."
)

#: Substrings that identify the Bespoke-Stratos / Sky-T1 system prompt (it is replaced).
BESPOKE_STRATOS_SYSTEM_MARKERS = ("<|begin_of_thought|>", "Your role as an assistant involves")


def countdown_user_prompt(numbers: list[int], target: int) -> str:
    """The user turn of a countdown task."""
    nums = ", ".join(str(n) for n in numbers)
    return (
        f"Using the numbers [{nums}], write an equation that equals {target}. "
        "You may use +, -, * and / and parentheses; use every number exactly once."
    )
