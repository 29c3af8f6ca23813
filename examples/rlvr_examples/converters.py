"""Dataset layouts -> the rows our trainers take.

Each public dataset comes in its own layout. A *converter* turns one row of a layout into one
row of ours, or ``None`` when the row cannot be used (a GSM8K answer without ``####``, a proof
problem without a final answer, a Bespoke-Stratos reply without its markers): those rows are
counted and skipped, never guessed. A row missing a column the layout needs raises
:class:`LayoutError` naming the columns it has (the usual cause: the wrong ``layout:``).

Output rows (conversational, what TRL's ``GRPOTrainer``/``SFTTrainer`` take):

* RL layouts: ``{"prompt": [system, user], <reward columns>}``; the reward columns are
  ``solution`` (maths: the gold final answer), ``target`` + ``nums`` (countdown) and
  ``verification_info`` (code: ``{"language", "test_cases": [{"input", "output", "type"}]}`` as a
  JSON string).
* SFT layouts: ``{"prompt": [system, user], "completion": [assistant]}`` (TRL trains on the
  completion only), the assistant text in the ``<think>``/``<answer>`` layout.

Layouts: ``gsm8k``, ``openr1_math``, ``math_boxed``, ``countdown``, ``verifiable_code``,
``bespoke_stratos``, ``openr1_math_sft``, ``sft_messages``. See :data:`LAYOUTS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rlvr_examples.prompts import (
    CODE_SYSTEM_PROMPT,
    COUNTDOWN_SYSTEM_PROMPT,
    MATH_SYSTEM_PROMPT,
    REASONING_SYSTEM_PROMPT,
    countdown_user_prompt,
)

__all__ = [
    "LAYOUTS",
    "Layout",
    "LayoutError",
    "convert_rows",
    "get_layout",
    "stratos_to_think_answer",
]

Row = Mapping[str, Any]


class LayoutError(ValueError):
    """A row does not have the columns its declared layout needs."""


@dataclass(frozen=True)
class Layout:
    """One dataset layout: how to convert its rows, and what it is."""

    name: str
    kind: str  # "rl" (prompt + reward columns) or "sft" (prompt + completion)
    convert: Callable[[Row, str], dict[str, Any] | None]
    system_prompt: str
    hub_example: str
    sample_file: str  # bundled sample under examples/data/
    description: str


def _need(row: Row, layout: str, *keys: str) -> None:
    missing = [k for k in keys if k not in row]
    if missing:
        raise LayoutError(
            f"layout {layout!r} needs column(s) {missing}, but the row has {sorted(row)}. "
            f"Check the stage's 'layout:' (known layouts: {', '.join(sorted(LAYOUTS))})."
        )


def _chat(system_prompt: str, user: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": user})
    return messages


# ----------------------------------------------------------------------------- maths
_GSM8K_FINAL = re.compile(r"####\s*(.+?)\s*$")


def gsm8k_final_answer(answer: str) -> str | None:
    """``"...\\n#### 1,234"`` -> ``"1234"`` (thousands separators dropped); None without ``####``."""
    last_line = answer.strip().rsplit("\n", 1)[-1]
    m = _GSM8K_FINAL.search(last_line)
    if not m:
        return None
    value = m.group(1).strip().rstrip(".")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", value):
        value = value.replace(",", "")
    return value or None


