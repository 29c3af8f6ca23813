"""``startend:*``: the exact closing phrase, and wrapping in double quotes.

* ``end_checker`` (``end_phrase``): after stripping whitespace and surrounding ``"`` the
  response ends with the phrase (case-insensitive). Nothing may follow it.
* ``quotation``: the stripped response starts and ends with ``"`` (at least two characters).
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response


@instruction("startend:end_checker", family="startend", kwargs=("end_phrase",))
def end_checker(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Ends with ``end_phrase`` exactly (case-insensitive), nothing after it."""
    phrase = kw.str("end_phrase").strip().lower()
    ok = r.lower.strip().strip('"').endswith(phrase)
    return Check(ok, "ends with the phrase" if ok else f"does not end with {phrase!r}")


@instruction("startend:quotation", family="startend")
def quotation(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Wrapped in double quotation marks."""
    value = r.text.strip()
    ok = len(value) > 1 and value[0] == '"' and value[-1] == '"'
    return Check(ok, "wrapped in double quotes" if ok else "not wrapped in double quotes")
