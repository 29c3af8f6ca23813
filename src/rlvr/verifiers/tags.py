"""Tag-grammar scanners: where the think block and the answer block of a completion are,
or precisely why the completion does not follow a layout.

Everything here is pure, linear-time string scanning (``str.find`` / ``str.count`` / one
non-backtracking ``\\s*`` regex): a megabyte of repeated or unbalanced tags is scanned in
milliseconds, unlike the lazy ``.*?`` DOTALL regexes of the original recipes, which go
quadratic on such input.

* :class:`~rlvr.parsing.TagSpec` (defined in :mod:`rlvr.parsing`, re-exported here) - the
  four tag strings of a think/answer layout (``<think>``, ``</think>``, ``<answer>``,
  ``</answer>`` by default; any strings, e.g. Unsloth's ``<start_working_out>`` /
  ``<end_working_out>`` / ``<SOLUTION>`` / ``</SOLUTION>``). Where the reasoning and the answer
  of a completion are, for judging its content, is :func:`rlvr.parsing.split`'s job; this
  module only judges whether a completion follows a layout exactly.
* :func:`parse_think_answer` - rlvr's strict ("flexible") layout: returns the think and answer
  spans, or the rule that failed and a human-readable reason.
* :func:`matches_open_r1`, :func:`matches_gsm8k_strict`, :func:`matches_gsm8k_soft`,
  :func:`matches_think_block` - exact, linear re-implementations of the recipes' regexes
  (open-r1 ``format``, willccbb's GSM8K ``strict_format`` / ``soft_format``, TRL
  ``think_format_reward``), generalised to any tag strings. With the default tags each gives
  the same answer as the original regex on every input (property-tested against it).
* :func:`count_greedy` / :func:`text_after_last` - ``str.count`` and an exact, linear
  equivalent of ``text.split(sep)[-1]``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rlvr.parsing import TagSpec

__all__ = [
    "EMPTY_ANSWER",
    "EMPTY_THINK",
    "MISSING_TAG",
    "REPEATED_TAG",
    "TEXT_AFTER",
    "TEXT_BEFORE",
    "TEXT_BETWEEN",
    "WRONG_ORDER",
    "LayoutCheck",
    "TagSpec",
    "matches_gsm8k_soft",
    "matches_gsm8k_strict",
    "matches_open_r1",
    "matches_think_block",
    "parse_think_answer",
    "text_after_last",
]

# Rule names reported when a completion breaks the flexible layout (``LayoutCheck.rule``).
MISSING_TAG = "missing_tag"  #: a required tag does not occur
REPEATED_TAG = "repeated_tag"  #: a tag occurs more than once (repeated or nested blocks)
WRONG_ORDER = "wrong_order"  #: the tags occur, but not as open-think < close-think < open-answer < close-answer
TEXT_BEFORE = "text_before"  #: non-whitespace text before the opening think tag
TEXT_BETWEEN = "text_between"  #: non-whitespace text between the think block and the answer block
TEXT_AFTER = "text_after"  #: non-whitespace text (other than one EOS string) after the closing answer tag
EMPTY_THINK = "empty_think"  #: the think block is empty or whitespace (only when empty thinking is refused)
EMPTY_ANSWER = "empty_answer"  #: the answer block is empty or whitespace (only when empty answers are refused)

_WS = re.compile(r"\s*")  # possessive in effect: nothing follows it inside this pattern
_HAS_WS = re.compile(r"\s")


@dataclass(slots=True)
class LayoutCheck:
    """Outcome of :func:`parse_think_answer`.

    ``ok`` is True when the layout holds; then ``think`` and ``answer`` are the
    ``(start, end)`` character spans of the block *contents* (tags excluded). Otherwise
    ``rule`` is one of the rule constants of this module and ``reason`` says exactly what is
    wrong (which tag, how many times, where). ``think`` is ``(0, k)`` when the completion
    started inside a prefilled think block.
    """

    ok: bool
    rule: str = ""
    reason: str = ""
    think: tuple[int, int] | None = None
    answer: tuple[int, int] | None = None


def _is_blank(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is empty or only whitespace (no copy for long spans
    unless needed: one ``\\s*`` match from ``start``)."""
    if start >= end:
        return True
    if end - start <= 256:
        return text[start:end].isspace()
    return _WS.match(text, start, end).end() == end


def _fail(rule: str, reason: str) -> LayoutCheck:
    return LayoutCheck(False, rule, reason)


