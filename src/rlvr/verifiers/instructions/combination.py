"""``combination:*``: two different responses, or the prompt repeated before the answer.

* ``two_responses``: the response holds exactly two non-blank parts separated by ``******``
  (an empty part is allowed only before the first or after the last separator), and the two
  differ (after stripping).
* ``repeat_prompt`` (``prompt_to_repeat``): the response starts with the prompt to repeat
  (case-insensitive, surrounding whitespace ignored).
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response


@instruction("combination:two_responses", family="combination")
def two_responses(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Two different responses separated by six asterisks."""
    parts = r.text.split("******")
    kept = []
    for i, part in enumerate(parts):
        if part.strip():
            kept.append(part.strip())
        elif 0 < i < len(parts) - 1:
            return Check(False, f"empty response between separators (part {i + 1})")
    if len(kept) != 2:
        return Check(False, f"{len(kept)} response(s) separated by ******, needs 2")
    if kept[0] == kept[1]:
        return Check(False, "the two responses are identical")
    return Check(True, "two different responses")


@instruction("combination:repeat_prompt", family="combination", kwargs=("prompt_to_repeat",))
def repeat_prompt(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Starts by repeating ``prompt_to_repeat`` word for word (case-insensitive)."""
    prompt = kw.str("prompt_to_repeat").strip().lower()
    ok = r.lower.strip().startswith(prompt)
    return Check(ok, "starts with the prompt" if ok else "does not start with the prompt to repeat")
