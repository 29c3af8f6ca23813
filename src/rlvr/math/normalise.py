"""Normalisation applied identically to gold and prediction before any comparison.

:func:`normalise_answer` gives the canonical text of an answer; it first folds Unicode
look-alikes with :func:`fold_lookalikes`.

Look-alikes: models and datasets write ``−5`` (U+2212 MINUS SIGN), ``–5`` (en dash), ``５``
(fullwidth digit), ``1 000`` with a no-break or thin space, ``（1，2）`` with fullwidth
punctuation. These mean exactly what their ASCII counterparts mean. What is folded:

* minus look-alikes to ``-``: U+2212 minus sign, U+2010/U+2011 hyphens, U+2012 figure dash,
  U+2013 en dash, U+2014 em dash, U+FE63 small hyphen-minus, U+FF0D fullwidth hyphen-minus;
  U+FF0B fullwidth plus to ``+``;
* every Unicode decimal digit (category Nd: fullwidth ``０-９``, Arabic-Indic, Devanagari,
  mathematical bold/monospace digits, ...) to its ASCII digit;
* fullwidth ASCII punctuation and operators (U+FF01-U+FF5E except letters) to ASCII;
* space look-alikes (no-break, thin, narrow no-break, figure, en/em spaces, ideographic space)
  to a plain space; zero-width characters (U+200B-U+200D, U+2060, U+FEFF) are dropped.

What is **not** folded: letters. A Cyrillic ``х`` or Greek ``ο`` that looks like a Latin ``x``
or ``o`` stays what it is (and does not match ``x``), as do fullwidth letters; NFKC is not
applied because it would also turn ``x²`` into ``x2`` and ``𝑥`` into ``x``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["HAS_DELIMITERS", "PROSE", "compact", "fold_lookalikes", "normalise_answer"]


# --------------------------------------------------------------------------- look-alikes
_MINUS = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): "-" for c in _MINUS}
    table.update({ord(c): " " for c in _SPACES})
    table.update({ord(c): None for c in _ZERO_WIDTH})
    for code in range(0xFF01, 0xFF5F):  # fullwidth forms of ASCII 0x21-0x7E
        ascii_char = chr(code - 0xFEE0)
        if not ascii_char.isalpha():
            table[code] = ascii_char
    return table


_TABLE = _table()


def fold_lookalikes(text: str) -> str:
    """``text`` with Unicode minus signs, digits, fullwidth punctuation and spaces folded to
    ASCII (see the module docstring); letters are never changed. ASCII text is returned as is."""
    if text.isascii():
        return text
    text = text.translate(_TABLE)
    if text.isascii():
        return text
    out = []
    for ch in text:
        if not ch.isascii() and ch.isdecimal():
            digit = unicodedata.decimal(ch, None)
            out.append(str(digit) if digit is not None else ch)
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- normalisation
_SPACING = re.compile(r"(?<!\\)\\[,;:! ]|\\q?quad(?![a-zA-Z])|~")
_CONJUNCTION = re.compile(r"\s*(?:\\text\{\s*(?:and|or)\s*\}|(?<![A-Za-z\\])(?:and|or)(?![A-Za-z]))\s*")
_DOUBLE_COMMA = re.compile(r"(?:\s*,\s*){2,}")
_DOLLAR_ITEM = re.compile(r"\$([^$]+)\$")
_DOLLAR_LIST = re.compile(r"\$[^$]+\$(?:\s*(?:,|and|or)\s*\$[^$]+\$)+")
_THOUSANDS = re.compile(r"(?<=\d)(?:,\\!\s*|\{,\}\s*)(?=\d)")
_NEG_SPACE = re.compile(r"(?<!\\)\\!")
_LEFT_RIGHT = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])")
_FRAC_VARIANTS = re.compile(r"\\[dt]frac(?![a-zA-Z])")
_DISPLAY = re.compile(r"\\(?:displaystyle|textstyle)(?![a-zA-Z])")
_WS = re.compile(r"\s+")
#: two words in a row: prose, not maths
PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}(?![A-Za-z])")
#: math delimiters or boxes inside the text (a sentence with inline maths)
HAS_DELIMITERS = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")


def normalise_answer(s: str) -> str:
    """Canonical text of an answer, applied identically to gold and prediction.

    Unicode look-alikes of minus signs, digits, fullwidth punctuation and spaces are folded to
    ASCII first (:func:`fold_lookalikes`; letters never are).
    Drops math delimiters (``$``, ``\\(`` ``\\)``, ``\\[`` ``\\]``) and escaped dollars,
    ``\\left``/``\\right``, ``\\displaystyle``, LaTeX spacing; ``\\dfrac``/``\\tfrac`` become
    ``\\frac``; newlines become spaces (inline math cannot span lines); runs of whitespace
    collapse to one space; ``\\!`` is dropped; a trailing full stop is dropped. A text that
    still holds math delimiters or boxes after the outer ones are removed (a sentence with
    inline maths) is only stripped.
    """
    s = fold_lookalikes(s).strip()
    s = s.replace("\\$", "")
    if _DOLLAR_LIST.fullmatch(s):  # "$1$ and $2$ and $3$" -> "1, 2, 3"
        s = ", ".join(x.strip() for x in _DOLLAR_ITEM.findall(s))
    if s.startswith("$$") and s.endswith("$$") and len(s) >= 4:
        s = s[2:-2]
    elif s.startswith("$") and s.endswith("$") and len(s) >= 2:
        s = s[1:-1]
    if (s.startswith("\\(") and s.endswith("\\)")) or (s.startswith("\\[") and s.endswith("\\]")):
        s = s[2:-2]
    if HAS_DELIMITERS.search(s):
        # a text with math inside (several $...$, boxes): math-verify finds the maths itself;
        # its layout (newlines) matters to that search, so it is left as written
        return s.strip()
    s = _DISPLAY.sub("", s)
    s = _THOUSANDS.sub(",", s)  # 11,\!111 and 11{,}111 are digit grouping
    s = _NEG_SPACE.sub("", s)
    s = _LEFT_RIGHT.sub("", s)
    s = _FRAC_VARIANTS.sub(r"\\frac", s)
    s = _SPACING.sub(" ", s)
    s = _WS.sub(" ", s).strip()
    if _CONJUNCTION.search(s) and not PROSE.search(_CONJUNCTION.sub(", ", s)):
        s = _DOUBLE_COMMA.sub(", ", _CONJUNCTION.sub(", ", s)).strip(" ,")
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    return s


def compact(s: str) -> str:
    """``s`` without spaces and ``{,}`` digit-group marks (for string equality)."""
    return s.replace(" ", "").replace("{,}", "")
