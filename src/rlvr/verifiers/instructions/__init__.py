"""Verifiable instruction following: the IFEval instruction set, IFBench's out-of-distribution
constraints and allenai's RLVR-IFeval functions, as pure checkers (no I/O, no model).

* :func:`constraints_from_ifeval` / :func:`constraints_from_ground_truth` read a row's constraints
  from the google/IFEval columns or an allenai ``ground_truth`` value (:mod:`.gold`);
* :func:`check_constraints` checks them on a response, strictly or IFEval-loosely (:mod:`.evaluate`);
* :func:`get_instruction` / :func:`all_instructions` expose the registry of instruction id ->
  checker; family modules: :mod:`.keywords`, :mod:`.length`, :mod:`.content`,
  :mod:`.detectable_format`, :mod:`.combination`, :mod:`.startend`, :mod:`.case`,
  :mod:`.punctuation`, :mod:`.language`, :mod:`.ifbench_count`, :mod:`.ifbench_words`,
  :mod:`.ifbench_format`, :mod:`.ifbench_tasks`, :mod:`.rlvr_ifeval`.
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import BadKwargs, CannotCheck, Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.evaluate import ConstraintVerdict, check_constraints, loose_variants
from rlvr.verifiers.instructions.gold import (
    Constraint,
    GoldError,
    constraints_from_ground_truth,
    constraints_from_ifeval,
)
from rlvr.verifiers.instructions.registry import UNSUPPORTED_IFBENCH, all_instructions, get_instruction

__all__ = [
    "BadKwargs",
    "CannotCheck",
    "Check",
    "CheckContext",
    "Constraint",
    "ConstraintVerdict",
    "GoldError",
    "IFEVAL_INSTRUCTION_IDS",
    "Kwargs",
    "UNSUPPORTED_IFBENCH",
    "all_instructions",
    "check_constraints",
    "constraints_from_ground_truth",
    "constraints_from_ifeval",
    "get_instruction",
    "loose_variants",
]

#: The 25 instruction ids of google/IFEval.
IFEVAL_INSTRUCTION_IDS: tuple[str, ...] = (
    "keywords:existence", "keywords:frequency", "keywords:forbidden_words", "keywords:letter_frequency",
    "language:response_language", "length_constraints:number_sentences", "length_constraints:number_paragraphs",
    "length_constraints:number_words", "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders", "detectable_content:postscript",
    "detectable_format:number_bullet_lists", "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
    "detectable_format:json_format", "detectable_format:title", "combination:two_responses",
    "combination:repeat_prompt", "startend:end_checker", "change_case:capital_word_frequency",
    "change_case:english_capital", "change_case:english_lowercase", "punctuation:no_comma", "startend:quotation",
)
