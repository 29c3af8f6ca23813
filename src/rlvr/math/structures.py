"""Answers with structure, decided in-process: intervals and tuples of plain numbers, bare
lists and braced sets (elements, repeats), multiple-choice letters.

Each ``*_verdict`` function returns a :class:`~rlvr.math.verdict.Verdict` when it can decide,
``None`` when the pair is not of its shape (the next stage decides).
"""

from __future__ import annotations

import re

from rlvr.math.normalise import HAS_DELIMITERS, PROSE, compact
from rlvr.math.numbers import PlainNumber, as_plain_number
from rlvr.math.verdict import Verdict, VerifyConfig
from rlvr.score import Status

__all__ = ["bracketed_parts", "list_elements", "mcq_choices", "plain_tuple_verdict", "repeated_elements_verdict",
           "split_top_level"]


_PLAIN_TUPLE = re.compile(r"([(\[])([^()\[\]{}\\]*,[^()\[\]{}\\]*)([)\]])")
_INFINITY = re.compile(r"[+-]?\\infty")


def _plain_tuple(s: str) -> tuple[str, list[PlainNumber | str], str] | None:
    m = _PLAIN_TUPLE.fullmatch(s.replace("\\infty", "INF"))
    if m is None:
        return None
    items: list[PlainNumber | str] = []
    for part in m.group(2).split(","):
        part = part.strip()
        if part in ("INF", "+INF", "-INF"):
            items.append(part.lstrip("+"))
            continue
        number = as_plain_number(part)
        if number is None or number.decimals is not None:
            return None  # decimals: rounding rules belong to the sympy path
        items.append(number)
    return m.group(1), items, m.group(3)


def plain_tuple_verdict(gold: str, answer: str, cfg: VerifyConfig) -> Verdict | None:
    """Intervals, points and tuples of exact plain numbers (``[-5, 7)``, ``(3, \\infty)``,
    ``(1, 2, 3)``) compared in-process: the same brackets and equal elements in order, or wrong."""
    g, a = _plain_tuple(gold), _plain_tuple(answer)
    if (g is None) != (a is None) and as_plain_number(answer if g is not None else gold) is not None:
        return Verdict(Status.WRONG, "a number for an interval/tuple (or the reverse)", "tuple")
    if g is None or a is None:
        return None
    if cfg.allow_set_relation_comp:
        return None
    same = (g[0], g[2], len(g[1])) == (a[0], a[2], len(a[1])) and all(
        (x == y) if isinstance(x, str) or isinstance(y, str) else x.value == y.value for x, y in zip(g[1], a[1]))
    return Verdict(Status.CORRECT if same else Status.WRONG, "same interval/tuple" if same else "different interval/tuple", "tuple")


_GROUPING_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _is_braced_set(s: str) -> bool:
    return s.startswith("\\{") and s.endswith("\\}") and len(s) > 4


def split_top_level(text: str) -> list[str]:
    """``a, b, c`` -> parts, splitting only at commas outside brackets and braces; a text that
    is itself wrapped in brackets (a tuple, interval, set) is one part."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p] if len(parts) > 1 else [text]


def list_elements(s: str) -> list[str]:
    """The elements of a bare list ``1, 1, 2`` or a braced set ``\\{1, 1, 2\\}`` (top-level
    commas; ``1,000`` digit grouping is not a separator); ``[s]`` for anything else."""
    inner = s[2:-2] if _is_braced_set(s) else s
    return split_top_level(_GROUPING_COMMA.sub("", inner))


def _element_key(part: str) -> object:
    number = as_plain_number(part)
    return number.value if number is not None else compact(part)


def repeated_elements_verdict(gold: str, answer: str) -> Verdict | None:
    """Multisets: an answer list that repeats an element (``2, 2``, ``1, 1, 2``, ``\\{2, 2\\}``)
    is not the list without the repeats. Against a set-valued reference (``\\{1, 2\\}``)
    repeats are harmless (a set is a set); against a value, list or tuple the answer must have
    as many elements as the reference. A reference listing several tuples (``(1,2), (3,4)``) is a
    set of solutions too. ``None``: no repeats, the counts agree, or the answer is not a bare
    list of maths values (text with math delimiters or prose: math-verify reads it)."""
    if _is_braced_set(gold) or HAS_DELIMITERS.search(answer) or PROSE.search(answer):
        return None
    parts = list_elements(answer)
    if len(parts) < 2:
        return None
    keys = [_element_key(p) for p in parts]
    if len(set(keys)) == len(keys):
        return None
    gold_parts = list_elements(gold)
    if len(gold_parts) == len(parts) or (len(gold_parts) > 1 and all(p[:1] in "([" for p in gold_parts)):
        return None
    return Verdict(Status.WRONG, "the answer repeats an element: a list with repeats is not the set without them", "multiset")


_OPEN_CLOSE = {"(": ")", "[": "]"}


def _wrapped(text: str) -> bool:
    """The first bracket closes at the very end: ``(1, 2)`` yes, ``(1,2), (3,4)`` no."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def bracketed_parts(gold_text: str, pred_text: str) -> tuple[list[str], list[str]] | None:
    """Tuples, points and intervals written with the same brackets on both sides, split into
    their elements (compared in order); None otherwise."""
    g, p = gold_text.strip(), pred_text.strip()
    if len(g) < 2 or len(p) < 2 or g[0] != p[0] or g[-1] != p[-1]:
        return None
    if g[0] not in _OPEN_CLOSE or g[-1] not in _OPEN_CLOSE.values() or not (_wrapped(g) and _wrapped(p)):
        return None
    g_parts, p_parts = split_top_level(g[1:-1]), split_top_level(p[1:-1])
    if len(g_parts) < 2 or len(g_parts) != len(p_parts):
        return None
    return g_parts, p_parts


_BARE_CHOICE = re.compile(r"\(?([A-E])\)?")
_LABELLED_CHOICE = re.compile(r"\(?([A-E])\)?(?:[.:)]\s?.*)?", re.DOTALL)
_TEXT_CHOICE = re.compile(r"\\text(?:bf)?\{\(?([A-E])\)?\}")


def _choice_letter(s: str, *, bare: bool) -> str | None:
    t = _TEXT_CHOICE.sub(r"\1", s.strip())
    m = (_BARE_CHOICE if bare else _LABELLED_CHOICE).fullmatch(t)
    return m.group(1) if m else None


def mcq_choices(gold: str, answer: str) -> tuple[str, str] | None:
    """Multiple choice: one side is a bare option letter (``C``, ``(C)``), the other an option
    letter optionally followed by its text (``C. x = 42``). Upper-case A-E only, so that the
    variable ``a`` or ``e`` is never read as an option."""
    g_bare, a_bare = _choice_letter(gold, bare=True), _choice_letter(answer, bare=True)
    if g_bare is None and a_bare is None:
        return None
    g = g_bare or _choice_letter(gold, bare=False)
    a = a_bare or _choice_letter(answer, bare=False)
    if g is None or a is None:
        return None
    return g, a
