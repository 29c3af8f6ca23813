"""``language_consistency``: DeepSeek-R1's reward, the proportion of target-language words in the CoT.

Scoring (value, status):

* ``proportion`` in [0, 1], ``ok``: target-language words / all words of the chain of thought,
  after removing code, LaTeX math, URLs and tags (see :mod:`rlvr.verifiers.language`). With
  ``threshold`` set: ``1.0`` when the proportion is at least ``threshold``, else ``0.0``.
* ``0.0``, ``ok``: the chain of thought is empty or has no countable word (only math, code,
  punctuation): skipping the reasoning earns nothing.
* ``0.0``, ``bad_format``: no think block and ``missing_think="zero"``.
* ``None``, ``invalid_input``: the target language cannot be known: the language column holds
  an unknown code, or ``language="auto"`` and the prompt has no word (and no
  ``fallback_language``); or the completion is unreadable.

Chain of thought: the ``<think>...</think>`` block(s) (tag name ``think_tag``) as
:func:`rlvr.parsing.split` finds them (:attr:`~rlvr.parsing.Split.chain_of_thought`): every
closed block, joined; a prefilled ``<think>`` (only ``</think>`` present) counts as a block; an
unterminated block counts as it stands (a cut-off chain of thought is still in some language).
Without any think tag, ``missing_think="whole"`` (default) measures the whole completion: this
reward measures language, and a separate format reward should judge the layout (a missing block
would otherwise be punished twice). ``scope="completion"`` always measures the whole completion.

Target language, first match wins: the ``language_column`` value of the sample (when the column
is configured and the value is non-empty; ``"auto"`` allowed), then ``language``. ``"auto"``
detects the prompt's language (last user message) with the same word counting.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, field_validator

from rlvr.completion import prompt_text
from rlvr.parsing import TagSpec, split
from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.registry import register
from rlvr.score import Score, Status
from rlvr.verifiers.language import (
    COT_SOURCES,
    DEFAULT_MAX_CHARS,
    LanguageMix,
    detect_text_language,
    measure_language_consistency,
)
from rlvr.verifiers.language_detect import LanguageDetector, check_detector_name, get_detector
from rlvr.verifiers.language_script import (
    AMBIGUOUS_SCRIPTS,
    normalize_language,
    script_of_language,
)

__all__ = ["LanguageConsistency"]

log = logging.getLogger("rlvr")

_UNKNOWN_HINT = "use an ISO 639-1 code such as 'en', 'zh', 'ja', 'es' (or 'auto' to detect it from the prompt)"


def _check_language(value: str | None, *, allow_auto: bool) -> str | None:
    if value is None:
        return None
    if allow_auto and value.strip().lower() == "auto":
        return "auto"
    if normalize_language(value) is None:
        raise ValueError(f"unknown language {value!r}: {_UNKNOWN_HINT}")
    return value


class LanguageConsistencyParams(RewardParams):
    language: str = Field(
        default="auto",
        description="Target language: an ISO 639-1 code ('zh', 'en', 'ja', 'es', ...; BCP-47 tags such as "
        "'zh-CN' accepted) or 'auto' to detect it from the prompt.",
    )
    language_column: str | None = Field(
        default=None,
        description="Dataset column holding each sample's target language; a non-empty value overrides `language`.",
    )
    fallback_language: str | None = Field(
        default=None,
        description="Target used when 'auto' finds no word in the prompt (None: the sample is not judged).",
    )
    think_tag: str = Field(default="think", min_length=1, description="Tag name of the reasoning block.")
    scope: Literal["think", "completion"] = Field(
        default="think", description="'think': the reasoning block; 'completion': the whole completion."
    )
    missing_think: Literal["whole", "zero"] = Field(
        default="whole",
        description="Without a think block: 'whole' measures the whole completion, 'zero' scores 0.0 (bad_format).",
    )
    detector: str = Field(
        default="auto",
        description="Per-sentence detector for targets in a shared script (Latin, Cyrillic, ...): 'auto' (py3langid "
        "or lingua if installed, else script counting only), 'py3langid', 'lingua', or 'none'.",
    )
    min_confidence: float = Field(
        default=0.9,
        ge=0.5,
        le=1.0,
        description="A sentence counts as another language only if the detector gives the target at most 1 - this.",
    )
    min_sentence_words: int = Field(default=3, ge=1, description="Shorter sentences are not passed to the detector.")
    cjk_char_weight: float = Field(
        default=0.6, gt=0.0, le=1.0, description="Words per Han/kana character (0.6 ~ a Chinese word segmenter)."
    )
    strip_code: bool = Field(default=True, description="Ignore fenced and inline code.")
    strip_math: bool = Field(default=True, description="Ignore LaTeX math (keeping \\text{...} prose).")
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="If set: 1.0 when the proportion >= threshold, else 0.0."
    )
    max_chars: int = Field(
        default=DEFAULT_MAX_CHARS, ge=1000, description="Longer texts are measured on their first and last halves."
    )

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return _check_language(value, allow_auto=True) or "auto"

    @field_validator("fallback_language")
    @classmethod
    def _fallback(cls, value: str | None) -> str | None:
        return _check_language(value, allow_auto=False)

    @field_validator("detector")
    @classmethod
    def _detector(cls, value: str) -> str:
        return check_detector_name(value)


@register("language_consistency")
class LanguageConsistency(Reward):
    """Proportion of target-language words in the chain of thought (DeepSeek-R1 language reward)."""

    Params = LanguageConsistencyParams
    params: LanguageConsistencyParams

    def setup(self) -> None:
        p = self.params
        self._language = "auto" if p.language == "auto" else normalize_language(p.language)
        self._fallback = normalize_language(p.fallback_language) if p.fallback_language else None
        if p.detector != "auto" and p.detector != "none":
            get_detector(p.detector)  # fail at construction when a named backend is missing
        self._warned_script_only = False
        self._tags = TagSpec.from_names(p.think_tag, None)

    def tag_spec(self) -> TagSpec:
        return self._tags

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.language_column,) if self.params.language_column else ()

    def _detector(self) -> LanguageDetector | None:
        # resolved per call (cached at module level) so the reward object stays picklable
        return get_detector(self.params.detector)

    def _target(self, sample: Sample) -> tuple[str | None, str]:
        """(normalised target or None, where it came from / why not)."""
        p = self.params
        wanted: object = self._language
        source = "parameter"
        if p.language_column:
            value = sample.fields.get(p.language_column)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                if not isinstance(value, str):
                    return None, f"column {p.language_column!r} holds {type(value).__name__} {value!r}, not a language code"
                if value.strip().lower() == "auto":
                    wanted = "auto"
                else:
                    code = normalize_language(value)
                    if code is None:
                        return None, f"column {p.language_column!r} holds unknown language {value!r}: {_UNKNOWN_HINT}"
                    return code, "column"
                source = "column"
        if wanted != "auto":
            return str(wanted), source
        detected = detect_text_language(
            prompt_text(sample.prompt), detector=self._detector(), cjk_char_weight=p.cjk_char_weight
        )
        if detected is not None:
            return detected, "prompt"
        if self._fallback is not None:
            return self._fallback, "fallback"
        return None, (
            "language='auto' but the prompt has no words to detect a language from "
            "(pass prompts, set fallback_language, or set language / language_column)"
        )

    def judge(self, sample: Sample) -> Score:
        p = self.params
        target, source = self._target(sample)
        if target is None:
            return Score(None, Status.INVALID_INPUT, source)
        if p.scope == "think":
            reasoning = split(sample.text, self._tags)
            cot, found = reasoning.chain_of_thought, COT_SOURCES[reasoning.how]
            if cot is None:
                if p.missing_think == "zero":
                    return Score(
                        0.0, Status.BAD_FORMAT, f"no <{p.think_tag}> block", {"target": target, "target_source": source}
                    )
                cot, found = sample.text, "whole completion (no think block)"
        else:
            cot, found = sample.text, "whole completion"
        detector = self._detector()
        if detector is None and target not in AMBIGUOUS_SCRIPTS and script_of_language(target) == "Latn":
            self._note_script_only(target)
        mix = measure_language_consistency(
            cot,
            target,
            detector=detector,
            cjk_char_weight=p.cjk_char_weight,
            min_confidence=p.min_confidence,
            min_sentence_words=p.min_sentence_words,
            strip_code=p.strip_code,
            strip_math=p.strip_math,
            max_chars=p.max_chars,
        )
        return self._score(mix, source, found)

    def _score(self, mix: LanguageMix, source: str, found: str) -> Score:
        details = {
            "target": mix.target,
            "target_source": source,
            "cot": found,
            "proportion": round(mix.proportion, 4),
            "words": round(mix.words, 2),
            "by_language": mix.by_language,
            "detector": mix.detector,
        }
        if mix.truncated:
            details["truncated"] = True
        if mix.words == 0:
            return Score(0.0, Status.OK, "chain of thought has no countable words (empty, or only math/code/punctuation)", details)
        value = mix.proportion
        if self.params.threshold is not None:
            value = 1.0 if mix.proportion >= self.params.threshold else 0.0
        return Score(value, Status.OK, f"{mix.proportion:.1%} of {mix.words:g} words in {mix.target!r}", details)

    def _note_script_only(self, target: str) -> None:
        if not self._warned_script_only:
            self._warned_script_only = True
            log.info(
                "rlvr language_consistency: no language detector installed; target %r is judged by script only "
                "(any Latin-script word counts as %r). pip install 'rlvr[lang]' to tell Latin-script languages apart.",
                target,
                target,
            )
