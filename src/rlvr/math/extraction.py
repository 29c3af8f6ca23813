"""Find the final answer in a maths completion (strict: no "last number" guessing by default).

Order of the search (the path taken is returned in :attr:`Extraction.path`):

1. **Reasoning is cut off** (:func:`rlvr.parsing.split` decides where the reasoning ends and,
   with an answer tag, finds the last answer block). Only the text after the last ``</think>`` counts. A ``<think>``
   that is never closed means the model never left its reasoning: no answer. With
   ``prefilled=True`` (chat templates that already opened ``<think>`` in the prompt) the
   completion must contain ``</think>``; without it there is no answer. A completion with no
   think tags at all is read whole (unless ``prefilled``).
2. **Answer tag** (when ``answer_tag`` is set, e.g. ``"answer"``): the last complete
   ``<answer>...</answer>`` block becomes the region searched next. With
   ``require_answer_tag=True`` a completion without one has no answer; otherwise the search
   continues over the whole remaining text.
3. **Boxed**: the last balanced ``\\boxed{...}`` / ``\\fbox{...}`` in the region. Every distinct
   boxed value in the region is returned in :attr:`Extraction.candidates` so that the verifier
   can refuse hedging (several different boxed values for a single-valued gold).
4. **GSM8K** ``#### 42`` (the last one; the rest of its line).
5. **Answer phrase**: the last "the answer is ...", "final answer: ...": the math span(s) it
   starts with, else the rest of its sentence (up to ``.``/``!``/``?`` + space outside maths,
   "I hope it is correct", or the end of the line); see :func:`phrase_answer`.
6. Inside an answer tag with none of the above, the whole tag content is the answer.
   ``answer_line`` (opt-in, DAPO/Minerva style): the last line that starts with ``Answer:``
   (``Answer: 34``); the rest of that line is the answer.
7. ``last_number`` (opt-in only: rewarding the last number of a text is a known reward hack).

An answer longer than ``max_answer_chars`` is refused (``path="too_long"``): verifying
megabytes of LaTeX is a denial of service, not an answer.

Every scan here is linear in the text length (one regex pass, one brace stack).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rlvr.parsing import TagSpec, split

__all__ = [
    "DEFAULT_STRATEGIES",
    "Extraction",
    "answer_boxes",
    "extract_answer",
    "extraction_tags",
    "final_box_group",
    "find_boxed",
    "phrase_answer",
]

#: Extraction strategies tried in order (``last_number`` is available but never on by default).
DEFAULT_STRATEGIES: tuple[str, ...] = ("boxed", "gsm8k", "answer_phrase")
KNOWN_STRATEGIES = frozenset({"boxed", "gsm8k", "answer_phrase", "answer_line", "last_number"})

_BOX_TOKEN = re.compile(r"\\(?:boxed|fbox)\s*\{|\\[{}]|[{}]")
_GSM8K = re.compile(r"####[ \t]*([^\n]*)")
_ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer)(?:\s+is)?\s*(?:[:=]|\bis\b)?[ \t]*([^\n]*)", re.IGNORECASE
)
# "Answer: 34" at the start of a line (DAPO-Math's answer format)
_ANSWER_LINE = re.compile(r"^[ \t*#]*answer[ \t*]*:[ \t]*([^\n]*)", re.IGNORECASE | re.MULTILINE)
_MINERVA = re.compile(r"final answer is[ \t]*([^\n]*)", re.IGNORECASE)
_INNER_PHRASE = re.compile(r"[ \t*]*(?:the\s+)?(?:final\s+answer|answer)(?:\s+is)?[ \t]*(?:[:=]|\bis\b)?[ \t]*",
                           re.IGNORECASE)
# inline maths on one line: $$...$$, $...$, \(...\), \[...\]
_MATH_SPAN = r"(?:\$\$[^\n]+?\$\$|\$[^$\n]+\$|\\\([^\n]+?\\\)|\\\[[^\n]+?\\\])"
_LEADING_SPANS = re.compile(rf"[ \t]*{_MATH_SPAN}(?:[ \t]*(?:,|;|and|or|&)?[ \t]*{_MATH_SPAN})*")
_SENTENCE_END = re.compile(rf"{_MATH_SPAN}|[.!?](?=\s|$)|\bI hope it is correct", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@dataclass(frozen=True)
class Extraction:
    """The answer found in a completion.

    Attributes:
        answer: the answer text (``None`` when nothing was found or it was refused).
        path: how it was found: ``boxed``, ``gsm8k``, ``answer_phrase``, ``answer_tag``,
            ``last_number``; or why not: ``unclosed_think``, ``no_think_close`` (prefilled),
            ``no_answer_tag``, ``not_found``, ``too_long``.
        candidates: every distinct boxed value in the searched region, in order of appearance
            (more than one means the model hedged or gave a multi-part answer).
    """

    answer: str | None
    path: str
    candidates: tuple[str, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.answer is not None


@lru_cache(maxsize=256)
def extraction_tags(think_tag: str = "think", think_open: str | None = None, think_close: str | None = None,
                    prefilled: bool = False, answer_tag: str | None = None, answer_open: str | None = None,
                    answer_close: str | None = None) -> TagSpec:
    """The :class:`~rlvr.parsing.TagSpec` of :func:`extract_answer`'s tag options (no answer
    tags unless ``answer_tag`` or ``answer_open`` is set). Raises ``ValueError`` for unusable
    tags (one containing another). An empty ``*_open``/``*_close`` string means "not set"."""
    think_open, think_close, answer_open, answer_close = (think_open or None, think_close or None,
                                                          answer_open or None, answer_close or None)
    with_answer = bool(answer_tag or answer_open)
    return TagSpec.from_names(think_tag, answer_tag if with_answer else None, think_open=think_open,
                              think_close=think_close, answer_open=answer_open if with_answer else None,
                              answer_close=answer_close if with_answer else None, prefilled=prefilled)


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match of ``pattern`` in ``text`` (one linear pass, keeping only the last)."""
    tail = deque(pattern.finditer(text), maxlen=1)
    return tail[0] if tail else None


