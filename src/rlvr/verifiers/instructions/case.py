"""``change_case:*``: all capitals, all lowercase, and the number of all-capital words.

* ``english_capital``: no lowercase letter and at least one cased letter (``str.isupper``), and the
  text is English (see :func:`~rlvr.verifiers.instructions.language.english_check`).
* ``english_lowercase``: no uppercase letter and at least one cased letter (``str.islower``), and
  English.
* ``capital_word_frequency`` (``capital_frequency``, ``capital_relation``): words written in capitals
  (``str.isupper``: ``NASA``, ``U.S``, ``AI's`` counts as ``AI``) compared with the relation.
  Words are ``\\w+`` runs joined by inner ``'``/``-``/``.``; a possessive ``'s`` is split off.

The case half is decided first: a response with a lowercase letter fails ``english_capital``
even when no language detector is installed.
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs, compare, shown
from rlvr.verifiers.instructions.language import english_check
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response


@instruction("change_case:english_capital", family="case")
def english_capital(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Entirely in English capital letters."""
    if not r.text.isupper():
        return Check(False, "has lowercase letters (or no letter at all)")
    lang = english_check(r, ctx)
    return Check(lang.held, "all capitals, English" if lang.held else lang.reason)


@instruction("change_case:english_lowercase", family="case")
def english_lowercase(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Entirely in English lowercase letters."""
    if not r.text.islower():
        return Check(False, "has capital letters (or no letter at all)")
    lang = english_check(r, ctx)
    return Check(lang.held, "all lowercase, English" if lang.held else lang.reason)


@instruction("change_case:capital_word_frequency", family="case", kwargs=("capital_frequency", "capital_relation"))
def capital_word_frequency(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """All-capital words ``capital_relation`` ``capital_frequency`` times."""
    n = kw.int("capital_frequency")
    relation = kw.relation("capital_relation")
    count = r.count_capital_words(limit=n + 1)
    return Check(compare(count, relation, n), f"{shown(count, n + 1)} all-capital word(s), needs {relation} {n}")