def convert_gsm8k(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``openai/gsm8k`` (config ``main``): ``question``, ``answer`` ending in ``#### N``."""
    _need(row, "gsm8k", "question", "answer")
    solution = gsm8k_final_answer(str(row["answer"] or ""))
    if solution is None:
        return None
    return {"prompt": _chat(system_prompt, str(row["question"]).strip()), "solution": solution}


_NO_FINAL_ANSWER = {"", "proof", "notfound", "none", "null"}


def convert_openr1_math(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/OpenR1-Math-220k``: ``problem`` and ``answer`` (the final answer; ``solution``
    there is the worked solution). Proof problems (answer ``proof``/``notfound``) are skipped."""
    _need(row, "openr1_math", "problem", "answer")
    answer = str(row["answer"] if row["answer"] is not None else "").strip()
    if answer.lower() in _NO_FINAL_ANSWER:
        return None
    return {"prompt": _chat(system_prompt, str(row["problem"]).strip()), "solution": answer}


def convert_math_boxed(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """MATH-style (``problem``, ``solution`` with a ``\\boxed{}`` final answer): the gold is the
    last boxed value; rows without one are skipped."""
    _need(row, "math_boxed", "problem", "solution")
    from rlvr.verifiers.math_extract import find_boxed

    boxed = find_boxed(str(row["solution"] or ""))
    if not boxed or not boxed[-1].strip():
        return None
    return {"prompt": _chat(system_prompt, str(row["problem"]).strip()), "solution": boxed[-1].strip()}


# ----------------------------------------------------------------------------- countdown
def _int_list(value: Any, layout: str) -> list[int] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    if not isinstance(value, (list, tuple)) or not value:
        return None
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v:
            return None
        out.append(int(v))
    return out


def convert_countdown(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``Jiayi-Pan/Countdown-Tasks-3to4`` (``target``, ``nums``) and rlvr's generator output
    (``target``, ``numbers``). Output columns: ``target`` (int), ``nums`` (list of int)."""
    nums_key = "nums" if "nums" in row else "numbers"
    _need(row, "countdown", "target", nums_key)
    nums = _int_list(row[nums_key], "countdown")
    target = row["target"]
    if nums is None or isinstance(target, bool) or not isinstance(target, (int, float)) or int(target) != target:
        return None
    target = int(target)
    return {"prompt": _chat(system_prompt, countdown_user_prompt(nums, target)), "target": target, "nums": nums}


# ----------------------------------------------------------------------------- code
def normalise_verification_info(info: Any) -> dict[str, Any] | None:
    """``verification_info`` as a dict with a non-empty ``test_cases`` list (it is a JSON string
    in some dataset versions); None when unusable."""
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError:
            return None
    if not isinstance(info, Mapping):
        return None
    cases = info.get("test_cases")
    if isinstance(cases, str):
        try:
            cases = json.loads(cases)
        except json.JSONDecodeError:
            return None
    if not isinstance(cases, list) or not cases:
        return None
    clean = []
    for case in cases:
        if not isinstance(case, Mapping) or "input" not in case or "output" not in case:
            return None
        c = {"input": str(case["input"]), "output": str(case["output"]), "type": str(case.get("type") or "stdin_stdout")}
        if case.get("fn_name"):
            c["fn_name"] = str(case["fn_name"])
        clean.append(c)
    return {"language": str(info.get("language") or "python"), "test_cases": clean}


def convert_verifiable_code(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/verifiable-coding-problems-python`` / ``PrimeIntellect/verifiable-coding-problems``:
    ``prompt`` (problem statement; ``problem`` also accepted) and ``verification_info``. Rows
    whose tests are not Python stdin/stdout are skipped."""
    text_key = "problem" if "problem" in row and "prompt" not in row else "prompt"
    _need(row, "verifiable_code", text_key, "verification_info")
    info = normalise_verification_info(row["verification_info"])
    if info is None or info["language"].lower() not in ("python", "python3", "py"):
        return None
    if any(c["type"] != "stdin_stdout" for c in info["test_cases"]):
        return None
    statement = row[text_key]
    if not isinstance(statement, str) or not statement.strip():
        return None
    # a JSON string: Arrow cannot infer one struct type for test cases of every dataset
    # (mixed output types, optional fn_name); the code_tests reward reads dicts and JSON alike
    return {"prompt": _chat(system_prompt, statement.strip()), "verification_info": json.dumps(info)}


# ----------------------------------------------------------------------------- SFT
_THOUGHT = re.compile(r"<\|begin_of_thought\|>(.*?)<\|end_of_thought\|>", re.DOTALL)
_SOLUTION = re.compile(r"<\|begin_of_solution\|>(.*?)<\|end_of_solution\|>", re.DOTALL)


def stratos_to_think_answer(text: str) -> str | None:
    """Bespoke-Stratos / Sky-T1 reply -> ``<think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>``.

    Needs exactly one complete thought block followed by exactly one complete solution block;
    anything else (truncated generations, missing markers, repeated blocks) returns None.
    """
    thoughts = _THOUGHT.findall(text)
    solutions = _SOLUTION.findall(text)
    if len(thoughts) != 1 or len(solutions) != 1:
        return None
    if text.find("<|begin_of_solution|>") < text.find("<|end_of_thought|>"):
        return None
    thought, solution = thoughts[0].strip(), solutions[0].strip()
    if not thought or not solution:
        return None
    return f"<think>\n{thought}\n</think>\n<answer>\n{solution}\n</answer>"


def _turns(row: Row, layout: str) -> list[dict[str, str]]:
    """``conversations`` ({"from", "value"}) or ``messages`` ({"role", "content"}) as role/content."""
    if "conversations" in row:
        raw = row["conversations"]
        role_key, text_key = "from", "value"
    else:
        _need(row, layout, "messages")
        raw = row["messages"]
        role_key, text_key = "role", "content"
    if not isinstance(raw, list):
        raise LayoutError(f"layout {layout!r}: conversations must be a list of turns, got {type(raw).__name__}")
    roles = {"human": "user", "gpt": "assistant", "user": "user", "assistant": "assistant", "system": "system"}
    out = []
    for turn in raw:
        if not isinstance(turn, Mapping):
            raise LayoutError(f"layout {layout!r}: a turn is {type(turn).__name__}, not a mapping")
        role = roles.get(str(turn.get(role_key, "")).lower())
        if role is None:
            raise LayoutError(f"layout {layout!r}: unknown speaker {turn.get(role_key)!r}")
        out.append({"role": role, "content": str(turn.get(text_key) or "")})
    return out


def convert_bespoke_stratos(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``bespokelabs/Bespoke-Stratos-17k``: ``system`` (replaced by ours) and ``conversations``
    (``from``/``value``). The reply's ``<|begin_of_thought|>``/``<|begin_of_solution|>`` blocks
    become ``<think>``/``<answer>``; only single-turn user -> assistant rows are kept."""
    turns = [t for t in _turns(row, "bespoke_stratos") if t["role"] != "system"]
    if len(turns) != 2 or turns[0]["role"] != "user" or turns[1]["role"] != "assistant":
        return None
    reply = stratos_to_think_answer(turns[1]["content"])
    if reply is None:
        return None
    return {"prompt": _chat(system_prompt, turns[0]["content"].strip()), "completion": [{"role": "assistant", "content": reply}]}


_R1_THINK = re.compile(r"^\s*<think>(.*?)</think>(.*)$", re.DOTALL)


def convert_openr1_math_sft(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/OpenR1-Math-220k`` as SFT data: the first generation that math-verify marked
    correct (``correctness_math_verify``), ``<think>R</think> A`` rewritten as think + answer."""
    _need(row, "openr1_math_sft", "problem", "generations", "correctness_math_verify")
    for text, ok in zip(row["generations"] or [], row["correctness_math_verify"] or []):
        if not ok or not isinstance(text, str):
            continue
        m = _R1_THINK.match(text)
        if not m or "<think>" in m.group(1) or not m.group(2).strip():
            continue
        reply = f"<think>\n{m.group(1).strip()}\n</think>\n<answer>\n{m.group(2).strip()}\n</answer>"
        return {"prompt": _chat(system_prompt, str(row["problem"]).strip()), "completion": [{"role": "assistant", "content": reply}]}
    return None


def convert_sft_messages(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """Our own SFT JSONL (what rejection sampling writes): ``prompt`` + ``completion`` message
    lists, or ``messages`` ending with the assistant turn. The system prompt is kept as written
    (``system_prompt`` is only added when the row has none)."""
    if "prompt" in row and "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
        if isinstance(prompt, str):
            prompt = _chat(system_prompt, prompt)
        if isinstance(completion, str):
            completion = [{"role": "assistant", "content": completion}]
        prompt = [dict(m) for m in prompt]
        completion = [dict(m) for m in completion]
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


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("gsm8k", "rl", convert_gsm8k, MATH_SYSTEM_PROMPT, "openai/gsm8k (config 'main')",
               "gsm8k.jsonl", "grade-school maths; gold = the number after ####"),
        Layout("openr1_math", "rl", convert_openr1_math, MATH_SYSTEM_PROMPT, "open-r1/OpenR1-Math-220k (config 'default')",
               "openr1_math.jsonl", "competition maths; gold = the 'answer' column"),
        Layout("math_boxed", "rl", convert_math_boxed, MATH_SYSTEM_PROMPT, "DigitalLearningGmbH/MATH-lighteval",
               "math_boxed.jsonl", "MATH; gold = the last \\boxed{} of the worked solution"),
        Layout("countdown", "rl", convert_countdown, COUNTDOWN_SYSTEM_PROMPT, "Jiayi-Pan/Countdown-Tasks-3to4",
               "countdown.jsonl", "countdown numbers game (R1-Zero / TinyZero)"),
        Layout("verifiable_code", "rl", convert_verifiable_code, CODE_SYSTEM_PROMPT,
               "open-r1/verifiable-coding-problems-python", "verifiable_code.jsonl",
               "Python stdin/stdout problems with test cases"),
        Layout("bespoke_stratos", "sft", convert_bespoke_stratos, MATH_SYSTEM_PROMPT, "bespokelabs/Bespoke-Stratos-17k",
               "bespoke_stratos.jsonl", "long chain-of-thought SFT data (markers -> <think>/<answer>)"),
        Layout("openr1_math_sft", "sft", convert_openr1_math_sft, MATH_SYSTEM_PROMPT, "open-r1/OpenR1-Math-220k",
               "openr1_math.jsonl", "OpenR1-Math verified R1 generations as SFT data"),
        Layout("sft_messages", "sft", convert_sft_messages, REASONING_SYSTEM_PROMPT, "(local JSONL)",
               "sft_messages.jsonl", "prompt/completion or messages rows, e.g. rejection-sampling output"),
    )
}


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise LayoutError(f"unknown layout {name!r}; known layouts: {', '.join(sorted(LAYOUTS))}") from None


@dataclass
class ConversionReport:
    kept: int = 0
    skipped: int = 0


def convert_rows(rows: Any, layout: str, system_prompt: str | None = None) -> tuple[list[dict[str, Any]], ConversionReport]:
    """Convert an iterable of rows; returns the kept rows and how many were skipped.

    ``system_prompt=None`` uses the layout's default; ``""`` means no system turn.
    """
    lay = get_layout(layout)
    prompt = lay.system_prompt if system_prompt is None else system_prompt
    out: list[dict[str, Any]] = []
    report = ConversionReport()
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise LayoutError(f"row {i} is {type(row).__name__}, not a mapping")
        try:
            converted = lay.convert(row, prompt)
        except LayoutError as exc:
            raise LayoutError(f"row {i}: {exc}") from None
        if converted is None:
            report.skipped += 1
        else:
            out.append(converted)
            report.kept += 1
    return out, report
