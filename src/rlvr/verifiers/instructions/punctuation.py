"""``punctuation:no_comma``: no comma anywhere (ASCII ``,``, and the full-width ``，`` and Arabic
``،`` commas, so a model cannot dodge the rule with a look-alike)."""

from __future__ import annotations

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

COMMAS = (",", "\uff0c", "\u060c")


@instruction("punctuation:no_comma", family="punctuation")
def no_comma(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """No comma in the whole response."""
    count = sum(r.text.count(c) for c in COMMAS)
    return Check(count == 0, f"{count} comma(s)" if count else "no comma")
