"""IFBench constraints on layout and templates (``format:*``).

* ``format:parentheses``: brackets ``( [ {`` properly nested at least 5 levels deep.
* ``format:quotes``: quotes within quotes at least 3 levels deep, alternating ``"`` and ``'``
  (an apostrophe between two letters, as in ``don't``, is not a quote).
* ``format:options`` (``options``, e.g. ``"yes/no/maybe"``, ``"a), b), c), d)"``): the whole
  response is one of the options (letter options exactly; text options ignoring case and
  surrounding punctuation).
* ``format:newline``: every non-empty line holds exactly one word.
* ``format:emoji``: every sentence ends with an emoji (before or after its final punctuation).
* ``format:line_indent``: every non-empty line is indented by more spaces than the previous one.
* ``format:quote_unquote``: every ``"quoted phrase"`` is followed by unquoted text.
* ``format:list`` (``sep``): at least two items marked with the separator.
* ``format:thesis``: an italic HTML span (``<i>``/``<em>``) with text, followed by plain text.
* ``format:sub-bullets``: ``*`` bullets, each followed by at least one ``-`` sub-bullet line.
* ``format:no_bullets_bullets``: at least two sentences ending in ``.``, then at least two ``*``
  bullet lines, nothing else after them.
* ``format:title_case``: every word of two or more letters starts with a capital, except the
  minor words (a, an, the, and, of, ...) after the first word.
* ``format:output_template``: ``My Answer:``, ``My Conclusion:``, ``Future Outlook:`` in that order.
* ``format:no_whitespace``: no whitespace character.
"""

from __future__ import annotations

import re

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.ifbench_count import strip_punct
from rlvr.verifiers.instructions.ifbench_words import plain_words
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

_F = "ifbench_format"
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}
MINOR_WORDS = frozenset("a an the and but or nor for so yet as at by in of on to up via per from with into onto over".split())


def is_emoji(ch: str) -> bool:
    """A pictographic emoji code point (emoticons, symbols and pictographs, dingbats, flags)."""
    cp = ord(ch)
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x231A, 0x231B, 0x2328, 0x23CF, 0x24C2, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x23E9 <= cp <= 0x23FA
    )


