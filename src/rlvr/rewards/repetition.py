"""The ``repetition_penalty`` reward: n-gram repetition (Yeo et al., arXiv 2502.03373, App. C.2).

``value = (1 - unique_ngrams / total_ngrams) * max_penalty``, in ``[max_penalty, 0]``; 0 when
the completion has fewer than ``ngram_size`` units. Same parameter names, defaults
(``ngram_size=3``, ``max_penalty=-1.0``) and values as TRL's ``get_repetition_penalty_reward``
on token ids, and as open-r1's on whitespace words.

Units (``details["unit"]``), with ``unit="auto"``:

* ``"tokens"``: ``completion_ids`` when the trainer passes them (language-agnostic; TRL's choice).
* otherwise text units: each CJK character (Han, kana, Hangul) is one unit and every other
  whitespace-separated run is one lower-cased word (``"words"`` / ``"chars+words"`` / ``"chars"``
  depending on what the text held). Whitespace splitting alone sees a Chinese paragraph as one
  "word" and never penalises it (open-r1's default); its jieba option needs a 43 MB
  dependency. Character n-grams of Chinese differ slightly from jieba-word n-grams
  (``"这个"x5``, n=2: -0.778 here, -0.75 with jieba).

``unit="tokens"`` (ids required; ``None`` without), ``"text"`` (always the text units) force
one source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import regex
from pydantic import Field, field_validator

from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.registry import register
from rlvr.score import Score, Status

__all__ = ["RepetitionPenaltyReward", "ngram_repetition", "text_units"]

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_UNITS = regex.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_HAS_CJK = regex.compile(rf"[{_CJK}]")


def text_units(text: str) -> tuple[list[str], str]:
    """Split text into repetition units: CJK characters and lower-cased words (see module doc)."""
    lowered = text.lower()
    if _HAS_CJK.search(lowered) is None:
        return lowered.split(), "words"
    units = _UNITS.findall(lowered)
    only_cjk = all(len(u) == 1 and _HAS_CJK.match(u) for u in units)
    return units, "chars" if only_cjk else "chars+words"


def ngram_repetition(units: Sequence[object], n: int) -> float:
    """``1 - unique/total`` over the n-grams of ``units``; 0.0 when there are fewer than n units."""
    total = len(units) - n + 1
    if total <= 0:
        return 0.0
    if n == 1:
        unique = len(set(units))
    else:
        unique = len(set(zip(*[units[i:] for i in range(n)])))
    return 1.0 - unique / total


class RepetitionPenaltyParams(RewardParams):
    ngram_size: int = Field(3, ge=1, description="n of the n-grams")
    max_penalty: float = Field(-1.0, description="value of a fully repetitive completion (<= 0)")
    unit: Literal["auto", "tokens", "text"] = Field(
        "auto", description="auto: completion_ids when passed, else CJK characters + words")

    @field_validator("max_penalty")
    @classmethod
    def _not_positive(cls, v: float) -> float:
        if v > 0:
            raise ValueError(f"max_penalty {v} should not be positive")
        return v


@register("repetition_penalty")
class RepetitionPenaltyReward(Reward):
    """N-gram repetition penalty: ``(1 - unique/total n-grams) * max_penalty`` (0 = no repetition).

    Counted on token ids when available, else on CJK characters / lower-cased words (module
    docstring). Fewer than ``ngram_size`` units -> 0.0. Values in ``[max_penalty, 0]``.
    """

    Params = RepetitionPenaltyParams
    params: RepetitionPenaltyParams

    def judge(self, sample: Sample) -> Score:
        p = self.params
        ids = sample.completion_ids
        if ids is not None and p.unit != "text":
            units: Sequence[object] = ids if isinstance(ids, list) else list(ids)
            unit = "tokens"
        elif p.unit == "tokens":
            return Score(None, Status.INVALID_INPUT, "unit='tokens' needs completion_ids")
        else:
            units, unit = text_units(sample.text)
        rate = ngram_repetition(units, p.ngram_size)
        value = rate * p.max_penalty if rate else 0.0
        return Score(value, Status.OK, "", {"unit": unit, "repeated_fraction": rate, "units": len(units)})
