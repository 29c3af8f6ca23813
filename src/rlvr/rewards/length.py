"""Length rewards: ``thought_length``, ``cosine_length``, ``soft_overlong``, ``kimi_length``.

Units. Lengths are counted in **tokens** when the trainer passes ``completion_ids`` (TRL
always does), else in **characters**; ``Score.details["unit"]`` says which
(``"tokens"``, ``"tokens_estimated"`` or ``"chars"``). ``unit="chars"`` forces characters,
``unit="tokens"`` refuses to guess (``None``, status ``invalid_input``, when no ids are
available). Characters are language-biased: the same reasoning is ~3x fewer characters in
Chinese than in English.

Parameter names follow TRL's ``trl.rewards`` where TRL ships the same reward
(``get_cosine_scaled_reward``: ``max_len``, ``min_value_wrong``, ``max_value_wrong``,
``min_value_correct``, ``max_value_correct``; ``get_soft_overlong_punishment``:
``max_completion_len``, ``soft_punish_cache``) and the values match TRL's on its test cases.

The correctness that ``cosine_length`` and ``kimi_length`` need comes from an inner reward
(``accuracy="math_accuracy"`` by default, any registered reward name with
``accuracy_params``); it counts as correct when its value is ``>= correct_threshold``.
When it cannot judge a sample (``None``, e.g. unparseable gold), the length reward returns
``None`` too (TRL does the same; open-r1 scored it as correct).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from rlvr.parsing import Found, TagSpec, split
from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.composite import Composite
from rlvr.rewards.registry import get_reward, register
from rlvr.score import Score, Status

__all__ = [
    "CosineLengthReward",
    "KimiLengthReward",
    "SoftOverlongReward",
    "ThoughtLengthReward",
    "think_span",
]

Unit = Literal["auto", "tokens", "chars"]

def think_span(text: str, think_tag: str = "think", *, prefilled: bool = True) -> str | None:
    """The text of the first think block, or ``None`` when there is no closed one.

    The block ends at the first ``</think>``. It starts after a ``<think>`` that precedes it;
    with ``prefilled=True`` (the chat template opened the block) a missing opening tag means
    the block starts at the beginning of the completion. Not stripped.
    """
    return _first_think_block(text, TagSpec.from_names(think_tag, None, prefilled=prefilled))


def _first_think_block(text: str, tags: TagSpec) -> str | None:
    # the first closed reasoning block (rlvr.parsing.split); one without its opening tag counts
    # only when the template prefills that tag
    found = split(text, tags)
    if found.how is Found.CLOSED or (found.how is Found.PREFILLED and tags.prefilled):
        return found.reasoning_text
    return None


def _measure(text: str, ids: Sequence[int] | None, unit: str) -> tuple[int | None, str]:
    """Length of a whole completion: (length, unit name); (None, reason) when impossible."""
    if unit == "chars":
        return len(text), "chars"
    if ids is not None:
        return len(ids), "tokens"
    if unit == "tokens":
        return None, "unit='tokens' needs completion_ids (the trainer passes them; pass them to score())"
    return len(text), "chars"


# ============================================================================ thought_length

def prompt_group_key(prompt: Any) -> str:
    """The key that puts completions of the same prompt (a string or a chat message list) into one
    GRPO group; also used by :mod:`rlvr.adapters.ray` so its shards never split such a group."""
    if prompt is None or isinstance(prompt, str):
        return "p:" + (prompt or "")
    try:
        return "m:" + json.dumps(prompt, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return "r:" + repr(prompt)

class ThoughtLengthParams(RewardParams):
    mode: Literal["step", "ramp"] = Field("ramp", description="step: 1 if L > threshold else 0; ramp: min(1, L/target)")
    threshold: int = Field(1000, ge=0, description="step mode: the think span must be longer than this")
    target: int = Field(1000, ge=1, description="ramp mode: length at which the reward saturates at 1")
    unit: Unit = Field("auto", description="auto: tokens when possible (tokenizer / ids), else chars")
    think_tag: str = "think"
    prefilled: bool = Field(True, description="the opening <think> may be missing (the template prefilled it)")
    strip: bool = Field(True, description="strip surrounding whitespace from the think text before counting")
    tokenizer: str | None = Field(None, description="a Hugging Face tokenizer name/path: count think tokens exactly")
    think_end_token_id: int | None = Field(None, description="id of a one-token </think>: split completion_ids there")
    think_start_token_id: int | None = Field(None, description="id of a single-token <think> (excluded from the count)")


@register("thought_length")
class ThoughtLengthReward(Reward):
    """Length of the think span: step (``L > threshold`` -> 1 else 0) or ramp ``min(1, L/target)``.

    Values in [0, 1]; an empty think block, or no closed think block (status ``bad_format``),
    scores 0.0 (skipping the reasoning must never pay). How the think span is counted
    (``details["unit"]``):

    * ``tokenizer`` set: the stripped think text is re-tokenised (``add_special_tokens=False``):
      exact tokens (``"tokens"``).
    * ``think_end_token_id`` set and present in ``completion_ids``: the ids before it (after
      ``think_start_token_id`` when present) are counted: exact tokens (``"tokens"``).
    * ``completion_ids`` only: ``len(ids) * think_chars / completion_chars``, a proportional
      estimate (``"tokens_estimated"``; ids cover the whole completion, and tokens per character
      differ between reasoning and answer only slightly).
    * nothing (or ``unit="chars"``): characters (``"chars"``).

    With ``unit="tokens"`` and none of the token sources available: ``None`` (``invalid_input``).
    Pair it with correctness gating and a repetition guard (preset ``countdown_r1``): on its
    own it is satisfied by filler.
    """

    Params = ThoughtLengthParams
    params: ThoughtLengthParams

    def setup(self) -> None:
        self._tokenizer: Any = None
        self._tags = TagSpec.from_names(self.params.think_tag, None, prefilled=self.params.prefilled)

    def tag_spec(self) -> TagSpec:
        return self._tags

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tokenizer"] = None  # reloaded lazily in the worker
        return state

    def _tok(self) -> Any:
        if self._tokenizer is None:
            from transformers import AutoTokenizer  # heavy: only when a tokenizer is configured

            self._tokenizer = AutoTokenizer.from_pretrained(self.params.tokenizer)
        return self._tokenizer

    def _length(self, sample: Sample, span: str) -> tuple[int | None, str]:
        p = self.params
        if p.unit == "chars":
            return len(span), "chars"
        if p.tokenizer is not None:
            return len(self._tok().encode(span, add_special_tokens=False)), "tokens"
        ids = sample.completion_ids
        if ids is not None:
            if p.think_end_token_id is not None:
                end = _index(ids, p.think_end_token_id)
                if end is not None:
                    begin = 0
                    if p.think_start_token_id is not None:
                        start = _index(ids, p.think_start_token_id, 0, end)
                        if start is not None:
                            begin = start + 1
                    return end - begin, "tokens"
            text_len = len(sample.text)
            if not span or not text_len:
                return 0, "tokens_estimated"
            return max(1, round(len(ids) * len(span) / text_len)), "tokens_estimated"
        if p.unit == "tokens":
            return None, "unit='tokens' needs completion_ids, a tokenizer, or unit='auto'/'chars'"
        return len(span), "chars"

    def judge(self, sample: Sample) -> Score:
        p = self.params
        span = _first_think_block(sample.text, self._tags)
        if span is None:
            return Score(0.0, Status.BAD_FORMAT, f"no closed <{p.think_tag}> block", {"length": 0})
        if p.strip:
            span = span.strip()
        if not span:
            return Score(0.0, Status.OK, "empty think block", {"length": 0})
        length, unit = self._length(sample, span)
        if length is None:
            return Score(None, Status.INVALID_INPUT, unit)
        if p.mode == "step":
            value = 1.0 if length > p.threshold else 0.0
        else:
            value = min(1.0, length / p.target)
        return Score(value, Status.OK, "", {"length": length, "unit": unit})


def _index(ids: Sequence[int], token: int, start: int = 0, stop: int | None = None) -> int | None:
    try:
        if stop is None:
            return list(ids).index(token, start) if not isinstance(ids, list) else ids.index(token, start)
        return (ids if isinstance(ids, list) else list(ids)).index(token, start, stop)
    except ValueError:
        return None


# ============================================================================ soft_overlong
class SoftOverlongParams(RewardParams):
    max_completion_len: int = Field(16384, ge=1, description="L_max: the trainer's max_completion_length")
    soft_punish_cache: int = Field(4096, ge=0, description="L_cache: the penalty ramps over the last this-many tokens")
    unit: Unit = Field("auto", description="tokens from completion_ids; chars when there are none (or forced)")

    @model_validator(mode="after")
    def _cache_fits(self) -> SoftOverlongParams:
        if self.soft_punish_cache > self.max_completion_len:
            raise ValueError(f"soft_punish_cache ({self.soft_punish_cache}) must be <= max_completion_len "
                             f"({self.max_completion_len})")
        return self


@register("soft_overlong")
class SoftOverlongReward(Reward):
    """DAPO soft overlong punishment (arXiv 2503.14476, Eq. 13). Values in [-1, 0].

    With ``L`` the completion length, ``L_max = max_completion_len``, ``C = soft_punish_cache``:
    0 when ``L <= L_max - C``; ``(L_max - C - L) / C`` when ``L_max - C < L <= L_max``; -1 when
    ``L > L_max``. Same names, defaults (open-r1: 16384 / 4096) and values as TRL's
    ``get_soft_overlong_punishment``. Generation is truncated at ``max_completion_length``, so set
    ``max_completion_len`` to it: a truncated completion then scores exactly -1.
    """

    Params = SoftOverlongParams
    params: SoftOverlongParams

    def judge(self, sample: Sample) -> Score:
        p = self.params
        length, unit = _measure(sample.text, sample.completion_ids, p.unit)
        if length is None:
            return Score(None, Status.INVALID_INPUT, unit)
        free = p.max_completion_len - p.soft_punish_cache
        if length <= free:
            value = 0.0
        elif length <= p.max_completion_len:
            value = (free - length) / p.soft_punish_cache
        else:
            value = -1.0
        return Score(value, Status.OK, "", {"length": length, "unit": unit})


# ============================================================================ accuracy-shaped
class _AccuracyShapedParams(RewardParams):
    accuracy: str = Field("math_accuracy", description="registered reward deciding correctness")
    accuracy_params: dict[str, Any] = Field(default_factory=dict, description="parameters of the accuracy reward")
    correct_threshold: float = Field(1.0, description="accuracy value counted as correct (>=)")
    unit: Unit = Field("auto", description="tokens from completion_ids; chars when there are none (or forced)")


class _AccuracyShaped(Composite, Reward):
    """A length reward whose sign/range depends on an inner correctness reward (its one child).

    Subclasses implement :meth:`shape` (one sample, given the inner score) or, when the batch
    matters, :meth:`shape_batch`."""

    params: _AccuracyShapedParams

    def setup(self) -> None:
        p = self.params
        if p.accuracy == self.name:
            raise ValueError(f"{self.name}: accuracy must name a correctness reward, not {self.name!r} itself")
        inner = get_reward(p.accuracy, **p.accuracy_params)
        if not isinstance(inner, Reward):
            raise ValueError(f"{self.name}: accuracy={p.accuracy!r} must name a reward, not a preset")
        self.accuracy_reward = inner

    def children(self) -> tuple[Any, ...]:
        return (self.accuracy_reward,)

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        (inner,) = self.score_children(samples)
        return self.shape_batch(samples, inner)

    def shape_batch(self, samples: list[Sample], inner: list[Score]) -> list[Score]:
        """One score per sample, given the accuracy reward's score of each."""
        return [self.shape(s, acc) for s, acc in zip(samples, inner)]

    def shape(self, sample: Sample, inner: Score) -> Score:
        raise NotImplementedError

    def _correctness(self, inner: Score) -> bool | None:
        return None if inner.value is None else inner.value >= self.params.correct_threshold

    @staticmethod
    def _unjudged(inner: Score) -> Score:
        return Score(None, inner.status, f"accuracy could not judge: {inner.reason}", {"accuracy": inner.to_dict()})


