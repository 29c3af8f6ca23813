"""``ifeval``: verifiable instruction following (IFEval, IFBench, allenai RLVR-IFeval constraints).

Scoring (value, status), with ``value`` the scale (default 1.0):

* ``mode="strict"`` (IFEval prompt-level strict): ``value`` when every constraint holds
  (``correct``), else ``0.0`` (``wrong``).
* ``mode="fraction"`` (instruction-level): ``value x held / constraints`` (``correct`` when all
  hold, ``partial`` when some, ``wrong`` when none).
* ``mode="loose"`` / ``"loose_fraction"``: as strict / fraction, but a constraint holds when it
  holds on any of IFEval's loose variants (first line removed, last line removed, both, and
  each with markdown ``*`` stripped).
* ``0.0``, ``no_answer``: the answer region is empty or blank, or a ``<think>`` block is never
  closed (the answer was never written).
* ``None``, ``gold_unparseable``: the constraint columns cannot be read, or a constraint's
  arguments are missing or ill-typed.
* ``None``, ``unsupported``: a constraint id this verifier does not know (or one of the four
  IFBench constraints that need a model, see ``UNSUPPORTED_IFBENCH``), or a language check with
  no detector installed. With ``unsupported="skip"`` those constraints are left out and the others
  scored (``None`` only when none is left). Never a silent pass.
* ``None``, ``invalid_input``: the completion is not readable.

Where the constraints come from (per sample, first match wins): the ``ground_truth_column``
(allenai RLVR-IFeval ``{"func_name": ...}`` JSON, or the IF_multi_constraints / IFBench training
``[{"instruction_id": [...], "kwargs": [...]}]`` string), else the ``instruction_ids_column`` +
``kwargs_column`` pair (google/IFEval, allenai/IFBench_test).

Answer region (:func:`rlvr.parsing.split` with ``reopened="no_answer"``): the text after the last
``</think>`` (a chat template that prefilled ``<think>`` leaves only the closing tag: fine); no
think tag at all: the whole completion; a ``<think>`` never closed, also one reopened after the
last ``</think>``: no answer. With ``answer_tag`` set, the inside of the last complete ``<answer>``
block of that region is scored when there is one.

``Score.details``: ``constraints`` (one entry per constraint: ``id``, ``status`` held / failed /
unsupported / gold_unparseable, ``reason``, and in loose modes the ``variant`` that passed),
``held``, ``total``, ``mode``, ``layout``, ``answer`` (where the scored text came from).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rlvr.parsing import Found, TagSpec, split
from rlvr.rewards.base import TRAINER_KWARGS, MissingColumnError, Reward, RewardParams, Sample
from rlvr.rewards.registry import register, register_preset
from rlvr.score import Score, Status
from rlvr.verifiers.instructions import (
    UNSUPPORTED_IFBENCH,
    CheckContext,
    ConstraintVerdict,
    GoldError,
    check_constraints,
    constraints_from_ground_truth,
    constraints_from_ifeval,
)

__all__ = ["IFEvalReward", "answer_region", "tulu3_ifeval"]

Mode = Literal["strict", "fraction", "loose", "loose_fraction"]


def answer_region(text: str, think_tag: str = "think", answer_tag: str | None = None) -> tuple[str | None, str]:
    """``(answer text or None, where it came from)`` (see the module docstring)."""
    return _answer_of(text, TagSpec.from_names(think_tag, answer_tag or None))


def _answer_of(text: str, tags: TagSpec) -> tuple[str | None, str]:
    found = split(text, tags, reopened="no_answer")
    to, tc = tags.think_open, tags.think_close
    if found.reopened:
        return None, f"{to} reopened after the last {tc} and never closed"
    if found.how is Found.UNCLOSED:
        return None, f"{to} never closed"
    if found.answer is not None:
        return found.answer_text, f"last {tags.answer_open} block"
    return found.region_text, "whole completion" if found.how is Found.NONE else f"after {tc}"


class IFEvalParams(RewardParams):
    mode: Mode = Field(
        default="strict",
        description="'strict': value if all constraints hold else 0; 'fraction': value x share held; "
        "'loose' / 'loose_fraction': the same with IFEval's loose response variants.",
    )
    value: float = Field(default=1.0, description="Scale: the score when every constraint holds (Tulu 3 uses 10).")
    ground_truth_column: str = Field(
        default="ground_truth", description="Column with allenai's ground_truth (RLVR-IFeval / IF_multi_constraints)."
    )
    instruction_ids_column: str = Field(default="instruction_id_list", description="google/IFEval column of instruction ids.")
    kwargs_column: str = Field(default="kwargs", description="google/IFEval column of per-instruction kwargs.")
    unsupported: Literal["none", "skip"] = Field(
        default="none",
        description="A constraint that cannot be checked here: 'none' makes the sample None (status unsupported); "
        "'skip' scores the remaining constraints.",
    )
    detector: str = Field(
        default="auto",
        description="Language detector for language:response_language and the English checks: 'auto' "
        "(py3langid or lingua if installed), 'py3langid', 'lingua', or 'none' (such checks become unsupported "
        "for Latin/Cyrillic/Arabic/Devanagari-script targets).",
    )
    think_tag: str = Field(default="think", min_length=1, description="Reasoning tag stripped before scoring.")
    answer_tag: str | None = Field(
        default=None, description="If set, score the inside of the last <answer_tag> block when the answer has one."
    )

    @model_validator(mode="after")
    def _check_tags(self) -> IFEvalParams:
        self.tag_spec()  # a ValueError here is reported as a config error
        return self

    def tag_spec(self) -> TagSpec:
        return TagSpec.from_names(self.think_tag, self.answer_tag or None)

    @field_validator("detector")
    @classmethod
    def _detector(cls, value: str) -> str:
        from rlvr.verifiers.language_detect import check_detector_name

        return check_detector_name(value)


@register("ifeval")
class IFEvalReward(Reward):
    """Instruction following (IFEval / IFBench / RLVR-IFeval constraints): all hold (strict), share held (fraction), loose variants."""

    Params = IFEvalParams
    params: IFEvalParams
    judges_correctness = True

    def correct_at(self) -> float:
        return self.params.value  # every constraint holds (strictly, or loosely in the loose modes)

    def setup(self) -> None:
        from rlvr.verifiers.language_detect import get_detector

        if self.params.detector not in ("auto", "none"):
            get_detector(self.params.detector)  # a named backend that is missing fails at construction
        self._tags = self.params.tag_spec()

    def tag_spec(self) -> TagSpec:
        return self._tags

    def _check_columns(self, given: Iterable[str]) -> None:
        given = set(given)
        p = self.params
        if p.ground_truth_column in given or p.instruction_ids_column in given:
            return
        got = sorted(k for k in given if k not in TRAINER_KWARGS)
        raise MissingColumnError(
            f"reward {self.__name__!r} needs the constraints of each sample: column {p.ground_truth_column!r} "
            f"(allenai RLVR-IFeval / IF_multi_constraints) or {p.instruction_ids_column!r} + {p.kwargs_column!r} "
            f"(google/IFEval), but got {got or 'no columns'}. Rename the columns or set ground_truth_column / "
            "instruction_ids_column / kwargs_column."
        )

    def _context(self, sample: Sample) -> CheckContext:
        from rlvr.completion import prompt_text

        return CheckContext(prompt=prompt_text(sample.prompt), detector_name=self.params.detector)

    def _constraints(self, sample: Sample) -> tuple[list[Any], str]:
        p = self.params
        fields = sample.fields
        gold = fields.get(p.ground_truth_column)
        if gold is not None:
            return constraints_from_ground_truth(gold), p.ground_truth_column
        ids = fields.get(p.instruction_ids_column)
        if ids is None:
            raise GoldError(f"no constraints: {p.ground_truth_column!r} and {p.instruction_ids_column!r} are both empty")
        return constraints_from_ifeval(ids, fields.get(p.kwargs_column)), p.instruction_ids_column

    def judge(self, sample: Sample) -> Score:
        p = self.params
        try:
            constraints, layout = self._constraints(sample)
        except GoldError as exc:
            return Score(None, Status.GOLD_UNPARSEABLE, f"constraints unreadable: {exc}")
        details: dict[str, Any] = {"mode": p.mode, "layout": layout, "total": len(constraints)}
        from rlvr.verifiers.instructions import get_instruction

        unknown = [c.instruction_id for c in constraints if get_instruction(c.instruction_id) is None]
        if unknown and (p.unsupported == "none" or len(unknown) == len(constraints)):
            details["unsupported"] = unknown
            why = "; ".join(f"{i}: {UNSUPPORTED_IFBENCH[i]}" for i in unknown if i in UNSUPPORTED_IFBENCH)
            return Score(None, Status.UNSUPPORTED, f"unsupported constraint(s) {unknown}" + (f" ({why})" if why else ""),
                         details)
        answer, where = _answer_of(sample.text, self._tags)
        details["answer"] = where
        if answer is None or not answer.strip():
            details["held"] = 0
            return Score(0.0, Status.NO_ANSWER, where if answer is None else f"empty answer ({where})", details)
        verdicts = check_constraints(constraints, answer, loose=p.mode.startswith("loose"), context=self._context(sample))
        details["constraints"] = [v.to_dict() for v in verdicts]
        return self._score(verdicts, details)

    def _score(self, verdicts: list[ConstraintVerdict], details: dict[str, Any]) -> Score:
        p = self.params
        bad_gold = [v for v in verdicts if v.status == "gold_unparseable"]
        if bad_gold:
            return Score(None, Status.GOLD_UNPARSEABLE, "; ".join(v.reason for v in bad_gold)[:500], details)
        unsupported = [v for v in verdicts if v.status == "unsupported"]
        judged = [v for v in verdicts if v.held is not None]
        if unsupported and (p.unsupported == "none" or not judged):
            return Score(None, Status.UNSUPPORTED, "; ".join(v.reason for v in unsupported)[:500], details)
        if unsupported:
            details["skipped"] = [v.instruction_id for v in unsupported]
        held = sum(1 for v in judged if v.held)
        details["held"] = held
        details["total"] = len(judged)
        failed = [v for v in judged if not v.held]
        reason = "; ".join(f"{v.instruction_id}: {v.reason}" for v in failed)[:500] or f"all {len(judged)} constraint(s) hold"
        if not failed:
            return Score(p.value, Status.CORRECT, reason, details)
        if p.mode in ("strict", "loose"):
            return Score(0.0, Status.WRONG, reason, details)
        status = Status.WRONG if held == 0 else Status.PARTIAL
        return Score(p.value * held / len(judged), status, reason, details)


@register_preset("tulu3_ifeval")
def tulu3_ifeval(mode: Mode = "strict", value: float = 10.0, ground_truth_column: str = "ground_truth") -> Any:
    """Tulu 3 RLVR instruction-following reward: 10 when the constraint holds, else 0.

    Source: allenai/open-instruct, ``verification_reward: float = 10.0`` (grpo_fast / ppo configs) times
    the 0/1 result of its ``ifeval`` verifiers on ``allenai/RLVR-IFeval`` (Tulu 3 report, arXiv
    2411.15124: binary verifiable reward with alpha = 10). Use ``mode="fraction"`` for the IF_multi_constraints
    recipe (open-instruct's newer verifier averages over the constraints). Deviation: a never-closed
    think block scores 0 (open-instruct scores the whole text)."""
    from rlvr.rewards.registry import get_reward
    from rlvr.rewards.stack import RewardStack

    reward = get_reward("ifeval", alias="ifeval", mode=mode, value=value, ground_truth_column=ground_truth_column)
    return RewardStack([(reward, 1.0)], name="tulu3_ifeval")
