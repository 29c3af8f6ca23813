"""The ``countdown`` reward (equation tasks) and the countdown presets.

``countdown`` reads the task from two columns (``target`` and ``nums`` by default: the
``Jiayi-Pan/Countdown-Tasks-3to4`` layout, also what :mod:`rlvr.tasks.countdown` writes),
extracts the equation from the **last** ``<answer>...</answer>`` after the last ``</think>``
(the whole completion when there is no ``</think>``: :func:`rlvr.parsing.split` with
``unclosed="whole"``, so a cut-off think block that already holds an answer block is judged on
it), and judges it with
:func:`rlvr.verifiers.countdown.verify_countdown` (AST whitelist, exact rational arithmetic,
multiset check of the numbers; never ``eval``).

Values (configurable; defaults are the binary 1/0 scheme):

=======================  ==================  =====================================
outcome                  status              value
=======================  ==================  =====================================
correct equation         ``correct``         ``correct_score`` (1.0)
any other answer         ``wrong``           ``wrong_score`` (0.0; TinyZero: 0.1)
no / empty answer        ``no_answer``       ``no_answer_score`` (0.0)
bad ``target``/``nums``  ``gold_unparseable`` ``None``
=======================  ==================  =====================================

``Score.details["reason"]`` says why (``numbers_mismatch``, ``wrong_value``,
``not_an_equation``, ``forbidden_operator``, ``division_by_zero``, ... see
:data:`rlvr.verifiers.countdown.REASONS`; ``no_answer_tag``/``empty_answer`` for no answer).
An empty ``<answer></answer>`` earns ``no_answer_score``, not ``wrong_score``: TinyZero pays
its 0.1 format score for it, which rewards an empty answer over no attempt.

Presets (registered): ``countdown_tinyzero`` (1.0 / 0.1 / 0), ``countdown_binary`` (1 / 0),
``datawhale_countdown`` (format + countdown + thought_length, reproducing the Datawhale
"unlock-deepseek" tutorial) and its hardened twin ``countdown_r1``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from rlvr.parsing import TagSpec, split
from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.registry import get_reward, register, register_preset
from rlvr.score import Score, Status
from rlvr.verifiers.countdown import CountdownLimits, GoldError, parse_numbers, parse_target, verify_countdown

__all__ = [
    "COUNTDOWN_SCHEMES",
    "CountdownParams",
    "CountdownReward",
    "countdown_binary",
    "countdown_r1",
    "countdown_tinyzero",
    "datawhale_countdown",
    "extract_answer_span",
]

#: The two common scoring schemes: (correct, wrong, no answer).
COUNTDOWN_SCHEMES: dict[str, dict[str, float]] = {
    "tinyzero": {"correct_score": 1.0, "wrong_score": 0.1, "no_answer_score": 0.0},
    "binary": {"correct_score": 1.0, "wrong_score": 0.0, "no_answer_score": 0.0},
}


def extract_answer_span(text: str, answer_tag: str = "answer", think_tag: str = "think") -> str | None:
    """The content of the last ``<answer>...</answer>`` after the last ``</think>``.

    Searches the whole text when there is no ``</think>``. ``None`` when there is no closed
    answer block in that region. Linear time (``str.rfind``), no regex.
    """
    return _answer_of(text, TagSpec.from_names(think_tag, answer_tag))


def _answer_of(text: str, tags: TagSpec) -> str | None:
    # countdown's policy for a think block that is never closed: search the whole text
    return split(text, tags, unclosed="whole").answer_text


class CountdownParams(RewardParams):
    target_column: str = Field("target", description="column holding the target number")
    numbers_column: str = Field("nums", description="column holding the list of given numbers")
    answer_tag: str = Field("answer", description="the equation is read from the last <answer_tag> block")
    think_tag: str = Field("think", description="the answer is searched after the last </think_tag>")
    correct_score: float = Field(1.0, description="value of a correct equation")
    wrong_score: float = Field(0.0, description="value of any other answer (TinyZero: 0.1)")
    no_answer_score: float = Field(0.0, description="value when there is no (or an empty) answer block")
    allow_subset: bool = Field(False, description="a sub-multiset of the numbers may be used (each at most once)")
    allow_equals: bool = Field(True, description="accept 'expr = target' / 'target = expr'")
    unicode_operators: bool = Field(True, description="read × ÷ − as * / -")
    max_chars: int = Field(300, ge=1, le=10_000, description="longest equation judged (longer: wrong, too_long)")
    max_depth: int = Field(32, ge=1, le=200, description="deepest parenthesis nesting judged")
    max_literal_digits: int = Field(9, ge=1, description="longest number literal judged")

    @model_validator(mode="after")
    def _distinct_columns(self) -> CountdownParams:
        if self.target_column == self.numbers_column:
            raise ValueError("target_column and numbers_column must differ")
        TagSpec.from_names(self.think_tag, self.answer_tag)  # ValueError on unusable tags
        return self


@register("countdown")
class CountdownReward(Reward):
    """Countdown equation: correct_score / wrong_score / no_answer_score (1 / 0 / 0 by default).

    See the module docstring for extraction, values and reasons.
    """

    Params = CountdownParams
    params: CountdownParams
    judges_correctness = True

    def correct_at(self) -> float:
        return self.params.correct_score

    def setup(self) -> None:
        p = self.params
        self._limits = CountdownLimits(p.max_chars, p.max_depth, p.max_literal_digits)
        self._tags = TagSpec.from_names(p.think_tag, p.answer_tag)

    def tag_spec(self) -> TagSpec:
        return self._tags

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.target_column, self.params.numbers_column)

    def _gold(self, target: Any, nums: Any) -> tuple[Any, tuple[int, ...]]:
        return parse_target(target), parse_numbers(nums)

    def judge(self, sample: Sample) -> Score:
        p = self.params
        fields = sample.fields
        try:
            target, nums = self._gold(fields.get(p.target_column), fields.get(p.numbers_column))
        except GoldError as exc:
            return Score(None, Status.GOLD_UNPARSEABLE, f"bad task columns: {exc}", {"reason": "gold_unparseable"})
        answer = _answer_of(sample.text, self._tags)
        if answer is None:
            return Score(p.no_answer_score, Status.NO_ANSWER,
                         f"no <{p.answer_tag}>...</{p.answer_tag}> block after </{p.think_tag}>",
                         {"reason": "no_answer_tag"})
        if not answer.strip():
            return Score(p.no_answer_score, Status.NO_ANSWER, "the answer block is empty", {"reason": "empty_answer"})
        verdict = verify_countdown(answer, target, nums, allow_subset=p.allow_subset, allow_equals=p.allow_equals,
                                   unicode_operators=p.unicode_operators, limits=self._limits)
        details = verdict.details()
        if verdict.correct:
            return Score(p.correct_score, Status.CORRECT, "", details)
        return Score(p.wrong_score, Status.WRONG, f"{verdict.reason}: {verdict.message}", details)


# ----------------------------------------------------------------------------- presets
def _countdown(scheme: str, **params: Any) -> Reward:
    return get_reward("countdown", **{**COUNTDOWN_SCHEMES[scheme], **params})


@register_preset("countdown_tinyzero")
def countdown_tinyzero(**countdown_params: Any):
    """TinyZero's countdown scoring: 1.0 correct, 0.1 any other answer, 0 no answer.

    Source: Jiayi-Pan/TinyZero ``verl/utils/reward_score/countdown.py`` (``format_score=0.1``,
    ``score=1.0``). Deviations, all deliberate: AST evaluation instead of ``eval`` (``**`` is
    rejected instead of hanging), exact arithmetic instead of a 1e-5 tolerance, the answer is
    the last ``<answer>`` after ``</think>`` rather than on the last line, and an empty answer
    block earns 0 (TinyZero: 0.1).
    """
    from rlvr.rewards.stack import RewardStack

    return RewardStack([(_countdown("tinyzero", **countdown_params), 1.0)], name="countdown_tinyzero")


@register_preset("countdown_binary")
def countdown_binary(**countdown_params: Any):
    """Binary countdown scoring: 1 correct, 0 otherwise (the mini-deepseek-r1 / Datawhale scheme)."""
    from rlvr.rewards.stack import RewardStack

    return RewardStack([(_countdown("binary", **countdown_params), 1.0)], name="countdown_binary")


def _datawhale_format(prefilled: bool) -> Reward:
    """The Datawhale format check via the registered ``format`` reward (``layout="flexible"``).

    The recipe's regex (applied to ``"<think>" + completion``) is
    ``^<think>(no think tags)</think>\n<answer>(anything)</answer>$``. ``format`` with
    ``prefilled=True, allow_empty_answer=True`` agrees on every layout a model produces in
    practice; it differs on whitespace (any whitespace is accepted between and after the
    blocks, the recipe wants exactly one ``\n`` between them) and rejects a second
    ``<answer>`` nested inside the answer block (the recipe accepts it).
    """
    return get_reward("format", prefilled=prefilled, allow_empty_answer=True)


def _r1_format(prefilled: bool) -> Reward:
    """rlvr's strict format: one think block, one non-empty answer block, nothing else."""
    return get_reward("format", prefilled=prefilled)