# ============================================================================ cosine_length
class CosineLengthParams(_AccuracyShapedParams):
    max_len: int = Field(1000, ge=1, description="L_max: set it to the trainer's max_completion_length (tokens)")
    min_value_wrong: float = Field(-1.0, description="wrong answers: value at length 0")
    max_value_wrong: float = Field(-0.5, description="wrong answers: value at length >= max_len")
    min_value_correct: float = Field(0.5, description="correct answers: value at length >= max_len")
    max_value_correct: float = Field(1.0, description="correct answers: value at length 0")
    exceed_length: float | None = Field(None, description="if set: value of any completion with length >= max_len")


@register("cosine_length")
class CosineLengthReward(_AccuracyShaped):
    """Cosine-scaled length reward (Yeo et al., arXiv 2502.03373): short correct answers earn most,
    long wrong answers are punished least.

    ``p = min(L / max_len, 1)`` (clamped: open-r1's unclamped version wraps around and pays a
    correct 2x-max_len answer the full 1.0); ``r = lo + (hi - lo) * (1 + cos(pi * p)) / 2`` with
    ``(lo, hi) = (min_value_correct, max_value_correct)`` when correct and
    ``(max_value_wrong, min_value_wrong)`` when wrong. So correct answers go 1.0 -> 0.5 and wrong
    ones -1.0 -> -0.5 as ``L`` goes 0 -> max_len (TRL's defaults and values; the paper's runs used
    correct 2 -> 1, wrong -10 -> 0, ``exceed_length=-10``). ``exceed_length`` replaces the value
    for ``L >= max_len`` when set. ``None`` when the accuracy reward cannot judge.
    """

    Params = CosineLengthParams
    params: CosineLengthParams

    def shape(self, sample: Sample, inner: Score) -> Score:
        p = self.params
        correct = self._correctness(inner)
        if correct is None:
            return self._unjudged(inner)
        length, unit = _measure(sample.text, sample.completion_ids, p.unit)
        if length is None:
            return Score(None, Status.INVALID_INPUT, unit)
        details = {"length": length, "unit": unit, "correct": correct}
        if p.exceed_length is not None and length >= p.max_len:
            return Score(p.exceed_length, Status.OK, "length reached max_len", details)
        progress = min(length / p.max_len, 1.0)
        lo, hi = ((p.min_value_correct, p.max_value_correct) if correct
                  else (p.max_value_wrong, p.min_value_wrong))
        value = lo + 0.5 * (hi - lo) * (1.0 + math.cos(math.pi * progress))
        return Score(value, Status.OK, "", details)


