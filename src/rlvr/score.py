"""The result of judging one completion: :class:`Score` and its :class:`Status`.

``Score.value`` is a finite float, or ``None`` when the sample *cannot be judged*
(unparseable gold, sandbox down, a timeout under a "skip" policy, invalid input).
``None`` is never silently turned into 0 or 1 by rlvr; adapters pass it on (TRL >= 1.6
excludes such rows from the advantage baseline) or map it with a reward's ``none_as``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """Why a :class:`Score` has its value.

    Judged outcomes carry a float; the "cannot judge" family (``GOLD_UNPARSEABLE``, ``UNSUPPORTED``,
    ``SANDBOX_ERROR``, ``INVALID_INPUT``, ``ERROR`` and, by default, ``TIMEOUT``) carries ``None``.
    """

    OK = "ok"  #: a shaping reward (format, length, ...) computed its value
    CORRECT = "correct"  #: the answer was verified correct
    WRONG = "wrong"  #: an answer was found and judged incorrect
    PARTIAL = "partial"  #: partially correct (e.g. some code tests passed)
    NO_ANSWER = "no_answer"  #: no answer could be extracted from the completion
    BAD_FORMAT = "bad_format"  #: the completion does not follow the required layout
    GOLD_UNPARSEABLE = "gold_unparseable"  #: the reference answer could not be parsed
    UNSUPPORTED = "unsupported"  #: the reference asks for a check this verifier cannot make (unknown constraint, missing detector)
    TIMEOUT = "timeout"  #: judging ran past its deadline and was killed
    RUNTIME_ERROR = "runtime_error"  #: model-written code crashed
    SANDBOX_ERROR = "sandbox_error"  #: the execution infrastructure failed (not the model's fault)
    INVALID_INPUT = "invalid_input"  #: the completion/column is not something rlvr can read
    SKIPPED = "skipped"  #: a gate decided this reward does not apply
    ERROR = "error"  #: an unexpected internal error while judging (a bug: please report)


@dataclass(frozen=True, slots=True)
class Score:
    """One sample's judgement.

    Attributes:
        value: the reward, a finite float, or ``None`` for "cannot be judged".
        status: why (see :class:`Status`).
        reason: a short human-readable explanation (never contains hidden reference data
            such as expected test outputs).
        details: extra machine-readable facts (extraction path, per-reward breakdown, units).
    """

    value: float | None
    status: Status
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        v = self.value
        if v is not None:
            if type(v) is not float:  # bool, int, numpy/torch scalars, float subclasses -> plain float
                v = float(v)
                object.__setattr__(self, "value", v)
            if not math.isfinite(v):
                raise ValueError(f"Score.value must be finite or None, got {v!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: ``{"value", "status", "reason", "details"}``."""
        return {
            "value": self.value,
            "status": self.status.value,
            "reason": self.reason,
            "details": self.details,
        }

