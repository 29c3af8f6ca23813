"""Seeded, forward-generated Countdown tasks: every task is solvable and carries its solution.

A task is built forwards: draw the numbers, combine them in a random order with random
operators (division only when it is exact, subtraction only when the result stays
non-negative, by default), and take the value as the target. So the gold ``solution`` always
uses each number exactly once and evaluates to ``target``; the property test in
``tests/test_countdown_tasks.py`` checks that 10,000 golds score 1.0 with the ``countdown``
reward.

Generation is deterministic: task ``i`` of seed ``s`` depends only on ``(s, i)`` (a
``random.Random`` seeded with the string ``"s:i"``), so a dataset can be regenerated, sliced
or extended without drifting.

Rows (:func:`countdown_rows`) hold ``prompt`` (an R1-style instruction; plain text or chat
messages; optionally ending in an opened ``<think>`` for templates that prefill it),
``target`` (int), ``nums`` (list of ints, shuffled), ``solution`` (a gold equation) and ``id``.
``target``/``nums`` are exactly the columns of ``Jiayi-Pan/Countdown-Tasks-3to4``, so the
``countdown`` reward reads generated and downloaded tasks alike.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CountdownTask",
    "CountdownTaskConfig",
    "R1_ZERO_TEMPLATE",
    "countdown_prompt",
    "countdown_rows",
    "generate_countdown_task",
    "generate_countdown_tasks",
    "write_countdown_tasks",
]

_OPS = ("+", "-", "*", "/")

#: The DeepSeek-R1-Zero conversation template (paper, Table 1) with our task text in ``{question}``.
R1_ZERO_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and "
    "<answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> "
    "<answer> answer here </answer>. User: {question} Assistant:"
)

_QUESTION = (
    "Reach the target {target} with the numbers {nums}. Combine them with + - * / and parentheses; "
    "use every number exactly once{ops_note}. Think it through inside <think> </think>, then give only "
    "the expression inside <answer> </answer>, for example <answer> (7 - 3) * 2 </answer>."
)


@dataclass(frozen=True)
class CountdownTaskConfig:
    """What tasks to generate.

    Attributes:
        min_numbers, max_numbers: how many numbers a task has (inclusive range).
        min_value, max_value: range of each number (inclusive, >= 0).
        min_target, max_target: range of the target (inclusive); tasks are redrawn until the
            target falls inside.
        operators: the operators the gold solution may use (subset of ``+ - * /``).
        allow_negative: allow negative intermediate values (and targets, if the range allows).
        integer_division: only divide when the result is an integer (Countdown's rule).
        max_attempts: draws per task before giving up with ``ValueError`` (the ranges are
            then too tight to be met).
    """

    min_numbers: int = 3
    max_numbers: int = 4
    min_value: int = 1
    max_value: int = 100
    min_target: int = 1
    max_target: int = 100
    operators: tuple[str, ...] = _OPS
    allow_negative: bool = False
    integer_division: bool = True
    max_attempts: int = 1000

    def __post_init__(self) -> None:
        if isinstance(self.operators, (list, str)):
            object.__setattr__(self, "operators", tuple(self.operators))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the bad field."""
        if not 1 <= self.min_numbers <= self.max_numbers:
            raise ValueError(f"need 1 <= min_numbers <= max_numbers, got {self.min_numbers}, {self.max_numbers}")
        if self.max_numbers > 12:
            raise ValueError(f"max_numbers must be <= 12, got {self.max_numbers}")
        if not 0 <= self.min_value <= self.max_value:
            raise ValueError(f"need 0 <= min_value <= max_value, got {self.min_value}, {self.max_value}")
        if self.max_value >= 10**9:
            raise ValueError("max_value must be < 10**9 (the verifier's literal cap)")
        if self.min_target > self.max_target:
            raise ValueError(f"need min_target <= max_target, got {self.min_target}, {self.max_target}")
        bad = [op for op in self.operators if op not in _OPS]
        if bad or not self.operators:
            raise ValueError(f"operators must be a non-empty subset of {_OPS}, got {self.operators}")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")


@dataclass(frozen=True)
class CountdownTask:
    """One task: ``nums`` (shuffled), ``target`` and a gold ``solution`` equation."""

    nums: tuple[int, ...]
    target: int
    solution: str


def _combine(rng: random.Random, cfg: CountdownTaskConfig, numbers: list[int]) -> tuple[int | Fraction, str] | None:
    """Combine all ``numbers`` into one expression; None if no legal operator was found.

    Values stay ``int`` (fast) and become exact ``Fraction`` only after an inexact division."""
    items: list[tuple[int | Fraction, str, bool]] = [(n, str(n), True) for n in numbers]  # (value, text, atomic)
    while len(items) > 1:
        i, j = rng.sample(range(len(items)), 2)
        (a, ta, atom_a), (b, tb, atom_b) = items[i], items[j]
        ops = list(cfg.operators)
        rng.shuffle(ops)
        for op in ops:
            if op == "+":
                v = a + b
            elif op == "-":
                v = a - b
                if v < 0 and not cfg.allow_negative:
                    continue
            elif op == "*":
                v = a * b
            else:
                if b == 0:
                    continue
                if type(a) is int and type(b) is int and a % b == 0:
                    v = a // b
                elif cfg.integer_division:
                    continue
                else:
                    v = Fraction(a) / b
                    if v.denominator == 1:
                        v = int(v)
            break
        else:
            return None
        left = ta if atom_a else f"({ta})"
        right = tb if atom_b else f"({tb})"
        merged = (v, f"{left} {op} {right}", False)
        items = [it for k, it in enumerate(items) if k not in (i, j)] + [merged]
    value, text, _ = items[0]
    return value, text


def generate_countdown_task(rng: random.Random, config: CountdownTaskConfig = CountdownTaskConfig()) -> CountdownTask:
    """One solvable task drawn from ``rng``.

    Raises:
        ValueError: no task met the target range within ``config.max_attempts`` draws.
    """
    cfg = config
    for _ in range(cfg.max_attempts):
        k = rng.randint(cfg.min_numbers, cfg.max_numbers)
        numbers = [rng.randint(cfg.min_value, cfg.max_value) for _ in range(k)]
        combined = _combine(rng, cfg, numbers)
        if combined is None:
            continue
        value, text = combined
        if type(value) is not int or not cfg.min_target <= value <= cfg.max_target:
            continue
        shuffled = list(numbers)
        rng.shuffle(shuffled)
        return CountdownTask(tuple(shuffled), int(value), text)
    raise ValueError(
        f"no countdown task with a target in [{cfg.min_target}, {cfg.max_target}] after {cfg.max_attempts} "
        "draws: widen the target range or the value range, or allow more operators"
    )


def generate_countdown_tasks(n: int, seed: int = 0, config: CountdownTaskConfig = CountdownTaskConfig(),
                             *, start: int = 0) -> Iterator[CountdownTask]:
    """Tasks ``start .. start+n-1`` of ``seed`` (task ``i`` depends only on ``seed`` and ``i``)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    for i in range(start, start + n):
        yield generate_countdown_task(random.Random(f"{seed}:{i}"), config)


def countdown_prompt(nums: Sequence[int], target: int, *, prompt_format: Literal["text", "chat"] = "chat",
                     prefill_think: bool = False, template: str | None = None,
                     operators: Sequence[str] = _OPS) -> str | list[dict[str, str]]:
    """The R1-style prompt for one task.

    * ``prompt_format="text"``: the R1-Zero conversation template (or ``template``, a string
      with ``{question}``, ``{nums}``, ``{target}`` fields) as one string; with
      ``prefill_think`` it ends in ``" <think>"`` so the model starts inside the think block.
    * ``prompt_format="chat"``: ``[{"role": "user", "content": question}]``; with
      ``prefill_think`` a final ``{"role": "assistant", "content": "<think>\\n"}`` message is
      appended for the trainer to continue (TRL continues a trailing assistant message).
      Completions then lack the opening tag: score them with ``prefilled=True``-style rewards.
    """
    ops = tuple(operators)
    ops_note = "" if set(ops) == set(_OPS) else f" (only {' '.join(ops)} are needed)"
    question = _QUESTION.format(target=target, nums=list(nums), ops_note=ops_note)
    if prompt_format == "text":
        text = (template or R1_ZERO_TEMPLATE).format(question=question, nums=list(nums), target=target)
        return text + " <think>" if prefill_think else text
    if prompt_format != "chat":
        raise ValueError(f"prompt_format must be 'text' or 'chat', got {prompt_format!r}")
    content = template.format(question=question, nums=list(nums), target=target) if template else question
    messages = [{"role": "user", "content": content}]
    if prefill_think:
        messages.append({"role": "assistant", "content": "<think>\n"})
    return messages


def countdown_rows(n: int, seed: int = 0, config: CountdownTaskConfig = CountdownTaskConfig(), *,
                   prompt_format: Literal["text", "chat"] = "chat", prefill_think: bool = False,
                   template: str | None = None, start: int = 0) -> Iterator[dict[str, Any]]:
    """Dataset rows: ``{"id", "prompt", "target", "nums", "solution"}`` (see module docstring)."""
    for offset, task in enumerate(generate_countdown_tasks(n, seed, config, start=start)):
        yield {
            "id": f"countdown-{seed}-{start + offset}",
            "prompt": countdown_prompt(task.nums, task.target, prompt_format=prompt_format,
                                       prefill_think=prefill_think, template=template, operators=config.operators),
            "target": task.target,
            "nums": list(task.nums),
            "solution": task.solution,
        }


def write_countdown_tasks(path: str | Path, n: int, seed: int = 0, config: CountdownTaskConfig | None = None, *,
                          prompt_format: Literal["text", "chat"] = "chat", prefill_think: bool = False,
                          template: str | None = None, start: int = 0, **config_fields: Any) -> Path:
    """Write ``n`` task rows to a JSONL file (one JSON object per line) and return its path.

    Config fields may be given directly (``write_countdown_tasks("t.jsonl", 100, seed=1,
    max_numbers=5, max_target=999)``) or as ``config``, not both.
    """
    if config is not None and config_fields:
        raise ValueError("pass either config= or config fields, not both")
    cfg = config or CountdownTaskConfig(**config_fields)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in countdown_rows(n, seed, cfg, prompt_format=prompt_format, prefill_think=prefill_think,
                                  template=template, start=start):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def config_as_dict(config: CountdownTaskConfig) -> dict[str, Any]:
    """The config as plain data (for a dataset card / metadata file)."""
    data = asdict(config)
    data["operators"] = list(config.operators)
    return data
