"""Fold Unicode look-alikes of ASCII maths notation (minus signs, digits, spaces) to ASCII.

Models and datasets write ``−5`` (U+2212 MINUS SIGN), ``–5`` (en dash), ``５`` (fullwidth
digit), ``1 000`` with a no-break or thin space, ``（1，2）`` with fullwidth punctuation. These
mean exactly what their ASCII counterparts mean, so gold and prediction are both folded
before any comparison (:func:`rlvr.verifiers.math_equivalence.normalise_answer` calls this).

What is folded:

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

import unicodedata

__all__ = ["fold_lookalikes"]

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
