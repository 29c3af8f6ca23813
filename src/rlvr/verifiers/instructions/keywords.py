"""``keywords:*``: keywords that must appear, appear N times, must not appear; letter frequency.

Keywords are literal text (regex metacharacters in a keyword are plain characters) and are
matched case-insensitively.

* ``keywords:existence`` (``keywords``: list): every keyword occurs somewhere (substring match,
  as in IFEval: ``"cat"`` is found in ``"category"``).
* ``keywords:frequency`` (``keyword``, ``frequency``, ``relation``): non-overlapping occurrences
  of the keyword (substring match) compared with ``relation`` (``less than`` / ``at least``).
* ``keywords:forbidden_words`` (``forbidden_words``: list): none occurs as a whole word
  (not preceded or followed by a word character; ``"cat"`` is not found in ``"category"``).
* ``keywords:letter_frequency`` (``letter``, ``let_frequency``, ``let_relation``): occurrences of
  the letter, case-insensitive, compared with the relation.
"""

from __future__ import annotations

import re

from rlvr.verifiers.instructions.base import BadKwargs, Check, CheckContext, Kwargs, compare
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["find_whole_word"]


def find_whole_word(lower_text: str, word: str) -> bool:
    """``word`` (any text, taken literally) occurs in ``lower_text`` not glued to word characters."""
    literal = word.lower()
    if not literal:
        return False
    # the literal first (fast substring scan), then "no word character before it" as a lookbehind
    pattern = re.escape(literal) + r"(?<!\w" + re.escape(literal) + r")(?!\w)"
    return re.search(pattern, lower_text) is not None


@instruction("keywords:existence", family="keywords", kwargs=("keywords",))
def keyword_existence(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every keyword occurs (case-insensitive substring)."""
    keywords = kw.str_list("keywords")
    lower = r.lower
    missing = [k for k in keywords if k.lower() not in lower]
    if missing:
        return Check(False, f"missing keyword(s) {missing}")
    return Check(True, f"all {len(keywords)} keyword(s) present")


@instruction("keywords:frequency", family="keywords", kwargs=("keyword", "frequency", "relation"))
def keyword_frequency(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The keyword occurs ``relation`` ``frequency`` times (case-insensitive, non-overlapping)."""
    keyword = kw.str("keyword")
    frequency = kw.int("frequency")
    relation = kw.relation("relation")
    count = r.lower.count(keyword.lower())
    return Check(compare(count, relation, frequency), f"{keyword!r} occurs {count} time(s), needs {relation} {frequency}")


@instruction("keywords:forbidden_words", family="keywords", kwargs=("forbidden_words",))
def forbidden_words(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """No forbidden word occurs as a whole word (case-insensitive)."""
    banned = kw.str_list("forbidden_words", allow_empty_list=True)
    lower = r.lower
    found = [w for w in banned if find_whole_word(lower, w)]
    if found:
        return Check(False, f"forbidden word(s) used: {found}")
    return Check(True, "no forbidden word")


@instruction("keywords:letter_frequency", family="keywords", kwargs=("letter", "let_frequency", "let_relation"))
def letter_frequency(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The letter occurs ``let_relation`` ``let_frequency`` times (case-insensitive)."""
    letter = kw.str("letter")
    if len(letter) != 1:
        raise BadKwargs(f"keywords:letter_frequency: 'letter' must be one character, got {letter!r}")
    frequency = kw.int("let_frequency")
    relation = kw.relation("let_relation")
    count = r.lower.count(letter.lower())
    return Check(compare(count, relation, frequency), f"letter {letter!r} occurs {count} time(s), needs {relation} {frequency}")