def parse_think_answer(
    text: str,
    spec: TagSpec = TagSpec(),
    *,
    prefilled: bool = False,
    eos_token: str | None = None,
    allow_empty_think: bool = True,
    allow_empty_answer: bool = False,
    allow_text_between: bool = False,
) -> LayoutCheck:
    """Check rlvr's strict think-then-answer layout and locate both blocks.

    The layout (``WS`` = optional whitespace)::

        WS think_open THINK think_close WS answer_open ANSWER answer_close WS [eos_token] WS

    Rules, checked in this order (the first failure is reported):

    1. each of the four tags occurs **exactly once** (``missing_tag`` / ``repeated_tag``;
       repeated blocks, nested blocks and tags quoted inside the other block all fail here).
       With ``prefilled=True`` the opening think tag may be absent (the chat template already
       emitted it, so the completion starts inside the think block); if present it must
       still be unique and first.
    2. the tags are in order think_open < think_close < answer_open < answer_close
       (``wrong_order``);
    3. only whitespace before think_open (``text_before``), between think_close and
       answer_open (``text_between``, unless ``allow_text_between``), and after
       answer_close, where one ``eos_token`` string is also allowed (``text_after``);
    4. a whitespace-only answer fails unless ``allow_empty_answer`` (``empty_answer``); a
       whitespace-only think block fails only if ``allow_empty_think`` is False
       (``empty_think``).

    Linear time: each tag is located with two ``str.find`` (the second proves it is unique),
    then a few whitespace checks.
    """
    to, tc, ao, ac = spec.tags
    scanner = _tag_scanner(spec) if len(text) <= _FAST_SCAN_MAX else None
    if scanner is not None:
        # fast path: one C-level pass lists every tag occurrence in order; if that is exactly
        # the expected sequence, the uniqueness and order rules hold (bracketed tags cannot
        # hide occurrences inside each other), so only the positions are needed
        seq = scanner.findall(text)
        if seq == [to, tc, ao, ac]:
            p_to = text.find(to)
            p_tc = text.find(tc, p_to + len(to))
        elif prefilled and seq == [tc, ao, ac]:
            p_to, p_tc = -1, text.find(tc)
        else:
            scanner = None  # fall back to the precise scan, which names the failed rule
        if scanner is not None:
            p_ao = text.find(ao, p_tc + len(tc))
            p_ac = text.find(ac, p_ao + len(ao))
            return _check_layout(text, spec, p_to, p_tc, p_ao, p_ac, eos_token, allow_empty_think,
                                 allow_empty_answer, allow_text_between)
    pos = []
    for tag, optional in ((to, prefilled), (tc, False), (ao, False), (ac, False)):
        p = text.find(tag)
        if p == -1:
            if not optional:
                return _fail(MISSING_TAG, f"no {tag!r} tag")
        elif text.find(tag, p + len(tag)) != -1:  # same as text.count(tag) > 1
            n = text.count(tag)
            return _fail(REPEATED_TAG, f"{tag!r} occurs {n} times; exactly one is allowed (no repeated or nested blocks)")
        pos.append(p)
    p_to, p_tc, p_ao, p_ac = pos
    return _check_layout(text, spec, p_to, p_tc, p_ao, p_ac, eos_token, allow_empty_think, allow_empty_answer,
                         allow_text_between)


#: completions longer than this skip the one-pass ``findall`` (it would list every tag of a
#: hostile megabyte); the find-based scan is linear without allocating.
_FAST_SCAN_MAX = 65536


@functools.lru_cache(maxsize=64)
def _tag_scanner(spec: TagSpec) -> re.Pattern[str] | None:
    """One alternation of the four tags, when they are bracketed (``<...>`` with a single
    ``<``): then no occurrence of a tag can start inside another's, so ``findall`` sees them
    all. ``None`` for other tag shapes (the find-based scan handles them)."""
    if all(t[0] == "<" and t[-1] == ">" and t.count("<") == 1 for t in spec.tags):
        return re.compile("|".join(re.escape(t) for t in spec.tags))
    return None


