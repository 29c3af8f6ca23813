"""The comparison policy (:class:`VerifyConfig`) and the outcome (:class:`Verdict`) of one
maths comparison; shared by the parent-side verifier and the worker-side sympy stage."""

from __future__ import annotations

from dataclasses import dataclass

from rlvr.score import Status

__all__ = ["Verdict", "VerifyConfig"]


@dataclass(frozen=True)
class VerifyConfig:
    """Comparison policy (hashable: part of every cache key).

    Attributes:
        float_rounding: decimals math-verify rounds floats to before comparing (6).
        numeric_precision: sympy evaluation precision (15).
        strict: math-verify ``strict`` (variables must match; ``x=1`` is not ``1`` for an
            equation gold). Anti-hacking: keep True.
        allow_set_relation_comp: accept an interval for an inequality gold and vice versa.
        numeric_guard: re-check ``True`` numeric verdicts at 50 digits.
        list_order_matters: when True, ``4, 10, -2`` is not ``10, 4, -2`` (bare comma lists of
            scalars are compared element by element, in order; Hendrycks' MATH grader policy).
            Default False: a bare list is the set of solutions (math-verify's policy). Lists
            of tuples and braced sets ``\\{...\\}`` are always unordered.
        approx_decimals: accept a decimal with >= 3 significant digits for an exact value
            without a finite decimal form, to one unit of its last digit (``1.732`` for
            ``\\sqrt 3``); integers and finite decimals must always be exact.
    """

    float_rounding: int = 6
    numeric_precision: int = 15
    strict: bool = True
    allow_set_relation_comp: bool = False
    numeric_guard: bool = True
    list_order_matters: bool = False
    approx_decimals: bool = True


@dataclass(frozen=True)
class Verdict:
    """Outcome of one comparison.

    Attributes:
        status: a :class:`~rlvr.score.Status`: ``CORRECT``, ``WRONG``, ``GOLD_UNPARSEABLE`` (the
            reference cannot be parsed: never rewarded), ``TIMEOUT`` (the worker was killed at
            the deadline, or the call's batch budget ran out), ``ERROR`` (the worker crashed or
            raised, or no worker could start: ``path`` tells ``worker`` from
            ``infrastructure``). A plain string naming one of these (``"wrong"``) is converted.
        reason: a short human-readable explanation.
        path: which stage decided: ``string``, ``numeric``, ``numeric_value``, ``tuple``,
            ``choice``, ``multiset``, ``sympy``, ``list``, ``approx``, ``guard``,
            ``imaginary_i``, ``assignment``, ``cache:<path>``, ``deadline``, ``budget``,
            ``worker``, ``infrastructure``, ``in_process``.
        seconds: worker time of the sympy comparison (0 for fast paths and cache hits).
    """

    status: Status
    reason: str = ""
    path: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))

    @property
    def correct(self) -> bool:
        """``True`` for ``Status.CORRECT``."""
        return self.status == "correct"