def find_boxed(text: str) -> list[str]:
    """Contents of every balanced ``\\boxed{}``/``\\fbox{}`` in ``text``, in order of their opening.

    One pass with a brace stack; escaped braces ``\\{`` ``\\}`` are literal and ignored. An
    unclosed box is skipped. Nested boxes are all returned (the outer one first).
    """
    return [text[a:b] for a, b in box_spans(text)]


_CONNECTOR = re.compile(r"(?:[\s,;$&.]|\\[()\[\]]|\\q?quad|\\text\{\s*(?:and|or|,)?\s*\}|\band\b|\bor\b)*")


def final_box_group(text: str) -> list[str]:
    """The last run of boxes separated only by connectors (commas, "and", "or", spacing, math
    delimiters): ``\\boxed{1} and \\boxed{2}`` -> ``["1", "2"]``; a box separated from the
    last one by prose is not part of the final answer. Inner (box-free) contents only."""
    spans = [(a, b) for a, b in box_spans(text) if "\\boxed" not in text[a:b] and "\\fbox" not in text[a:b]]
    if not spans:
        return []
    group = [spans[-1]]
    for a, b in reversed(spans[:-1]):
        gap_start = b + 1
        gap_end = text.rfind("\\", 0, group[0][0])  # the "\\boxed{" of the group's first box
        gap = text[gap_start:gap_end] if gap_end >= gap_start else ""
        if _CONNECTOR.fullmatch(gap):
            group.insert(0, (a, b))
        else:
            break
    return [text[a:b] for a, b in group]


def box_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced box's content, sorted by start."""
    stack: list[tuple[int, bool]] = []  # (content start, is a box)
    found: list[tuple[int, int]] = []
    for m in _BOX_TOKEN.finditer(text):
        tok = m.group()
        if tok[0] == "\\" and len(tok) == 2:  # \{ or \}
            continue
        if tok == "}":
            if stack:
                start, is_box = stack.pop()
                if is_box:
                    found.append((start, m.start()))
            continue
        stack.append((m.end(), tok != "{"))
    found.sort()
    return found


def answer_boxes(text: str) -> list[str]:
    """Boxed contents that hold no further box (``\\boxed{The answer is \\boxed{5}}`` -> ``5``),
    in order of appearance."""
    return [b for b in find_boxed(text) if "\\boxed" not in b and "\\fbox" not in b]


