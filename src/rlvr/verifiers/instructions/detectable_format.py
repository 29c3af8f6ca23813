"""``detectable_format:*``: bullets, fixed answers, highlights, sections, JSON, a title.

* ``number_bullet_lists`` (``num_bullets``): exactly that many markdown bullet lines: a line whose
  first non-space character is ``*`` not followed by another ``*``, or ``-``.
* ``constrained_response``: contains one of ``My answer is yes.`` / ``My answer is no.`` /
  ``My answer is maybe.``.
* ``number_highlighted_sections`` (``num_highlights``): at least that many ``*highlighted*`` spans
  (one line, non-blank inside; a ``**bold**`` span counts as well, as in IFEval).
* ``multiple_sections`` (``section_spliter``, ``num_sections``): at least that many section
  headers ``<splitter> <number>`` (``Section 1``, ``SECTION 2``; the splitter is literal text,
  matched with its case).
* ``json_format``: the whole response (one optional `````json`` fence removed) parses as JSON.
  Nesting too deep for the parser fails (value 0) rather than crashing.
* ``title``: a ``<<title>>`` on one line with a non-blank title.
"""

from __future__ import annotations

import json
import re

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["CONSTRAINED_RESPONSES", "count_bullets", "count_highlights", "has_title", "parse_json_response"]

CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
# Asterisks pair up left to right on each line, as IFEval's ``\*[^\n\*]*\*`` does; a blank pair
# matches the first branch (no group), a pair around text the second (its text in the group), so
# ``findall`` yields "" per blank pair without building a string per match.
_HIGHLIGHT = re.compile(r"\*[^\S\n]*\*|\*([^\n*]+)\*")
_BOLD = re.compile(r"\*\*[^\S\n]*\*\*|\*\*([^\n*]+)\*\*")


_BULLET = re.compile(r"^[^\S\n]*(?:-|\*[^*\n])", re.MULTILINE)


def count_bullets(text: str) -> int:
    """Lines starting (after spaces) with ``*`` + a non-``*`` character, or with ``-``."""
    if "-" not in text and "*" not in text:
        return 0
    return len(_BULLET.findall(text))


def count_highlights(text: str) -> int:
    """``*span*`` and ``**span**`` with non-blank content (each kind counted, as IFEval does)."""
    if not text.replace("*", "").strip():
        return 0  # only asterisks and spaces: nothing is highlighted
    count = 0
    for pattern in (_HIGHLIGHT, _BOLD):
        inner = pattern.findall(text)
        count += len(inner) - inner.count("")
    return count


def has_title(text: str) -> bool:
    """A ``<<...>>`` span on one line whose inside is not blank (linear scan)."""
    start = text.find("<<")
    while start >= 0:
        line_end = text.find("\n", start)
        if line_end < 0:
            line_end = len(text)
        end = text.rfind(">>", start + 3, line_end)
        if end >= 0 and text[start:end + 2].lstrip("<").rstrip(">").strip():
            return True
        start = text.find("<<", line_end)
    return False


def parse_json_response(text: str) -> tuple[bool, str]:
    """``(ok, why)``: the response, stripped of one ```json / ``` fence, is a JSON document."""
    value = text.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        if value.startswith(prefix):
            value = value[len(prefix):]
            break
    if value.endswith("```"):
        value = value[:-3]
    value = value.strip()
    try:
        json.loads(value)
    except RecursionError:
        return False, "JSON nested too deeply"
    except ValueError as exc:
        return False, f"not JSON: {str(exc)[:80]}"
    return True, "valid JSON"


@instruction("detectable_format:number_bullet_lists", family="format", kwargs=("num_bullets",))
def number_bullet_lists(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly ``num_bullets`` markdown bullet lines."""
    n = kw.int("num_bullets")
    count = count_bullets(r.text)
    return Check(count == n, f"{count} bullet line(s), needs exactly {n}")


@instruction("detectable_format:constrained_response", family="format")
def constrained_response(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Contains 'My answer is yes.', 'My answer is no.' or 'My answer is maybe.'."""
    text = r.text
    for option in CONSTRAINED_RESPONSES:
        if option in text:
            return Check(True, f"contains {option!r}")
    return Check(False, "none of the allowed answers (My answer is yes./no./maybe.)")


@instruction("detectable_format:number_highlighted_sections", family="format", kwargs=("num_highlights",))
def number_highlighted_sections(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``num_highlights`` markdown-highlighted spans."""
    n = kw.int("num_highlights")
    count = count_highlights(r.text)
    return Check(count >= n, f"{count} highlighted span(s), needs at least {n}")


@instruction("detectable_format:multiple_sections", family="format", kwargs=("section_spliter", "num_sections"))
def multiple_sections(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``num_sections`` headers '<section_spliter> <number>'."""
    splitter = kw.str("section_spliter").strip()
    n = kw.int("num_sections")
    pattern = re.compile(re.escape(splitter) + r"\s?\d+")
    count = sum(1 for _ in pattern.finditer(r.text))
    return Check(count >= n, f"{count} '{splitter} N' header(s), needs at least {n}")


@instruction("detectable_format:json_format", family="format")
def json_format(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The whole response is JSON (a ```json fence allowed)."""
    ok, why = parse_json_response(r.text)
    return Check(ok, why)


@instruction("detectable_format:title", family="format")
def title(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """A title in double angular brackets, <<like this>>."""
    found = has_title(r.text)
    return Check(found, "title <<...>> found" if found else "no <<title>>")
