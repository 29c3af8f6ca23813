"""Finding code in a completion: the answer region and its fenced code blocks (linear time).

* :func:`answer_region`: :func:`rlvr.parsing.split`'s answer region with its defaults: the text
  after the last ``</think>`` when the completion has one; ``None`` (no answer yet) when a
  ``<think>`` block was opened but never closed; otherwise the whole text.
* :func:`fenced_blocks`: every triple-backtick block as ``(language, body)``. A fence opens at
  any ```` ``` ```` (also mid-line, e.g. ``<answer>```python``), its language is the first word
  of the rest of that line, and it closes at the next ```` ``` ````. Blocks of other languages
  are skipped whole, so their closing fences are never mistaken for openings.
* :func:`extract_code`: the body of the **last** block whose language equals ``language``
  exactly (``py`` is not ``python``; ``python3`` is not ``python``); ``None`` if there is none.
"""

from __future__ import annotations

from rlvr.parsing import TagSpec, split

__all__ = ["answer_region", "extract_code", "fenced_blocks"]

FENCE = "```"


def answer_region(text: str, think_tag: str = "think") -> str | None:
    """The text code is searched in (see the module docstring); ``None``: reasoning never ended."""
    return split(text, TagSpec.from_names(think_tag, None)).region_text


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    pos = 0
    n = len(text)
    while pos < n:
        start = text.find(FENCE, pos)
        if start < 0:
            break
        info_start = start + len(FENCE)
        while info_start < n and text[info_start] == "`":  # longer fences: ```` or more
            info_start += 1
        eol = text.find("\n", info_start)
        if eol < 0:
            break
        info = text[info_start:eol].strip()
        if FENCE in info:  # ```code``` on one line: not a block opening
            pos = info_start + info.find(FENCE) + len(FENCE)
            continue
        end = text.find(FENCE, eol + 1)
        if end < 0:
            break  # unclosed block: not a block
        language = info.split()[0] if info else ""
        blocks.append((language, text[eol + 1:end]))
        pos = end + len(FENCE)
        while pos < n and text[pos] == "`":
            pos += 1
    return blocks


def extract_code(text: str, language: str = "python", *, think_tag: str = "think") -> str | None:
    region = answer_region(text, think_tag)
    if region is None:
        return None
    found = None
    for lang, body in fenced_blocks(region):
        if lang == language and body.strip():
            found = body
    return found