def phrase_answer(rest: str) -> str:
    """The answer stated after an answer phrase ("the final answer is ..."), from the rest of
    its line: the math span(s) it starts with (``$X$``, ``$1$ and $2$``), else the text up to
    the end of its sentence (a ``.``/``!``/``?`` followed by a space or the end, outside maths,
    or "I hope it is correct"). Trailing notes on the same line are not part of the answer."""
    for _ in range(3):  # "Final Answer: The final answer is $X$": the inner phrase states it
        inner = _INNER_PHRASE.match(rest)
        if inner is None:
            break
        rest = rest[inner.end():]
    m = _LEADING_SPANS.match(rest)
    if m:
        return m.group()
    for end in _SENTENCE_END.finditer(rest):
        if end.group()[0] not in "$\\":  # not a math span: the sentence ends here
            return rest[:end.start()]
    return rest


def _clean_line_answer(s: str) -> str:
    s = s.strip()
    s = s.rstrip(" \t.。")
    if len(s) >= 2 and s[0] == "$" and s[-1] == "$" and "$" not in s.strip("$"):  # one span, not "$1$ and $2$"
        s = s.strip("$").strip()
    return s.strip().strip("*").strip()  # markdown **42**


def extract_answer(
    text: str,
    *,
    think_tag: str = "think",
    prefilled: bool = False,
    answer_tag: str | None = None,
    require_answer_tag: bool = False,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    max_answer_chars: int = 1000,
    think_open: str | None = None,
    think_close: str | None = None,
    answer_open: str | None = None,
    answer_close: str | None = None,
) -> Extraction:
    """Find the final answer of ``text`` (see the module docstring for the rules and paths).
    ``*_open``/``*_close`` override the tag strings built from ``think_tag``/``answer_tag``
    (``answer_open="<SOLUTION>"`` also turns the answer-tag step on)."""
    spec = extraction_tags(think_tag, think_open, think_close, prefilled, answer_tag, answer_open, answer_close)
    parts = split(text, spec)
    region = parts.region_text
    if region is None:  # the reasoning never ended (unclosed): no answer yet
        return Extraction(None, "no_think_close" if prefilled else "unclosed_think")
    in_tag = False
    if spec.answer_open is not None:
        block = parts.answer_text
        if block is not None:
            region, in_tag = block, True
        elif require_answer_tag:
            return Extraction(None, "no_answer_tag")

    def accept(answer: str, path: str, candidates: tuple[str, ...] = ()) -> Extraction:
        answer = answer.strip()
        if not answer:
            return Extraction(None, "not_found")
        if len(answer) > max_answer_chars:
            return Extraction(None, "too_long", ())
        return Extraction(answer, path, candidates)

    cap = max_answer_chars + 2  # a phrase's answer is searched for in this much of its line (longer: refused)
    for strategy in strategies:
        if strategy == "boxed":
            boxes = answer_boxes(region)
            if boxes:
                minerva = _last_match(_MINERVA, region)
                last_box_end = box_spans(region)[-1][1] if boxes else -1
                stated = _clean_line_answer(phrase_answer(minerva.group(1)[:cap])) if minerva is not None else ""
                if minerva is not None and minerva.start() > last_box_end and stated:
                    # "Final Answer: The final answer is $X$. I hope it is correct." after an
                    # intermediate box: the stated final answer wins
                    return accept(stated, "final_answer_phrase")
                distinct = tuple(dict.fromkeys(b.strip() for b in boxes if b.strip()))
                if any(len(b) > max_answer_chars for b in distinct):
                    return Extraction(None, "too_long")
                return accept(boxes[-1], "boxed", distinct)
        elif strategy == "gsm8k":
            last = _last_match(_GSM8K, region)
            if last is not None:
                answer = _clean_line_answer(last.group(1))
                if _GROUPED.fullmatch(answer):
                    answer = answer.replace(",", "")
                return accept(answer, "gsm8k")
        elif strategy == "answer_phrase":
            last = _last_match(_ANSWER_PHRASE, region)
            stated = _clean_line_answer(phrase_answer(last.group(1)[:cap])) if last is not None else ""
            if stated:
                return accept(stated, "answer_phrase")
        elif strategy == "answer_line":
            last = _last_match(_ANSWER_LINE, region)
            if last is not None:
                return accept(_clean_line_answer(last.group(1)[:cap]), "answer_line")
        elif strategy == "last_number":
            last = _last_match(_LAST_NUMBER, region)
            if last is not None:
                return accept(last.group().replace(",", ""), "last_number")
        else:
            raise ValueError(f"unknown extraction strategy {strategy!r}; known: {sorted(KNOWN_STRATEGIES)}")
    if in_tag:
        return accept(_clean_line_answer(region), "answer_tag")
    return Extraction(None, "not_found")
