"""Format-family rewards: does the completion follow the think-then-answer layout?

Registered names (all tag-configurable through ``think_tag`` / ``answer_tag``, default
``think`` / ``answer``, or explicit ``think_open`` / ``think_close`` / ``answer_open`` /
``answer_close`` strings that override the derived ``<tag>`` / ``</tag>``):

=================== =======================================================================
``format``          1 block of thinking then 1 answer block, nothing else. ``layout`` picks
                    rlvr's strict ``flexible`` grammar (default) or an exact reproduction of
                    open-r1's / the GSM8K recipe's regexes. ``value`` when matched, else 0.0.
``format_approx``   Unsloth ``match_format_approximately``: +0.5 per tag occurring exactly
                    once, -1.0 per tag missing or repeated.
``think_format``    TRL ``think_format_reward``: starts with ``<think>``, no second ``<think>``,
                    a ``</think>`` somewhere; 1.0 else 0.0.
``tag_count``       open-r1 ``tag_count_reward``: 0.25 per line-tag marker present exactly once.
``xml_count``       GSM8K recipe ``count_xml``: 0.125 per marker present exactly once, minus
                    0.001 per character after the closing answer tag.
``reasoning_steps`` open-r1 ``reasoning_steps_reward``: ``min(1, cues / 3)`` with the
                    line-start bug fixed.
=================== =======================================================================

How to configure each known recipe:

============================== ===============================================================
Recipe                         rlvr rewards
============================== ===============================================================
open-r1 math (1/1/1)           ``format(layout="open_r1")``, ``tag_count()`` (+ accuracy)
GSM8K GRPO (willccbb)          ``xml_count(think_tag="reasoning")``,
                               ``format(layout="gsm8k_strict", think_tag="reasoning", value=0.5)``,
                               ``format(layout="gsm8k_soft", think_tag="reasoning", value=0.5)``
Unsloth Qwen3 GRPO notebook    ``format(think_open="<start_working_out>",
                               think_close="<end_working_out>", answer_open="<SOLUTION>",
                               answer_close="</SOLUTION>", prefilled=True, value=3.0,
                               eos_token=tokenizer.eos_token)`` and ``format_approx`` with the
                               same tag strings and ``prefilled=True``
TRL ``think_format_reward``    ``think_format()``
reasoning/answer tags          ``format(think_tag="reasoning")``
OpenThoughts / Bespoke         ``format(think_open="<|begin_of_thought|>",
                               think_close="<|end_of_thought|>",
                               answer_open="<|begin_of_solution|>",
                               answer_close="<|end_of_solution|>")``
============================== ===============================================================

Where rlvr deliberately differs from the originals (only in the defaults; the original
behaviour is one parameter away): ``format``'s default ``flexible`` layout rejects text after
the closing answer tag, repeated/nested blocks, tags quoted inside the other block and an
empty answer, all of which open-r1's regex accepts (open-r1 issues #359, #235); it accepts
any whitespace around the blocks, which open-r1 rejects. ``reasoning_steps`` counts numbered
lines at every line start (open-r1 only at the start of the text). Every reward accepts a
``prefilled`` switch for chat templates that already opened the think block (open-r1 #560).

Status: a matched layout scores ``value`` with status ``ok``; otherwise ``bad_format`` with a
``reason`` naming the rule that failed (``details["rule"]``). Scanners are linear
(:mod:`rlvr.verifiers.tags`): a 1 MB hostile completion costs milliseconds.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from rlvr.parsing import TagSpec
from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.registry import register
from rlvr.score import Score, Status
from rlvr.verifiers.tags import (
    matches_gsm8k_soft,
    matches_gsm8k_strict,
    matches_open_r1,
    matches_think_block,
    parse_think_answer,
    text_after_last,
)

__all__ = [
    "FormatApproxReward",
    "FormatReward",
    "ReasoningStepsReward",
    "TagCountReward",
    "ThinkFormatReward",
    "XmlCountReward",
]

_OK = Status.OK
_BAD = Status.BAD_FORMAT


# --------------------------------------------------------------------------- shared params
class TagParams(RewardParams):
    """Tag parameters shared by the whole format family."""

    think_tag: str = Field("think", description="Name of the reasoning tag: <think_tag>...</think_tag>.")
    answer_tag: str = Field("answer", description="Name of the answer tag: <answer_tag>...</answer_tag>.")
    think_open: str | None = Field(None, description="Exact opening reasoning tag (overrides <think_tag>), e.g. '<start_working_out>'.")
    think_close: str | None = Field(None, description="Exact closing reasoning tag (overrides </think_tag>), e.g. '<end_working_out>'.")
    answer_open: str | None = Field(None, description="Exact opening answer tag (overrides <answer_tag>), e.g. '<SOLUTION>'.")
    answer_close: str | None = Field(None, description="Exact closing answer tag (overrides </answer_tag>), e.g. '</SOLUTION>'.")
    prefilled: bool = Field(
        False,
        description="The chat template already emitted the opening reasoning tag: the completion starts inside "
        "the think block. The opening tag is then optional (accepted once at the very start, e.g. when the "
        "trainer prepends the prefill).",
    )

    @model_validator(mode="after")
    def _check_tags(self) -> TagParams:
        self.tag_spec()  # raises ValueError (reported as a config error) on unusable tags
        return self

    def tag_spec(self) -> TagSpec:
        return TagSpec.from_names(
            self.think_tag,
            self.answer_tag,
            think_open=self.think_open,
            think_close=self.think_close,
            answer_open=self.answer_open,
            answer_close=self.answer_close,
        )


class _TagReward(Reward):
    """Common setup: ``self.spec`` holds the four tag strings."""

    Params = TagParams
    spec: TagSpec

    def setup(self) -> None:
        self.spec = self.params.tag_spec()

    def tag_spec(self) -> TagSpec:
        return self.spec  # a parsed-out reasoning_content is rebuilt with these think tags


# --------------------------------------------------------------------------- format
Layout = Literal["flexible", "open_r1", "gsm8k_strict", "gsm8k_soft"]
_FLEXIBLE_ONLY = ("eos_token", "allow_empty_answer", "allow_empty_think", "allow_text_between")


class FormatParams(TagParams):
    layout: Layout = Field(
        "flexible",
        description="'flexible' (rlvr strict grammar, default), 'open_r1' (open-r1 format regex), "
        "'gsm8k_strict' / 'gsm8k_soft' (GSM8K GRPO recipe regexes, single-line blocks).",
    )
    value: float = Field(1.0, description="Score when the layout matches (Unsloth match_format_exactly: 3.0).")
    eos_token: str | None = Field(None, description="flexible: one EOS string allowed after the closing answer tag.")
    allow_empty_answer: bool = Field(False, description="flexible: accept an empty/whitespace answer block.")
    allow_empty_think: bool = Field(True, description="flexible: accept an empty/whitespace think block.")
    allow_text_between: bool = Field(
        False, description="flexible: accept text between the think block and the answer block (Unsloth's regex does)."
    )

    @model_validator(mode="after")
    def _check_layout_options(self) -> FormatParams:
        if self.layout != "flexible":
            given = [name for name in _FLEXIBLE_ONLY if name in self.model_fields_set]
            if given:
                raise ValueError(
                    f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} to layout='flexible'; layout={self.layout!r} reproduces "
                    "its recipe's regex exactly. Drop the option or use layout='flexible'."
                )
        return self


@register("format")
class FormatReward(_TagReward):
    """One think block then one answer block: ``value`` (1.0) when the layout holds, else 0.0.

    ``layout="flexible"`` (default; see :func:`rlvr.verifiers.tags.parse_think_answer`)::

        WS <think> ... </think> WS <answer> ... </answer> WS [eos_token] WS

    Each of the four tags exactly once and in order (repeated, nested or quoted tags fail);
    only whitespace before, between and after the blocks (``allow_text_between`` relaxes
    the middle; one ``eos_token`` string may end the text); a non-empty answer unless
    ``allow_empty_answer``; an empty think block is fine unless ``allow_empty_think=False``.
    ``prefilled=True``: the opening think tag may be absent (template already opened it) or
    present once at the start.

    Recipe layouts reproduce the originals exactly (same value on every input, linear time):

    * ``open_r1``: ``^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$`` with DOTALL and
      MULTILINE (accepts text after ``</answer>\\n`` and repeated blocks, needs the newlines).
    * ``gsm8k_strict``: ``^<reasoning>\\n.*?\\n</reasoning>\\n<answer>\\n.*?\\n</answer>\\n$``, no
      flags: one-line reasoning and one-line answer, trailing newline required.
    * ``gsm8k_soft``: ``re.match(r"<reasoning>.*?</reasoning>\\s*<answer>.*?</answer>")``, no
      flags: starts with the tag; each block's content on one line; anything may follow.

    (use ``think_tag="reasoning"`` for the GSM8K tag names). With ``prefilled=True`` a recipe
    layout reads a completion that lacks its opening marker (``<think>\\n`` for open_r1 /
    gsm8k_strict, ``<think>`` for gsm8k_soft) as if that marker were prepended.

    Scores: ``value`` / ``ok``; 0.0 / ``bad_format`` with ``details["rule"]`` (flexible:
    ``missing_tag``, ``repeated_tag``, ``wrong_order``, ``text_before``, ``text_between``,
    ``text_after``, ``empty_answer``, ``empty_think``; recipe layouts: ``no_match``).
    """

    Params = FormatParams

    def setup(self) -> None:
        super().setup()
        p = self.params
        self._layout = p.layout
        self._value = float(p.value)
        if p.layout == "flexible":
            self._matcher = None
        else:
            self._matcher = {"open_r1": matches_open_r1, "gsm8k_strict": matches_gsm8k_strict, "gsm8k_soft": matches_gsm8k_soft}[p.layout]
            self._head = self.spec.think_open + ("" if p.layout == "gsm8k_soft" else "\n")

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        p = self.params
        if self._matcher is None:
            check = parse_think_answer(
                text,
                self.spec,
                prefilled=p.prefilled,
                eos_token=p.eos_token,
                allow_empty_think=p.allow_empty_think,
                allow_empty_answer=p.allow_empty_answer,
                allow_text_between=p.allow_text_between,
            )
            if check.ok:
                return Score(self._value, _OK, "format ok", {"think": check.think, "answer": check.answer})
            return Score(0.0, _BAD, check.reason, {"rule": check.rule})
        if p.prefilled and not text.startswith(self._head):
            text = self._head + text
        if self._matcher(text, self.spec):
            return Score(self._value, _OK, f"matches the {self._layout} layout", {})
        return Score(0.0, _BAD, f"does not match the {self._layout} layout", {"rule": "no_match", "layout": self._layout})


# --------------------------------------------------------------------------- format_approx
class FormatApproxParams(TagParams):
    tags: list[str] | None = Field(
        None,
        description="Tags to count. Default: think_close, answer_open, answer_close, plus think_open unless prefilled.",
    )
    once_value: float = Field(0.5, description="Added for each tag that occurs exactly once.")
    otherwise_value: float = Field(-1.0, description="Added for each tag that is missing or repeated.")

    @model_validator(mode="after")
    def _check_tag_list(self) -> FormatApproxParams:
        if self.tags is not None and (not self.tags or any(not t for t in self.tags)):
            raise ValueError("tags must be a non-empty list of non-empty strings (or None to derive them)")
        return self


@register("format_approx")
class FormatApproxReward(_TagReward):
    """Unsloth match_format_approximately: +0.5 per tag occurring once, -1.0 per tag missing or repeated.

    Sum over the counted tags of ``once_value`` (+0.5) if the tag occurs exactly once, else
    ``otherwise_value`` (-1.0, missing or repeated).

    Counted tags: ``tags`` if given, else ``think_close``, ``answer_open``, ``answer_close``,
    plus ``think_open`` unless ``prefilled``. With Unsloth's tag strings and ``prefilled=True``
    this is exactly the notebook's reward (range -3.0 .. 1.5); with the default ``<think>``
    tags and no prefill the range is -4.0 .. 2.0. Occurrences are non-overlapping
    (``str.count``), as in the notebook. Status ``ok`` when every tag occurs once, else
    ``bad_format`` (the value still carries the partial credit) naming the failing tags.
    """

    Params = FormatApproxParams

    def setup(self) -> None:
        super().setup()
        p = self.params
        if p.tags is not None:
            self._tags = tuple(p.tags)
        else:
            s = self.spec
            self._tags = ((s.think_open,) if not p.prefilled else ()) + (s.think_close, s.answer_open, s.answer_close)

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        once, otherwise = self.params.once_value, self.params.otherwise_value
        total = 0.0
        bad: list[str] = []
        for tag in self._tags:
            n = text.count(tag)
            if n == 1:
                total += once
            else:
                total += otherwise
                bad.append(f"{tag!r} x{n}")
        if not bad:
            return Score(total, _OK, "every tag occurs once", {})
        return Score(total, _BAD, "not exactly once: " + ", ".join(bad), {"rule": "tag_count"})


# --------------------------------------------------------------------------- think_format
class ThinkFormatParams(TagParams):
    value: float = Field(1.0, description="Score when the think block is well formed.")
    require_answer: bool = Field(False, description="Also require non-whitespace text after the first closing think tag.")


@register("think_format")
class ThinkFormatReward(_TagReward):
    """TRL think_format_reward: 1.0 iff the text starts with <think>, has no second <think>, and closes it.

    ``value`` (1.0) iff the completion starts with ``<think>``, contains no second ``<think>``
    and contains ``</think>`` after it; else 0.0.

    Same result as TRL's ``re.match(r"^<think>(?!.*<think>)(.*?)</think>.*$", DOTALL|MULTILINE)``
    on every input (no leading whitespace allowed; an empty think block and an empty or
    missing answer pass; a repeated ``</think>`` passes, as in TRL). Extensions:
    ``prefilled=True`` also accepts a completion without the opening tag if it holds no
    opening tag and at least one closing tag; ``require_answer=True`` additionally needs
    non-whitespace text after the first closing tag. Answer tags are not used.
    Statuses: ``ok`` / ``bad_format`` (reason: which condition failed).
    """

    Params = ThinkFormatParams

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        to, tc = self.spec.think_open, self.spec.think_close
        p = self.params
        if matches_think_block(text, to, tc, prefilled=p.prefilled):
            if p.require_answer:
                end = text.find(tc) + len(tc)
                if not text[end:].strip():
                    return Score(0.0, _BAD, f"no answer after {tc!r}", {"rule": "empty_answer"})
            return Score(float(p.value), _OK, "think block ok", {})
        return Score(0.0, _BAD, self._why(text), {"rule": "no_match"})

    def _why(self, text: str) -> str:
        to, tc = self.spec.think_open, self.spec.think_close
        starts = text.startswith(to)
        if not starts and not self.params.prefilled:
            return f"does not start with {to!r}"
        if text.count(to) > (1 if starts else 0):
            return f"a second {to!r} (nested or repeated think blocks)"
        return f"no {tc!r} closing the think block"


# --------------------------------------------------------------------------- tag_count / xml_count
def _markers(spec: TagSpec) -> tuple[str, str, str, str]:
    return (spec.think_open + "\n", "\n" + spec.think_close + "\n", "\n" + spec.answer_open + "\n", "\n" + spec.answer_close)


class TagCountParams(TagParams):
    per_tag: float = Field(0.25, description="Credit for each marker present exactly once.")


@register("tag_count")
class TagCountReward(_TagReward):
    """open-r1 tag_count_reward: 0.25 for each of the four line-tag markers present exactly once.

    ``per_tag`` (0.25) for each of ``"<think>\\n"``,
    ``"\\n</think>\\n"``, ``"\\n<answer>\\n"``, ``"\\n</answer>"`` occurring exactly once
    (non-overlapping ``str.count``), so 0.0 .. 1.0.

    Same values as open-r1 (its order, trailing text and repeated other tags are not checked).
    ``prefilled=True``: the ``"<think>\\n"`` credit is also given when that marker is absent.
    Status ``ok`` at full credit, else ``bad_format`` listing the markers that failed.
    """

    Params = TagCountParams

    def setup(self) -> None:
        super().setup()
        self._markers = _markers(self.spec)

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        per = self.params.per_tag
        total = 0.0
        bad: list[str] = []
        for i, marker in enumerate(self._markers):
            n = text.count(marker)
            if n == 1 or (i == 0 and n == 0 and self.params.prefilled):
                total += per
            else:
                bad.append(f"{marker!r} x{n}")
        if not bad:
            return Score(total, _OK, "all markers once", {})
        return Score(total, _BAD, "not exactly once: " + ", ".join(bad), {"rule": "tag_count"})


class XmlCountParams(TagParams):
    per_tag: float = Field(0.125, description="Credit for each marker present exactly once.")
    trailing_penalty: float = Field(0.001, description="Subtracted per character after the closing answer tag.")


@register("xml_count")
class XmlCountReward(_TagReward):
    """GSM8K recipe count_xml: 0.125 per line-tag marker present once, minus 0.001 per trailing char.

    willccbb's ``count_xml``, with markers ``"<think>\\n"``,
    ``"\\n</think>\\n"``, ``"\\n<answer>\\n"``, ``"\\n</answer>"`` (``think_tag="reasoning"``
    gives the recipe's ``<reasoning>``):

    * +0.125 if ``"<think>\\n"`` occurs exactly once; +0.125 if ``"\\n</think>\\n"`` does;
    * if ``"\\n<answer>\\n"`` occurs exactly once: +0.125 and -0.001 x len(text after the last
      ``"\\n</answer>\\n"``; the whole text if there is none);
    * if ``"\\n</answer>"`` occurs exactly once: +0.125 and -0.001 x (len(text after the last
      ``"\\n</answer>"``) - 1), i.e. one trailing newline is free (no trailing text: +0.001).

    Exactly the original's values (``per_tag`` / ``trailing_penalty`` rescale the two
    constants); max 0.5 + 0.001, unbounded below for long trailing text (as the original;
    clamp with a stack weight/gate if needed). ``prefilled=True``: the first credit is also
    given when ``"<think>\\n"`` is absent. Status ``ok`` when all four markers occur once,
    else ``bad_format``.
    """

    Params = XmlCountParams

    def setup(self) -> None:
        super().setup()
        self._markers = _markers(self.spec)
        self._answer_end_nl = "\n" + self.spec.answer_close + "\n"

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        per, pen = self.params.per_tag, self.params.trailing_penalty
        think_open, think_close, answer_open, answer_close = self._markers
        total = 0.0
        bad: list[str] = []
        n = text.count(think_open)
        if n == 1 or (n == 0 and self.params.prefilled):
            total += per
        else:
            bad.append(f"{think_open!r} x{n}")
        n = text.count(think_close)
        if n == 1:
            total += per
        else:
            bad.append(f"{think_close!r} x{n}")
        n = text.count(answer_open)
        if n == 1:
            total += per
            total -= len(text_after_last(text, self._answer_end_nl)) * pen  # same float steps as the original
        else:
            bad.append(f"{answer_open!r} x{n}")
        n = text.count(answer_close)
        if n == 1:
            total += per
            total -= (len(text_after_last(text, answer_close)) - 1) * pen
        else:
            bad.append(f"{answer_close!r} x{n}")
        if not bad:
            return Score(total, _OK, "all markers once", {})
        return Score(total, _BAD, "not exactly once: " + ", ".join(bad), {"rule": "tag_count"})


# --------------------------------------------------------------------------- reasoning_steps
_DEFAULT_LITERALS = ("\n-", "\n*", "First,", "Second,", "Next,", "Finally,")
_STEP_N = re.compile(r"Step \d++:")  # possessive: same matches as open-r1's "Step \d+:", no backtracking
_NUMBERED_AFTER_NL = re.compile(r"\n\d++\.")  # a numbered line other than the first
_NUMBERED_START = re.compile(r"\d++\.")


def _collapse_blank_lines(text: str) -> str:
    """Drop empty lines (``"\n\n"`` -> ``"\n"``, repeatedly): they never start with a
    number, so numbered-line counts are unchanged, but the regex then has at most one
    candidate per non-empty line (a megabyte of newlines costs a few ``str.replace``)."""
    while "\n\n" in text:
        text = text.replace("\n\n\n\n", "\n").replace("\n\n", "\n")
    return text


def count_numbered_lines(text: str, limit: int) -> int:
    """Number of lines matching ``^\\d+\\.`` (MULTILINE), counting stops at ``limit``.

    Two exact strategies, picked by two cheap ``str.count``: when dots are rare, visit the
    first dot of each line that has one and test that the line up to it is all digits
    (``str.isdecimal`` is ``\\d``); otherwise one regex pass over ``"\\n" digits "."``. Both
    are linear; the choice keeps a hostile megabyte (newline- or digit-dense) in milliseconds.
    """
    count = 0
    if text.count(".") * 16 < text.count("\n"):
        dot = text.find(".")
        while dot != -1:
            start = text.rfind("\n", 0, dot) + 1
            if dot > start and text[start:dot].isdecimal():
                count += 1
                if count >= limit:
                    return count
            nl = text.find("\n", dot)
            if nl == -1:
                break
            dot = text.find(".", nl)
        return count
    if _NUMBERED_START.match(text):
        count += 1
    for _ in _NUMBERED_AFTER_NL.finditer(_collapse_blank_lines(text)):
        if count >= limit:
            break
        count += 1
    return count


class ReasoningStepsParams(RewardParams):
    cues: list[str] | None = Field(None, description="Step cues (regexes, or plain strings with literal=True). Default: open-r1's.")
    literal: bool = Field(False, description="Treat cues as plain strings, not regexes.")
    multiline: bool = Field(True, description="'^' matches at every line start (False: open-r1's bug, start of text only).")
    target_count: int = Field(3, ge=1, description="Number of cues for full credit.")
    value: float = Field(1.0, description="Full credit.")

    @model_validator(mode="after")
    def _check_cues(self) -> ReasoningStepsParams:
        if self.cues is not None:
            if not self.cues or any(not c for c in self.cues):
                raise ValueError("cues must be a non-empty list of non-empty strings (or None for open-r1's cues)")
            if not self.literal:
                for cue in self.cues:
                    try:
                        re.compile(cue)
                    except re.error as exc:
                        raise ValueError(f"cue {cue!r} is not a valid regex ({exc}); pass literal=True for plain strings") from None
        return self


@register("reasoning_steps")
class ReasoningStepsReward(Reward):
    """open-r1 reasoning_steps_reward: min(1, step cues / 3), numbered lines counted at every line start.

    ``value * min(1, count / target_count)`` where
    ``count`` is the number of non-overlapping matches of the step cues (default: ``Step N:``,
    a numbered line ``N.``, ``\\n-``, ``\\n*``, ``First,``, ``Second,``, ``Next,``,
    ``Finally,``; target 3: 0, 1/3, 2/3, 1.0).

    Deliberate difference: open-r1 compiles ``^\\d+\\.`` without MULTILINE so a numbered list
    only counts if it starts the text; here ``^`` matches at every line start
    (``multiline=False`` restores open-r1 exactly). Custom ``cues`` are combined into one
    alternation like open-r1's pattern (``literal=True`` escapes them); the default cues are
    counted one by one (same count: they can never overlap) for speed. Counting stops at
    ``target_count``. Status is always ``ok`` (``details["count"]``, capped at the target).
    """

    Params = ReasoningStepsParams

    def setup(self) -> None:
        p = self.params
        flags = re.MULTILINE if p.multiline else 0
        if p.cues is None:
            self._pattern = None
        else:
            parts = [re.escape(c) if p.literal else f"(?:{c})" for c in p.cues]
            self._pattern = re.compile("|".join(parts), flags)

    def _count_default(self, text: str, limit: int) -> int:
        count = 0
        for lit in _DEFAULT_LITERALS:
            pos = text.find(lit)
            while pos != -1:
                count += 1
                if count >= limit:
                    return count
                pos = text.find(lit, pos + len(lit))
        for _ in _STEP_N.finditer(text):
            count += 1
            if count >= limit:
                return count
        if self.params.multiline:
            return count + count_numbered_lines(text, limit - count)
        return count + (1 if _NUMBERED_START.match(text) else 0)

    def judge(self, sample: Sample) -> Score:
        text = sample.text
        target = self.params.target_count
        if self._pattern is None:
            count = self._count_default(text, target)
        else:
            count = 0
            for _ in self._pattern.finditer(text):
                count += 1
                if count >= target:
                    break
        value = self.params.value * min(1.0, count / target)
        return Score(value, _OK, f"{count} step cue(s)" + (" (target reached)" if count >= target else ""), {"count": count})