@register_preset("datawhale_countdown")
def datawhale_countdown(*, prefilled: bool = True, format_params: dict[str, Any] | None = None,
                        countdown_params: dict[str, Any] | None = None,
                        length_params: dict[str, Any] | None = None):
    """Datawhale "unlock-deepseek" countdown recipe: format + equation + thought length (weights 1/1/1).

    Source: datawhalechina/unlock-deepseek ``Datawhale-R1/train_Datawhale-R1.py`` (first
    version; itself built on philschmid's ``mini-deepseek-r1-aha-grpo.ipynb``), whose
    ``reward_funcs`` were ``[format_reward_func, equation_reward_func, thought_len_reward_func]``
    with TRL's default weights (all 1.0) and a chat template that prefills ``<think>``:

    * ``format_reward_func``: 1.0 when ``"<think>" + completion`` matches
      ``<think>...</think>\\n<answer>...</answer>`` (nothing before or after), else 0.0 ->
      ``format`` with ``prefilled=True, allow_empty_answer=True`` (whitespace between the
      blocks is not pinned to one newline; see ``_datawhale_format``).
    * ``equation_reward_func``: 1.0 when the ``<answer>`` equation uses each number exactly once
      and evaluates to the target, else 0.0 -> ``countdown`` with the binary scheme and
      ``allow_equals=False`` (the recipe's character whitelist rejects ``=``).
    * ``thought_len_reward_func``: 1.0 when the stripped think text is longer than 1000
      characters, else 0.0 -> ``thought_length`` with ``mode="step"``, ``threshold=1000``,
      ``unit="chars"``.

    Deliberate differences: equations are judged safely and exactly (see ``countdown``); the
    answer is the last block after ``</think>`` (the recipe took the first ``<answer>``
    anywhere); the think span may span several lines (the recipe's regex lacked ``re.DOTALL``,
    so a multi-line think scored 0, against its documented intent).

    Datawhale later removed ``thought_len_reward_func`` (it drove the model towards long,
    repetitive output). Use the hardened twin ``countdown_r1`` for training.
    """
    from rlvr.rewards.stack import RewardStack

    fmt = _datawhale_format(prefilled) if format_params is None else get_reward("format", **format_params)
    cd = _countdown("binary", allow_equals=False, **(countdown_params or {}))
    length = get_reward("thought_length", **{"mode": "step", "threshold": 1000, "unit": "chars",
                                             "prefilled": prefilled, **(length_params or {})})
    return RewardStack([(fmt, 1.0), (cd, 1.0), (length, 1.0)], name="datawhale_countdown")


