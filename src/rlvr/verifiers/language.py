"""Language consistency of a chain of thought: the proportion of target-language words.

DeepSeek-R1 (arXiv 2501.12948, section 2.3.2) adds a reward "calculated as the proportion of
target language words in the CoT". This module measures that proportion:

1. :func:`extract_chain_of_thought` takes the think block out of a completion;
2. :func:`~rlvr.verifiers.language_strip.strip_non_prose` removes code, math, URLs, tags;
3. :func:`~rlvr.verifiers.language_script.tally_sentences` counts words per sentence by script
   (Han characters weighted 0.6 word each, kana rule for Japanese);
4. for a target written in a shared script (Latin, Cyrillic, Arabic, Devanagari), an optional
   detector (:mod:`rlvr.verifiers.language_detect`) re-labels a sentence of at least
   ``min_sentence_words`` words as another language only when it is confident: the probability
   it gives the target is at most ``1 - min_confidence``. Without a detector those words count
   as the target (script only: Spanish words in an English-target chain of thought are not seen).

The proportion is ``target words / all words``. A text with no countable word (empty, or only
math, code and punctuation) has proportion ``0.0`` and ``words == 0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rlvr.parsing import Found, TagSpec, split
from rlvr.verifiers.language_detect import LanguageDetector
from rlvr.verifiers.language_script import (
    AMBIGUOUS_SCRIPTS,
    script_of_language,
    tally_sentences,
)
from rlvr.verifiers.language_strip import strip_non_prose

__all__ = [
    "LanguageMix",
    "detect_text_language",
    "extract_chain_of_thought",
    "measure_language_consistency",
]

#: Longest text measured in full; longer texts are measured on their first and last halves of this.
DEFAULT_MAX_CHARS = 200_000
#: Words of a prompt passed to the detector to identify its language.
_PROMPT_DETECT_WORDS = 400
#: Most distinct sentences passed to the detector per text (bounds the cost of hostile input);
#: later sentences count by script only.
MAX_DETECTOR_CALLS = 4000


@dataclass(frozen=True, slots=True)
class LanguageMix:
    """The outcome of measuring one text against one target.

    Attributes:
        target: the target (ISO 639-1 code, or a script code such as ``"Latn"``).
        proportion: target words / all words, in [0, 1]; ``0.0`` when ``words == 0``.
        words: total word weight counted (Han and kana characters count 0.6 by default).
        by_language: word weight per label (language code, or script code for words of a shared
            script that were not attributed to a language; ``"und"`` for unknown scripts).
        detector: name of the detector used, or ``None`` for script counting only.
        detector_calls: sentences passed to the detector (distinct ones, at most
            :data:`MAX_DETECTOR_CALLS`; further sentences count by script only).
        truncated: the text was longer than ``max_chars`` and only its two ends were measured.
    """

    target: str
    proportion: float
    words: float
    by_language: dict[str, float] = field(default_factory=dict)
    detector: str | None = None
    detector_calls: int = 0
    truncated: bool = False


def extract_chain_of_thought(text: str, tag: str = "think") -> tuple[str | None, str]:
    """The chain of thought of a completion and how it was found.

    Returns ``(cot, how)``:

    * ``"think"``: the text of every complete ``<tag>...</tag>`` block, joined by newlines;
    * ``"prefilled"``: no opening tag before the first ``</tag>`` (the chat template put
      ``<tag>`` in the prompt): the text before ``</tag>``;
    * ``"unterminated"``: ``<tag>`` without a closing tag (generation cut off): everything after it;
    * ``"none"``: no tag at all; ``cot`` is ``None``.

    The blocks are those of :func:`rlvr.parsing.split` (a prefilled first block is followed by
    any later complete blocks too).
    """
    found = split(text, TagSpec.from_names(tag, None))
    return found.chain_of_thought, COT_SOURCES[found.how]


#: ``details["cot"]`` label of each way :func:`rlvr.parsing.split` finds the reasoning.
COT_SOURCES = {Found.CLOSED: "think", Found.PREFILLED: "prefilled", Found.UNCLOSED: "unterminated", Found.NONE: "none"}


def _bounded(text: str, max_chars: int) -> tuple[str, bool]:
    if len(text) <= max_chars:
        return text, False
    half = max_chars // 2
    return text[:half] + "\n" + text[-half:], True


def measure_language_consistency(
    text: str,
    target: str,
    *,
    detector: LanguageDetector | None = None,
    cjk_char_weight: float = 0.6,
    min_confidence: float = 0.9,
    min_sentence_words: int = 3,
    strip_code: bool = True,
    strip_math: bool = True,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> LanguageMix:
    """Proportion of ``target`` words in ``text`` (see the module docstring).

    Args:
        text: the chain of thought (any string).
        target: a normalised target, see :func:`~rlvr.verifiers.language_script.normalize_language`.
        detector: used only for sentences written in the target's script when that script is
            shared by several languages; ``None``: script counting only.
        cjk_char_weight: words per Han or kana character.
        min_confidence: a sentence is re-labelled only when the detector gives the target a
            probability of at most ``1 - min_confidence``.
        min_sentence_words: shorter sentences are never passed to the detector (they count as
            the target when written in its script).
        strip_code, strip_math: remove code / math before counting.
        max_chars: longer texts are measured on their first and last ``max_chars // 2`` characters.
    """
    text, truncated = _bounded(text, max_chars)
    prose = strip_non_prose(text, code=strip_code, math=strip_math)
    target_script = script_of_language(target)
    use_detector = detector is not None and target not in AMBIGUOUS_SCRIPTS and target_script in AMBIGUOUS_SCRIPTS
    gate = 1.0 - min_confidence
    totals: dict[str, float] = {}
    calls = 0
    seen: dict[str, str] = {}  # joined words -> label (a looping chain of thought repeats sentences)
    for tally in tally_sentences(prose, cjk_char_weight=cjk_char_weight):
        weights = tally.weights
        own = weights.pop(target_script, 0.0) if target_script in AMBIGUOUS_SCRIPTS else 0.0
        if own:
            label = target
            words = tally.script_words.get(target_script, ())
            if use_detector and len(words) >= min_sentence_words:
                key = " ".join(words)
                cached = seen.get(key)
                if cached is not None:
                    label = cached
                elif calls < MAX_DETECTOR_CALLS:
                    calls += 1
                    probs = detector.probabilities(key)  # type: ignore[union-attr]
                    if probs.get(target, 0.0) <= gate:
                        others = [(p, code) for code, p in probs.items() if code != target]
                        label = max(others)[1] if others else target_script
                    seen[key] = label
            weights[label] = weights.get(label, 0.0) + own
        for label, weight in weights.items():
            totals[label] = totals.get(label, 0.0) + weight
    total = sum(totals.values())
    proportion = totals.get(target, 0.0) / total if total > 0 else 0.0
    return LanguageMix(
        target=target,
        proportion=min(1.0, max(0.0, proportion)),
        words=total,
        by_language={k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])},
        detector=detector.name if use_detector else None,  # type: ignore[union-attr]
        detector_calls=calls,
        truncated=truncated,
    )


def detect_text_language(
    text: str,
    *,
    detector: LanguageDetector | None = None,
    cjk_char_weight: float = 0.6,
    min_probability: float = 0.5,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str | None:
    """The dominant language of ``text`` (a prompt), measured like a chain of thought.

    Returns the label with the most words after stripping math and code: a language code for a
    script of one language (``"zh"``, ``"ja"``, ``"ko"``, ``"el"``), or, for a shared script, the
    language the detector gives with probability at least ``min_probability`` (``"es"``, ``"ru"``). Without a detector, or when it is unsure, a shared script gives its script code
    (``"Latn"``, ``"Cyrl"``, ``"Arab"``, ``"Deva"``), a target meaning "any language of this
    script". ``None`` when the text has no countable word.
    """
    text, _ = _bounded(text, max_chars)
    totals: dict[str, float] = {}
    words_by_script: dict[str, list[str]] = {}
    for tally in tally_sentences(strip_non_prose(text), cjk_char_weight=cjk_char_weight):
        for label, weight in tally.weights.items():
            totals[label] = totals.get(label, 0.0) + weight
        for script, words in tally.script_words.items():
            bucket = words_by_script.setdefault(script, [])
            if len(bucket) < _PROMPT_DETECT_WORDS:
                bucket.extend(words[: _PROMPT_DETECT_WORDS - len(bucket)])
    totals.pop("und", None)
    if not totals:
        return None
    best = max(totals.items(), key=lambda kv: kv[1])[0]
    if best in AMBIGUOUS_SCRIPTS and detector is not None:
        probs = detector.probabilities(" ".join(words_by_script.get(best, ())))
        if probs:
            code, p = max(probs.items(), key=lambda kv: kv[1])
            if p >= min_probability and script_of_language(code) == best:
                return code
    return best