def _check_layout(
    text: str,
    spec: TagSpec,
    p_to: int,
    p_tc: int,
    p_ao: int,
    p_ac: int,
    eos_token: str | None,
    allow_empty_think: bool,
    allow_empty_answer: bool,
    allow_text_between: bool,
) -> LayoutCheck:
    """Rules 2-4 of :func:`parse_think_answer`, given the position of each (unique) tag
    (``p_to == -1``: no opening think tag, prefilled)."""
    to, tc, ao, ac = spec.tags
    if p_to != -1:
        think_start = p_to + len(to)
        if p_to > p_tc:
            return _fail(WRONG_ORDER, f"{tc!r} comes before {to!r}")
        if not _is_blank(text, 0, p_to):
            return _fail(TEXT_BEFORE, f"text before {to!r} (the completion must start with the think block)")
    else:
        think_start = 0
    if think_start > p_tc:  # overlapping tags such as "<a" + "a>" are not in order either
        return _fail(WRONG_ORDER, f"{tc!r} overlaps {to!r}")
    if p_tc + len(tc) > p_ao:
        return _fail(WRONG_ORDER, f"{ao!r} comes before {tc!r} (the answer must follow the think block)")
    if p_ao + len(ao) > p_ac:
        return _fail(WRONG_ORDER, f"{ac!r} comes before {ao!r}")
    if not allow_text_between and not _is_blank(text, p_tc + len(tc), p_ao):
        return _fail(TEXT_BETWEEN, f"text between {tc!r} and {ao!r} (only whitespace may separate the blocks)")
    tail = p_ac + len(ac)
    if not _is_blank(text, tail, len(text)):
        rest = text[tail:].strip()
        if not (eos_token and rest == eos_token):
            shown = rest[:40] + ("..." if len(rest) > 40 else "")
            return _fail(TEXT_AFTER, f"text after {ac!r}: {shown!r}")
    answer = (p_ao + len(ao), p_ac)
    if not allow_empty_answer and _is_blank(text, *answer):
        return _fail(EMPTY_ANSWER, f"the {ao!r} block is empty")
    think = (think_start, p_tc)
    if not allow_empty_think and _is_blank(text, *think):
        return _fail(EMPTY_THINK, f"the {to!r} block is empty")
    return LayoutCheck(True, think=think, answer=answer)


# --------------------------------------------------------------------------- recipe regexes
def matches_open_r1(text: str, spec: TagSpec = TagSpec()) -> bool:
    """Exactly ``re.match(r"^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$", text,
    re.DOTALL | re.MULTILINE)`` (open-r1 ``format_reward``), with ``spec``'s tags, in linear time.

    Equivalent condition: the text starts with ``<think>\\n``; some ``\\n</think>\\n<answer>\\n``
    follows (the first one is the best choice); after it some ``\\n</answer>`` is followed by
    the end of the text or by a newline (MULTILINE ``$``). So it accepts trailing text after a
    newline, and repeated blocks.
    """
    head = spec.think_open + "\n"
    if not text.startswith(head):
        return False
    middle = "\n" + spec.think_close + "\n" + spec.answer_open + "\n"
    a = text.find(middle, len(head))
    if a == -1:
        return False
    close = "\n" + spec.answer_close
    n = len(text)
    b = text.find(close, a + len(middle))
    while b != -1:
        end = b + len(close)
        if end == n or text[end] == "\n":
            return True
        b = text.find(close, b + 1)
    return False


def matches_gsm8k_strict(text: str, spec: TagSpec = TagSpec("<reasoning>", "</reasoning>")) -> bool:
    """Exactly ``re.match(r"^<reasoning>\\n.*?\\n</reasoning>\\n<answer>\\n.*?\\n</answer>\\n$",
    text)`` (the GSM8K GRPO recipe's ``strict_format_reward_func``; no flags), with ``spec``'s
    tags, in linear time.

    Without DOTALL ``.`` does not match a newline, so the reasoning and the answer must each be
    a **single line**, and ``$`` allows at most one extra trailing newline.
    """
    head = spec.think_open + "\n"
    if not text.startswith(head):
        return False
    middle = "\n" + spec.think_close + "\n" + spec.answer_open + "\n"
    i = text.find("\n", len(head))
    if i == -1 or not text.startswith(middle, i):
        return False
    close = "\n" + spec.answer_close + "\n"
    k = text.find("\n", i + len(middle))
    if k == -1 or not text.startswith(close, k):
        return False
    end, n = k + len(close), len(text)
    return end == n or (end == n - 1 and text[end] == "\n")


