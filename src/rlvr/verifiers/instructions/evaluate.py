"""Check a list of constraints against one response, strictly or IFEval-loosely.

* **strict**: each constraint is checked on the response as it is. An empty (blank) response
  follows no instruction.
* **loose** (IFEval's "loose" accuracy): a constraint holds when it holds on any non-blank one
  of eight variants: the response, without its first line, without its last line, without
  both, and each of those four with every ``*`` removed (markdown emphasis).

Each constraint yields a :class:`ConstraintVerdict` with ``status``:

* ``held`` / ``failed`` (``held`` True/False) with the checker's reason;
* ``unsupported`` (``held`` None): unknown instruction id, or a check this installation cannot
  make (a language detector that is not installed);
* ``gold_unparseable`` (``held`` None): the constraint's arguments are missing or ill-typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rlvr.verifiers.instructions.base import BadKwargs, CannotCheck, CheckContext, Kwargs
from rlvr.verifiers.instructions.gold import Constraint
from rlvr.verifiers.instructions.registry import UNSUPPORTED_IFBENCH, get_instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["ConstraintVerdict", "check_constraints", "loose_variants"]

VerdictStatus = Literal["held", "failed", "unsupported", "gold_unparseable"]


@dataclass(frozen=True, slots=True)
class ConstraintVerdict:
    """The outcome of one constraint: ``held`` (None when it could not be judged), ``status``,
    ``reason``, and in loose mode the ``variant`` that passed."""

    instruction_id: str
    held: bool | None
    status: VerdictStatus
    reason: str
    variant: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.instruction_id, "status": self.status, "reason": self.reason}
        if self.variant:
            out["variant"] = self.variant
        return out


_VARIANT_NAMES = (
    "as is", "first line removed", "last line removed", "first and last lines removed",
)


def loose_variants(text: str) -> list[tuple[str, str]]:
    """IFEval's eight loose variants of a response, as ``(name, text)`` pairs, in checking order."""
    lines = text.split("\n")
    base = [
        text,
        "\n".join(lines[1:]).strip(),
        "\n".join(lines[:-1]).strip(),
        "\n".join(lines[1:-1]).strip(),
    ]
    out = list(zip(_VARIANT_NAMES, base))
    out += [(f"{name}, * removed", variant.replace("*", "")) for name, variant in zip(_VARIANT_NAMES, base)]
    return out


def _judge_one(constraint: Constraint, responses: list[tuple[str, Response]], ctx: CheckContext) -> ConstraintVerdict:
    iid = constraint.instruction_id
    spec = get_instruction(iid)
    if spec is None:
        why = UNSUPPORTED_IFBENCH.get(iid)
        reason = f"constraint {iid!r} is not supported: {why}" if why else f"unknown instruction id {iid!r}"
        return ConstraintVerdict(iid, None, "unsupported", reason)
    kwargs = Kwargs(constraint.kwargs, iid)
    last_reason = ""
    for name, response in responses:
        try:
            check = spec.checker(response, kwargs, ctx)
        except BadKwargs as exc:
            return ConstraintVerdict(iid, None, "gold_unparseable", str(exc))
        except CannotCheck as exc:
            return ConstraintVerdict(iid, None, "unsupported", exc.reason)
        if not response.text.strip():
            last_reason = last_reason or "empty response"
            continue
        if check.held:
            return ConstraintVerdict(iid, True, "held", check.reason, None if len(responses) == 1 else name)
        last_reason = last_reason or check.reason
    return ConstraintVerdict(iid, False, "failed", last_reason)


def check_constraints(
    constraints: Iterable[Constraint],
    text: str,
    *,
    loose: bool = False,
    context: CheckContext | None = None,
) -> list[ConstraintVerdict]:
    """One verdict per constraint, in order (see the module docstring)."""
    ctx = context or CheckContext()
    if loose:
        responses = [(name, Response(variant)) for name, variant in loose_variants(text)]
    else:
        responses = [("as is", Response(text))]
    return [_judge_one(c, responses, ctx) for c in constraints]
