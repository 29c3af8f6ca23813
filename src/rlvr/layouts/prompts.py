"""System prompts and user-prompt builders shared by the layouts (and by the example scripts).

Every prompt teaches one output layout, the one rlvr's ``format`` / ``tag_count`` rewards check::

    <think>
    ...reasoning...
    </think>
    <answer>
    ...final answer...
    </answer>

The cold-start SFT data (Bespoke-Stratos, OpenR1-Math generations) is rewritten into this layout,
so a GRPO run that starts from the cold-start adapter already speaks it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CODE_SYSTEM_PROMPT",
    "COUNTDOWN_SYSTEM_PROMPT",
    "MATH_SYSTEM_PROMPT",
    "REASONING_SYSTEM_PROMPT",
    "chat_prompt",
    "countdown_user_prompt",
]

#: General reasoning prompt (SFT on mixed domains, rejection-sampling output).
REASONING_SYSTEM_PROMPT = (
    "You are a helpful assistant that reasons before answering. "
    "Write your reasoning between <think> and </think>, then write the final answer "
    "between <answer> and </answer>."
)

#: Maths: the final result goes in \\boxed{} inside the answer block (math_accuracy reads both).
MATH_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves maths problems. "
    "Reason step by step between <think> and </think>. Then write the final answer between "
    "<answer> and </answer>, with the final result in \\boxed{}."
)

#: Countdown (R1-Zero / TinyZero experiment): one equation in the answer block.
COUNTDOWN_SYSTEM_PROMPT = (
    "You are a helpful assistant that solves arithmetic puzzles. "
    "Reason between <think> and </think>. Then write only the equation, without '= target', "
    "between <answer> and </answer>, for example <answer>(7 - 3) * 5</answer>."
)

#: Code: one complete Python program (or the requested function/class) in a fenced block.
CODE_SYSTEM_PROMPT = (
    "You are a helpful assistant that writes correct Python 3 programs. "
    "Reason between <think> and </think>. Then, between <answer> and </answer>, give one complete "
    "solution in a ```python code block. Unless starter code is given, the program reads the input "
    "from standard input and prints the output to standard output."
)


def chat_prompt(system_prompt: str, user: str) -> list[dict[str, str]]:
    """``[system, user]`` chat messages; ``system_prompt=""`` gives ``[user]`` only."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": user})
    return messages


def countdown_user_prompt(numbers: Sequence[int], target: int) -> str:
    """The user turn of a countdown task (numbers listed in the given order)."""
    nums = ", ".join(str(n) for n in numbers)
    return (
        f"Using the numbers [{nums}], write an equation that equals {target}. "
        "You may use +, -, * and / and parentheses; use every number exactly once."
    )