# ============================================================================ kimi_length
class KimiLengthParams(_AccuracyShapedParams):
    group_by: Literal["auto", "prompt", "column"] = Field(
        "auto", description="auto: group_column when the batch has it, else the prompt")
    group_column: str = Field("group_id", description="column identifying the samples of one prompt")
    expected_group_size: int | None = Field(None, ge=1, description="GRPO num_generations; flags partial groups")
    partial_groups: Literal["score", "none"] = Field(
        "score", description="groups smaller than expected_group_size: score what is present, or return None")


@register("kimi_length")
class KimiLengthReward(_AccuracyShaped):
    """Kimi k1.5 group-relative length reward (arXiv 2501.12599, §2.3.3). Values in [-0.5, 0.5].

    Within one group (the samples of one prompt), with ``min_len``/``max_len`` over the group:
    ``lam = 0.5 - (len - min_len) / (max_len - min_len)``; correct -> ``lam``, wrong ->
    ``min(0, lam)``; all lengths equal -> 0 for everyone. Lengths in tokens (chars without ids).

    Groups are never the whole batch (open-r1's bug): samples are grouped by the
    ``group_column`` value when the batch carries that column (``group_by="auto"`` or
    ``"column"``), else by the prompt (its exact text; chat prompts by their full message list).
    Without prompts or a group column the call is one group.

    **Partial groups**: TRL spreads a prompt's generations over ranks and calls reward functions
    per rank, so a call may hold only part of a group; min/max are then over the samples present
    (``details["group_size"]``). With ``expected_group_size`` set, a smaller group is flagged
    (``details["partial_group"]``) and, with ``partial_groups="none"``, scored ``None``
    (status ``skipped``) instead. A group of one always scores 0.
    """

    Params = KimiLengthParams
    params: KimiLengthParams

    def required_columns(self) -> tuple[str, ...]:
        cols = super().required_columns()
        return cols + (self.params.group_column,) if self.params.group_by == "column" else cols

    def _group_key(self, sample: Sample, use_column: bool) -> str:
        if use_column:
            return "c:" + repr(sample.fields.get(self.params.group_column))
        return prompt_group_key(sample.prompt)

    def shape_batch(self, samples: list[Sample], inner: list[Score]) -> list[Score]:
        p = self.params
        has_column = bool(samples) and p.group_column in samples[0].fields
        use_column = p.group_by == "column" or (p.group_by == "auto" and has_column)
        lengths: list[int | None] = []
        units: list[str] = []
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(samples):
            length, unit = _measure(s.text, s.completion_ids, p.unit)
            lengths.append(length)
            units.append(unit)
            groups.setdefault(self._group_key(s, use_column), []).append(i)
        out: list[Score | None] = [None] * len(samples)
        for members in groups.values():
            known = [lengths[i] for i in members if lengths[i] is not None]
            lo, hi = (min(known), max(known)) if known else (0, 0)
            partial = p.expected_group_size is not None and len(members) < p.expected_group_size
            for i in members:
                length = lengths[i]
                if length is None:
                    out[i] = Score(None, Status.INVALID_INPUT, units[i])
                    continue
                details: dict[str, Any] = {"length": length, "unit": units[i], "group_size": len(members),
                                           "group_min": lo, "group_max": hi}
                if partial:
                    details["partial_group"] = True
                correct = self._correctness(inner[i])
                if correct is None:
                    out[i] = self._unjudged(inner[i])
                    continue
                details["correct"] = correct
                if partial and p.partial_groups == "none":
                    out[i] = Score(None, Status.SKIPPED,
                                   f"only {len(members)} of {p.expected_group_size} group members in this call",
                                   details)
                    continue
                lam = 0.0 if hi == lo else 0.5 - (length - lo) / (hi - lo)
                out[i] = Score(lam if correct else min(0.0, lam), Status.OK, "", details)
        return out  # type: ignore[return-value]
