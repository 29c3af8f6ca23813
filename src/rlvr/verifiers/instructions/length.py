"""``length_constraints:*``: sentences, words, paragraphs, and the first word of the n-th paragraph.

* ``number_sentences`` (``num_sentences``, ``relation``): sentences as counted by
  :func:`~rlvr.verifiers.instructions.text_units.count_sentences`.
* ``number_words`` (``num_words``, ``relation``): ``\\w+`` runs.
* ``number_paragraphs`` (``num_paragraphs``): paragraphs separated by the markdown divider
  ``***``; exactly ``num_paragraphs``. An empty piece before the first or after the last
  divider is ignored; an empty paragraph between two dividers fails.
* ``nth_paragraph_first_word`` (``num_paragraphs``, ``nth_paragraph``, ``first_word``): paragraphs
  separated by blank lines (``\\n\\n``); exactly ``num_paragraphs`` non-empty ones, and the
  ``nth_paragraph``-th (1-based) starts with ``first_word`` (case-insensitive; leading quotes
  and trailing punctuation of the first word ignored).
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs, compare, shown
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

_FIRST_WORD_STOP = set(".,?!'\";:")


@instruction("length_constraints:number_sentences", family="length", kwargs=("num_sentences", "relation"))
def number_sentences(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Sentence count compared with ``relation`` ``num_sentences``."""
    n = kw.int("num_sentences")
    relation = kw.relation("relation")
    count = r.count_sentences(limit=n + 1)  # counting past n + 1 cannot change the comparison
    return Check(compare(count, relation, n), f"{shown(count, n + 1)} sentence(s), needs {relation} {n}")


@instruction("length_constraints:number_words", family="length", kwargs=("num_words", "relation"))
def number_words(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Word count compared with ``relation`` ``num_words``."""
    n = kw.int("num_words")
    relation = kw.relation("relation")
    count = r.count_words(limit=n + 1)
    return Check(compare(count, relation, n), f"{shown(count, n + 1)} word(s), needs {relation} {n}")


@instruction("length_constraints:number_paragraphs", family="length", kwargs=("num_paragraphs",))
def number_paragraphs(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly ``num_paragraphs`` paragraphs separated by ``***``."""
    n = kw.int("num_paragraphs", minimum=1)
    pieces = r.text.split("***")  # a blank piece stays blank with or without the spaces around "***"
    count = len(pieces)
    for i, piece in enumerate(pieces):
        if not piece.strip():
            if i == 0 or i == len(pieces) - 1:
                count -= 1
            else:
                return Check(False, f"paragraph {i + 1} between two *** dividers is empty")
    return Check(count == n, f"{count} paragraph(s) separated by ***, needs exactly {n}")


def first_word(paragraph: str) -> str:
    """The first word of a paragraph, lower-cased, without leading quotes or trailing punctuation."""
    parts = paragraph.split(maxsplit=1)
    if not parts:
        return ""
    word = parts[0].lstrip("'\"\u201c\u2018*#")
    out = []
    for ch in word:
        if ch in _FIRST_WORD_STOP:
            break
        out.append(ch)
    return "".join(out).lower()


@instruction(
    "length_constraints:nth_paragraph_first_word",
    family="length",
    kwargs=("num_paragraphs", "nth_paragraph", "first_word"),
)
def nth_paragraph_first_word(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """``num_paragraphs`` blank-line paragraphs; the ``nth_paragraph``-th starts with ``first_word``."""
    n = kw.int("num_paragraphs", minimum=1)
    nth = kw.int("nth_paragraph", minimum=1)
    wanted = kw.str("first_word").strip().lower()
    pieces = r.text.split("\n\n")
    count = sum(map(bool, map(str.strip, filter(None, pieces))))
    if nth > len(pieces) or not pieces[nth - 1].strip():
        return Check(False, f"no paragraph {nth} ({count} paragraph(s))")
    got = first_word(pieces[nth - 1].strip())
    if count != n:
        return Check(False, f"{count} paragraph(s), needs exactly {n}")
    return Check(got == wanted, f"paragraph {nth} starts with {got!r}, needs {wanted!r}")
