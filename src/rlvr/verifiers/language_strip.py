"""Remove what is not prose before counting words: code, LaTeX math, LaTeX commands, URLs, tags.

A chain of thought about mathematics or programming is full of tokens that belong to no human
language (``$\\frac{a}{b}$``, ``for i in range(n):``). Counted as words they would make a Chinese
chain of thought look partly English. :func:`strip_non_prose` removes them; prose that LaTeX
carries (``\\text{...}``, ``\\textbf{...}``, ``\\mbox{...}``, ``\\intertext{...}``) is kept, so a
policy cannot hide an English sentence inside ``$\\text{...}$``.

What is removed (each replaced by one space):

* fenced code blocks (```` ``` ```` or ``~~~``; an unterminated fence runs to the end of the text,
  the usual shape of a completion cut off by the token limit) and inline ``code`` spans on one line;
* display and inline math: ``$$...$$``, ``$...$`` (single paragraph, at most 2,000 characters),
  ``\\[...\\]``, ``\\(...\\)``, ``\\begin{env}...\\end{env}``; an opener without its closer is
  removed alone and the text after it is kept (``it costs $5`` keeps ``it costs 5``);
* remaining LaTeX commands (``\\frac``, ``\\times``), URLs, and markup tags (``<answer>``, ``</b>``).

Linear time: every closer is located with one ``str.find`` from the opener, and only after a
single ``rfind`` has proved that a closer exists further on, so hostile text (a megabyte of
``\\(`` without ``\\)``) costs one pass.
"""

from __future__ import annotations

import regex

__all__ = ["strip_non_prose"]

_OPENER = regex.compile(r"```|~~~|\$\$|\$|\\\[|\\\(|\\begin\{([A-Za-z*]{1,40})\}|`")
_END_ENV = regex.compile(r"\\end\{([A-Za-z*]{1,40})\}")
_TEXT_IN_MATH = regex.compile(r"\\(?:text|textrm|textbf|textit|textsf|textnormal|mbox|intertext)\s*\{([^{}\\]*)\}")
_URL = regex.compile(r"(?:https?|ftp)://\S+|www\.\S+")
_COMMAND = regex.compile(r"\\[A-Za-z]+\*?")
_TAG = regex.compile(r"</?[A-Za-z][A-Za-z0-9_-]{0,30}(?:\s[^<>\n]{0,200})?/?>")

_PAIRED = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}
_FENCES = ("```", "~~~")
_INLINE_MATH_MAX = 2000


def _prose_inside_math(span: str) -> str:
    """The ``\\text{...}``-style prose inside a removed math span (joined by spaces)."""
    if "\\" not in span:
        return ""
    return " ".join(_TEXT_IN_MATH.findall(span))


def strip_non_prose(text: str, *, code: bool = True, math: bool = True) -> str:
    """``text`` with code, math, LaTeX commands, URLs and tags replaced by spaces.

    Args:
        text: any string (lone surrogates and control characters are fine).
        code: remove fenced code blocks and inline code spans.
        math: remove LaTeX math (keeping ``\\text{...}`` prose) and LaTeX commands.
    """
    if not text:
        return ""
    if code or math:
        text = _strip_spans(text, code=code, math=math)
    text = _URL.sub(" ", text)
    if math and "\\" in text:
        text = _COMMAND.sub(" ", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def _strip_spans(text: str, *, code: bool, math: bool) -> str:
    # Last position of every closer, so a missing closer is known without scanning (linear time).
    last: dict[str, int] = {}

    def last_of(closer: str) -> int:
        pos = last.get(closer)
        if pos is None:
            pos = last[closer] = text.rfind(closer)
        return pos

    last_env: dict[str, int] | None = None
    out: list[str] = []
    keep_from = 0
    pos = 0
    n = len(text)
    search = _OPENER.search
    while pos < n:
        m = search(text, pos)
        if m is None:
            break
        opener = m.group(0)
        start, after = m.start(), m.end()
        end = -1  # end of the removed span (exclusive); -1: keep the opener as text
        keep_inside = ""
        if opener in _FENCES:
            if code:
                close = text.find(opener, after) if last_of(opener) >= after else -1
                end = n if close < 0 else close + len(opener)
        elif opener == "`":
            if code:
                close = text.find("`", after)
                if close >= 0 and "\n" not in text[after:close]:
                    end = close + 1
        elif not math:
            pass
        elif opener == "$":
            close = text.find("$", after)
            if close >= 0 and close - after <= _INLINE_MATH_MAX and "\n\n" not in text[after:close]:
                end = close + 1
                keep_inside = _prose_inside_math(text[after:close])
        elif opener in _PAIRED:
            closer = _PAIRED[opener]
            if last_of(closer) >= after:
                close = text.find(closer, after)
                end = close + len(closer)
                keep_inside = _prose_inside_math(text[after:close])
        else:  # \begin{env}
            if last_env is None:
                last_env = {}
                for em in _END_ENV.finditer(text):
                    last_env[em.group(1)] = em.start()
            env = m.group(1)
            if last_env.get(env, -1) >= after:
                closer = "\\end{" + env + "}"
                close = text.find(closer, after)
                end = close + len(closer)
                keep_inside = _prose_inside_math(text[after:close])
        if end < 0:
            if math and opener not in _FENCES and opener != "`":
                # an opener without closer: drop the opener itself, keep the text after it
                out.append(text[keep_from:start])
                out.append(" ")
                keep_from = after
            pos = after
            continue
        out.append(text[keep_from:start])
        out.append(" ")
        if keep_inside:
            out.append(keep_inside)
            out.append(" ")
        keep_from = pos = end
    out.append(text[keep_from:])
    return "".join(out)
