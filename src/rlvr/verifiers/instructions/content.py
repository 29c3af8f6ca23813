"""``detectable_content:*``: placeholders in square brackets, and a postscript.

* ``number_placeholders`` (``num_placeholders``): at least that many ``[...]`` spans, each
  opened and closed on one line (``[name]``, ``[address]``; ``[]`` counts too, as in IFEval).
* ``postscript`` (``postscript_marker``, e.g. ``P.S.`` or ``P.P.S``): a line contains the marker
  (case-insensitive; for ``P.S.``/``P.P.S`` spaces after the dots are allowed: ``p. s.``).
"""

from __future__ import annotations

import re

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["count_bracket_spans"]

_PS = re.compile(r"p\.\s?s\.")
_PPS = re.compile(r"p\.\s?p\.\s?s")


#: The innermost ``[...]`` of each span: same count as IFEval's lazy ``\[.*?\]`` (each closing
#: bracket preceded on its line by an unused opening one counts once), but linear: a scan from a
#: ``[`` stops at the next ``[``, so a line of half a million ``[`` is not re-scanned per bracket.
_BRACKET_SPAN = re.compile(r"\[[^\[\]\n]*\]")


def count_bracket_spans(text: str) -> int:
    """Non-overlapping ``[...]`` spans that close on the same line."""
    return len(_BRACKET_SPAN.findall(text))


@instruction("detectable_content:number_placeholders", family="content", kwargs=("num_placeholders",))
def number_placeholders(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``num_placeholders`` square-bracket placeholders."""
    n = kw.int("num_placeholders")
    count = count_bracket_spans(r.text)
    return Check(count >= n, f"{count} [placeholder](s), needs at least {n}")


@instruction("detectable_content:postscript", family="content", kwargs=("postscript_marker",))
def postscript(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The response contains a postscript starting with ``postscript_marker``."""
    marker = kw.str("postscript_marker").strip()
    lower = r.lower
    if marker.upper() == "P.P.S":
        found = _PPS.search(lower) is not None
    elif marker.upper() == "P.S.":
        found = _PS.search(lower) is not None
    else:
        found = marker.lower() in lower
    return Check(found, f"postscript {marker!r} {'found' if found else 'not found'}")