@instruction("format:parentheses", family=_F)
def nested_brackets(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Brackets nested at least 5 levels deep."""
    stack: list[str] = []
    best = 0
    for ch in r.text:
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch in _CLOSE:
            if stack and stack[-1] == ch:
                best = max(best, len(stack))
                stack.pop()
                if best >= 5:
                    return Check(True, "brackets nested 5+ levels")
            else:
                stack.clear()
    return Check(False, f"deepest closed nesting {best} level(s), needs 5")


@instruction("format:quotes", family=_F)
def nested_quotes(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Quotes within quotes, 3+ levels, alternating double and single."""
    text = r.text
    stack: list[str] = []
    best = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch not in "\"'":
            continue
        if ch == "'" and 0 < i < n - 1 and text[i - 1].isalpha() and text[i + 1].isalpha():
            continue  # apostrophe
        if stack and stack[-1] == ch:
            best = max(best, len(stack))
            stack.pop()
            if best >= 3:
                return Check(True, "quotes nested 3+ levels")
        else:
            stack.append(ch)
    return Check(False, f"deepest closed quote nesting {best} level(s), needs 3")


def _options(raw: str | list[str]) -> tuple[list[str], bool]:
    if isinstance(raw, list):
        raw = ", ".join(raw)
    strict = re.match(r"\W*[aA]\W*[bB]\W*[cC]", raw) is not None
    if "/" in raw:
        parts = raw.split("/")
    elif " or " in raw:
        parts = raw.split(" or ")
    else:
        parts = raw.split(",")
    return [p.strip() for p in parts if p.strip()], strict


@instruction("format:options", family=_F, kwargs=("options",))
def options_response(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The response is exactly one of the options."""
    raw = kw.raw("options")
    options, strict = _options(kw.str_list("options") if isinstance(raw, (list, tuple)) else kw.str("options"))
    value = r.text.strip()
    if strict:
        ok = value in options
    else:
        norm = strip_punct(value).lower()
        ok = any(strip_punct(o).lower() == norm for o in options)
    return Check(ok, "answer is one of the options" if ok else f"answer is not one of {options}")


@instruction("format:newline", family=_F)
def word_per_line(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """One word per line."""
    lines = [plain_words(line) for line in r.text.split("\n")]
    lines = [ws for ws in lines if ws]
    if not lines:
        return Check(False, "no words")
    bad = next((i for i, ws in enumerate(lines, start=1) if len(ws) != 1), None)
    if bad is not None:
        return Check(False, f"line {bad} holds {len(lines[bad - 1])} words")
    return Check(True, f"{len(lines)} lines of one word")


@instruction("format:emoji", family=_F)
def emoji_sentences(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every sentence ends with an emoji."""
    sentences = r.sentences
    if not sentences:
        return Check(False, "no sentences")
    for i, s in enumerate(sentences):
        tail = s.rstrip(" .!?\"')\u201d\u2019\ufe0f")
        if tail and is_emoji(tail[-1]):
            continue
        # a splitter ends the sentence at the dot and gives the emoji to the next one: "Hi. 😀 Next"
        if i + 1 < len(sentences) and is_emoji(sentences[i + 1].lstrip()[0]):
            continue
        return Check(False, f"sentence {i + 1} does not end with an emoji")
    return Check(True, "every sentence ends with an emoji")


@instruction("format:line_indent", family=_F)
def indent_stairs(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Each non-empty line is indented more than the previous one."""
    indents = [len(line) - len(line.lstrip(" ")) for line in r.text.split("\n") if line.strip()]
    if len(indents) < 2:
        return Check(False, "fewer than two lines")
    for i in range(len(indents) - 1):
        if indents[i + 1] <= indents[i]:
            return Check(False, f"line {i + 2} indented {indents[i + 1]}, previous {indents[i]}")
    return Check(True, "indentation grows on every line")


@instruction("format:quote_unquote", family=_F)
def quote_explanation(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every quoted phrase is followed by an unquoted explanation."""
    text = r.text.replace("\u201c", '"').replace("\u201d", '"')
    parts = text.split('"')
    if len(parts) < 3:
        return Check(False, "no quoted phrase")
    if len(parts) % 2 == 0:
        return Check(False, "unbalanced double quotes")
    # parts at odd indexes are quoted; the part after each must hold an explanation
    for i in range(1, len(parts), 2):
        after = parts[i + 1]
        if not any(c.isalnum() for c in after):
            return Check(False, f"quoted phrase {i // 2 + 1} is not followed by an explanation")
    return Check(True, "every quote is explained")


@instruction("format:list", family=_F, kwargs=("sep",))
def special_bullets(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least two list items marked by ``sep``."""
    sep = kw.str("sep").strip()
    count = r.text.count(sep)
    return Check(count >= 2, f"{count} {sep!r} marker(s), needs at least 2")


_ITALIC = re.compile(r"<(i|em)>(.*?)</\1>", re.S)


@instruction("format:thesis", family=_F)
def italics_thesis(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """An italic (HTML) thesis statement followed by text."""
    m = _ITALIC.search(r.text)
    if m is None:
        return Check(False, "no <i>...</i> or <em>...</em> thesis")
    if not m.group(2).strip():
        return Check(False, "empty italic thesis")
    if not r.text[m.end():].strip():
        return Check(False, "nothing after the thesis")
    return Check(True, "italic thesis followed by text")


@instruction("format:sub-bullets", family=_F)
def sub_bullets(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """``*`` bullets each followed by at least one ``-`` sub-bullet."""
    bullets = 0
    pending = False
    for line in r.text.split("\n"):
        s = line.strip()
        if s.startswith("*") and not s.startswith("**"):
            if pending:
                return Check(False, f"bullet {bullets} has no '-' sub-bullet")
            bullets += 1
            pending = True
        elif s.startswith("-") and bullets:
            pending = False
    if not bullets:
        return Check(False, "no '*' bullet")
    if pending:
        return Check(False, f"bullet {bullets} has no '-' sub-bullet")
    return Check(True, f"{bullets} bullet(s), each with sub-bullets")


@instruction("format:no_bullets_bullets", family=_F)
def sentences_then_bullets(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Two or more sentences ending in '.', then two or more '*' bullets."""
    from rlvr.verifiers.instructions.text_units import split_sentences

    prose: list[str] = []
    bullets = 0
    for line in r.text.split("\n"):
        s = line.strip()
        if not s:
            continue
        if s.startswith("*"):
            bullets += 1
        elif bullets:
            return Check(False, "text after the bullet points")
        else:
            prose.append(s)
    periods = sum(1 for s in split_sentences("\n".join(prose)) if s.endswith("."))
    if periods < 2:
        return Check(False, f"{periods} sentence(s) ending in '.' before the bullets, needs 2")
    return Check(bullets >= 2, f"{bullets} bullet(s), needs at least 2")


@instruction("format:title_case", family=_F)
def title_case(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Title Case: major words capitalised."""
    seen = False
    for token in re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", r.text):
        first = not seen
        seen = True
        if len(token) < 2 or not token[0].isalpha():
            continue
        if token[0].isupper():
            continue
        if not first and token.lower() in MINOR_WORDS:
            continue
        return Check(False, f"{token[:20]!r} is not capitalised")
    return Check(seen, "title case" if seen else "no words")


@instruction("format:output_template", family=_F)
def output_template(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """My Answer: ... My Conclusion: ... Future Outlook: ..."""
    text = r.text
    pos = 0
    for label in ("My Answer:", "My Conclusion:", "Future Outlook:"):
        found = text.find(label, pos)
        if found < 0:
            return Check(False, f"missing {label!r} (in order)")
        pos = found + len(label)
    return Check(True, "template followed")


@instruction("format:no_whitespace", family=_F)
def no_whitespace(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """No whitespace at all."""
    text = r.text
    ok = bool(text) and not any(c.isspace() for c in text)
    return Check(ok, "no whitespace" if ok else "contains whitespace (or is empty)")
