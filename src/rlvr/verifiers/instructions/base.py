"""What every instruction checker shares: its result, its errors, and typed access to its kwargs.

A checker is a pure function ``check(text, kwargs, context) -> Check``:

* :class:`Check` says whether the constraint holds and why (``reason`` names the measured
  quantity, e.g. ``"312 words, needs at least 300"``);
* it raises :class:`BadKwargs` when the *gold side* is unusable (a missing or ill-typed
  argument): the reward turns that into ``None`` / ``gold_unparseable``, never into a value;
* it raises :class:`CannotCheck` when something outside the submission prevents judging
  (a language detector that is not installed): ``None`` with that status.

Anything the response can cause (a megabyte of text, broken JSON, deep nesting) is a ``Check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BadKwargs",
    "CannotCheck",
    "Check",
    "CheckContext",
    "Checker",
    "Kwargs",
    "InstructionSpec",
    "compare",
    "shown",
]


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one constraint on one response: ``held`` and a short ``reason``."""

    held: bool
    reason: str = ""


class BadKwargs(ValueError):
    """The constraint's arguments (gold side) are missing or of the wrong type."""


class CannotCheck(RuntimeError):
    """The constraint cannot be judged here for a cause the response cannot provoke."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a checker may need besides the response: the prompt text, and which language detector
    to use (``detector_name``: ``"auto"``, ``"py3langid"``, ``"lingua"`` or ``"none"``). The detector
    is loaded only when a language constraint asks for it (:meth:`detector`)."""

    prompt: str = ""
    detector_name: str = "auto"

    def detector(self) -> Any:
        """The detector, or ``None`` when none is installed (or ``detector_name="none"``)."""
        from rlvr.verifiers.language_detect import get_detector

        return get_detector(self.detector_name)


#: One checker: ``(response, kwargs, context) -> Check``; the response is a
#: :class:`~rlvr.verifiers.instructions.text_units.Response` (text plus cached units).
Checker = Callable[[Any, "Kwargs", CheckContext], Check]


class Kwargs:
    """Typed, validating access to one constraint's keyword arguments.

    ``None`` values count as absent (the Hugging Face IFEval rows carry every key of every
    instruction, ``None`` where unused). Every accessor raises :class:`BadKwargs` with the
    argument's name when the value is missing or unusable.
    """

    __slots__ = ("_values", "instruction_id")

    def __init__(self, values: Mapping[str, Any] | None, instruction_id: str = ""):
        if values is not None and not isinstance(values, Mapping):
            raise BadKwargs(f"{instruction_id}: kwargs must be a mapping, got {type(values).__name__}")
        self._values = {k: v for k, v in (values or {}).items() if v is not None}
        self.instruction_id = instruction_id

    def has(self, name: str) -> bool:
        return name in self._values

    def raw(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def _missing(self, name: str) -> BadKwargs:
        return BadKwargs(f"{self.instruction_id}: missing argument {name!r}")

    def int(self, name: str, *, minimum: int | None = 0, default: int | None = None) -> int:
        """An integer (an integral float or a digit string is accepted; bool is not)."""
        value = self._values.get(name, default)
        if value is None:
            raise self._missing(name)
        number: int
        if isinstance(value, bool):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be an integer, got {value!r}")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 20:
            number = int(value.strip())
        else:
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be an integer, got {_short(value)}")
        if minimum is not None and number < minimum:
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be >= {minimum}, got {number}")
        return number

    def number(self, name: str, *, default: float | None = None) -> float:
        """A finite real number."""
        value = self._values.get(name, default)
        if value is None:
            raise self._missing(name)
        if isinstance(value, bool):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be a number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be a number, got {_short(value)}") from None
        if not math.isfinite(number):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be finite, got {value!r}")
        return number

    def str(self, name: str, *, default: str | None = None, allow_empty: bool = False) -> str:
        value = self._values.get(name, default)
        if value is None:
            raise self._missing(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # a keyword such as 2024 given as a number
        if not isinstance(value, str):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be a string, got {_short(value)}")
        if not allow_empty and not value.strip():
            raise BadKwargs(f"{self.instruction_id}: {name!r} must not be empty")
        return value

    def str_list(self, name: str, *, allow_empty_list: bool = False) -> list[str]:
        """A list of non-empty strings (a single string is read as a one-item list)."""
        value = self._values.get(name)
        if value is None:
            raise self._missing(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Sequence) or isinstance(value, (bytes, bytearray)):
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be a list of strings, got {_short(value)}")
        out = []
        for item in value:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                raise BadKwargs(f"{self.instruction_id}: {name!r} must hold non-empty strings, got {_short(item)}")
            out.append(item)
        if not out and not allow_empty_list:
            raise BadKwargs(f"{self.instruction_id}: {name!r} is an empty list")
        return out

    def relation(self, name: str = "relation", *, choices: Sequence[str] = ("less than", "at least")) -> str:
        value = self.str(name)
        norm = " ".join(value.lower().split())
        if norm not in choices:
            raise BadKwargs(f"{self.instruction_id}: {name!r} must be one of {list(choices)}, got {value!r}")
        return norm


def compare(count: float, relation: str, threshold: float) -> bool:
    """IFEval relations: ``less than`` (count < N), ``at least`` (count >= N); also ``at most``,
    ``exactly``, ``more than`` for the allenai/IFBench variants."""
    if relation == "less than":
        return count < threshold
    if relation == "at least":
        return count >= threshold
    if relation == "at most":
        return count <= threshold
    if relation == "more than":
        return count > threshold
    if relation == "exactly":
        return count == threshold
    raise BadKwargs(f"unknown relation {relation!r}")


def shown(count: int, limit: int) -> str:
    """A count that stopped at ``limit`` reads ``"limit+"``."""
    return f"{count}+" if count >= limit else str(count)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class InstructionSpec:
    """One registered instruction: its id, checker, family and the kwargs it reads."""

    instruction_id: str
    checker: Checker
    family: str
    kwargs: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