def matches_gsm8k_soft(text: str, spec: TagSpec = TagSpec("<reasoning>", "</reasoning>")) -> bool:
    """Exactly ``re.match(r"<reasoning>.*?</reasoning>\\s*<answer>.*?</answer>", text)`` (the
    GSM8K recipe's ``soft_format_reward_func``; no flags), with ``spec``'s tags, linear time.

    Without DOTALL: ``<reasoning>`` must start the text, ``</reasoning>`` must be on the same
    (first) line, any whitespace (newlines included) may follow, then ``<answer>`` and a
    ``</answer>`` on the same line as ``<answer>``. Anything may follow ``</answer>``.

    The regex backtracks over every ``</reasoning>`` of the first line; only two of them can
    matter (when no tag contains whitespace): the first one followed by whitespace and
    ``<answer>`` (its answer has the most room on the first line), and the last one on the
    first line (the only one whose whitespace can run onto a later line).
    """
    to, tc, ao, ac = spec.tags
    if not text.startswith(to):
        return False
    lo = len(to)
    first_nl = text.find("\n", lo)
    line_end = len(text) if first_nl == -1 else first_nl
    if any(_HAS_WS.search(tag) for tag in spec.tags):
        return _soft_all_candidates(text, spec, lo, first_nl)
    candidates = []
    m = _close_then_open(tc, ao).search(text, lo)
    if m is not None and m.start() <= line_end:
        candidates.append(m.start())
    last = text.rfind(tc, lo, line_end)
    if last != -1 and last not in candidates:
        candidates.append(last)
    return any(_soft_answer_ok(text, _WS.match(text, r + len(tc)).end(), ao, ac) for r in candidates)


@functools.lru_cache(maxsize=64)
def _close_then_open(close: str, open_: str) -> re.Pattern[str]:
    return re.compile(re.escape(close) + r"\s*+" + re.escape(open_))


def _soft_answer_ok(text: str, w: int, ao: str, ac: str) -> bool:
    """``<answer>.*?</answer>`` (no DOTALL) matches at ``w``."""
    if not text.startswith(ao, w):
        return False
    start = w + len(ao)
    c = text.find(ac, start)
    if c == -1:
        return False
    nl = text.find("\n", start, c)
    return nl == -1


def _soft_all_candidates(text: str, spec: TagSpec, lo: int, first_nl: int) -> bool:
    """Generic form of :func:`matches_gsm8k_soft` for tags containing whitespace: tries every
    closing-reasoning tag of the first line (exact; quadratic only on adversarial input with
    such unusual tags)."""
    _, tc, ao, ac = spec.tags
    r = text.find(tc, lo)
    while r != -1 and (first_nl == -1 or r <= first_nl):
        if _soft_answer_ok(text, _WS.match(text, r + len(tc)).end(), ao, ac):
            return True
        r = text.find(tc, r + 1)
    return False


def matches_think_block(text: str, think_open: str = "<think>", think_close: str = "</think>", *, prefilled: bool = False) -> bool:
    """Exactly TRL's ``think_format_reward`` test ``re.match(r"^<think>(?!.*<think>)(.*?)</think>.*$",
    text, re.DOTALL | re.MULTILINE)``, with any tag strings, in linear time: the text starts
    with ``<think>``, contains no second ``<think>``, and contains ``</think>`` after it
    (anything, even nothing, may follow).

    ``prefilled=True`` (rlvr extension): a completion that does not start with the opening
    tag is read as starting inside the think block; it then must contain no opening tag at
    all and at least one closing tag.
    """
    if text.startswith(think_open):
        lo = len(think_open)
        return text.find(think_open, lo) == -1 and text.find(think_close, lo) != -1
    if not prefilled:
        return False
    return think_open not in text and think_close in text


# --------------------------------------------------------------------------- counting helpers
def text_after_last(text: str, sep: str) -> str:
    """Exactly ``text.split(sep)[-1]`` (the text after the last of the left-to-right,
    non-overlapping occurrences of ``sep``; the whole text when there is none), without
    building the list in the common case.

    ``str.rfind`` finds the same occurrence unless an earlier occurrence overlaps it (possible
    when ``sep`` starts and ends with the same characters, e.g. ``"\\n</answer>\\n"``); only
    then the exact but allocating ``split`` is used.
    """
    p = text.rfind(sep)
    if p == -1:
        return text
    width = len(sep)
    # an occurrence starting in (p - width, p) would overlap the one at p
    if text.find(sep, max(0, p - width + 1), p + width - 1) != -1:
        return text.split(sep)[-1]
    return text[p + width :]