@register_preset("countdown_r1")
def countdown_r1(*, prefilled: bool = True, scheme: str = "binary", countdown_weight: float = 1.0,
                 format_weight: float = 0.5, length_weight: float = 0.5, repetition_weight: float = 0.5,
                 length_target: int = 1000, repetition_gate: float = -0.5, ngram_size: int = 4,
                 format_params: dict[str, Any] | None = None, countdown_params: dict[str, Any] | None = None):
    """Hardened countdown recipe: format + countdown + gated thought length + repetition penalty.

    The twin of ``datawhale_countdown`` in which length cannot be farmed:

    * ``thought_length`` is a saturating ramp ``min(1, L / length_target)`` (tokens when
      ``completion_ids`` are passed, else characters) that counts **only when the equation is
      correct** and **only when the completion is not repetitive** (``repetition_penalty``
      value >= ``repetition_gate``); otherwise it is 0 with status ``skipped``.
    * ``repetition_penalty`` (``ngram_size``-grams, ``max_penalty=-1``) is also a weighted
      term of its own.

    A wrong answer, or a think block padded with one sentence repeated 1,000 times, earns
    nothing from length (``tests/test_countdown_presets.py`` shows the difference with
    ``datawhale_countdown``). Weights: countdown 1.0, format 0.5, length 0.5, repetition 0.5.
    """
    from rlvr.rewards.stack import Gated, RewardStack

    fmt = _r1_format(prefilled) if format_params is None else get_reward("format", **format_params)
    cd = _countdown(scheme, **(countdown_params or {}))
    rep = get_reward("repetition_penalty", ngram_size=ngram_size, max_penalty=-1.0)
    length = get_reward("thought_length", mode="ramp", target=length_target, prefilled=prefilled)
    gated = Gated(Gated(length, cd, threshold=COUNTDOWN_SCHEMES[scheme]["correct_score"]), rep,
                  threshold=repetition_gate, alias="thought_length_if_correct")
    return RewardStack([(cd, countdown_weight), (fmt, format_weight), (gated, length_weight),
                        (rep, repetition_weight)], name="countdown_r1")
