"""Counting units shared by the instruction checkers: words, sentences, paragraphs, lines.

Every function is linear in the length of the text (no regex that can backtrack
quadratically on hostile input: runs of punctuation are matched only at their start).

* a **word** is a run of word characters (``\\w+``, any script, digits and ``_`` included),
  the unit IFEval counts for ``length_constraints:number_words``;
* a **sentence** ends at ``.``, ``!``, ``?`` (or a run of them, optionally followed by closing
  quotes/brackets) followed by whitespace or the end of the text, unless the word before the
  dot is a common abbreviation (``Mr.``, ``Dr.``, ``e.g.``, ``etc.``) or a single capital
  letter (an initial); CJK full stops always end a sentence. A text without a terminator that
  has words is one sentence;
* **paragraphs** are separated by blank lines (``\\n\\n``), or by ``***`` markdown dividers
  for ``length_constraints:number_paragraphs``.
"""

from __future__ import annotations

import re
import string

__all__ = [
    "ABBREVIATIONS",
    "Response",
    "count_capital_words",
    "count_sentences",
    "count_words",
    "split_paragraphs",
    "split_sentences",
    "word_tokens",
    "words",
]

_WORD = re.compile(r"\w+")
#: Words with inner apostrophes/hyphens/periods: ``don't``, ``U.S``, ``well-known``.
_TOKEN = re.compile(r"\w+(?:['\u2019.\-]\w+)*")
#: Tokens that do not start with a lowercase ASCII letter: the only ones that can be all capitals.
_CAPITAL_CANDIDATE = re.compile(r"[^\W_a-z](?<!\w\w)\w*(?:['\u2019.\-]\w+)*")
#: A whitespace character right after a terminator or a closing quote/bracket: the scan jumps from
#: whitespace to whitespace, so a megabyte without spaces (dots, brackets) costs one class search.
_WS_AFTER_END = re.compile(r"\s(?<=[.!?\"')\]\u201d\u2019]\s)")
_CLOSER_CHARS = "\"')]\u201d\u2019"
#: With CJK text: the last terminator of a run followed by whitespace or the end, or a CJK full stop.
_END_CJK = re.compile(r"[.!?][\"')\]\u201d\u2019]*(?=\s|\Z)|[\u3002\uff01\uff1f](?![\u3002\uff01\uff1f])")
_CJK_ENDERS = ("\u3002", "\uff01", "\uff1f")

ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "inc", "ltd", "co", "vs", "etc", "e.g", "i.e",
     "fig", "vol", "approx", "dept", "no")
)


_NOT_WORD_ASCII = string.punctuation + string.whitespace


def has_word(text: str, pos: int = 0) -> bool:
    """Whether ``text[pos:]`` holds a word character; ASCII text is decided by ``str.strip`` in C
    (a megabyte of punctuation costs about a millisecond, not a regex scan)."""
    rest = text[pos:] if pos else text
    if rest.isascii():
        core = rest.strip(_NOT_WORD_ASCII)
        if not core:
            return False
        if core[0].isalnum() or core[0] == "_":
            return True
    return _WORD.search(rest) is not None


def words(text: str) -> list[str]:
    """The ``\\w+`` runs of ``text``."""
    return _WORD.findall(text)


def _count(pattern: re.Pattern[str], text: str, limit: int | None) -> int:
    if not has_word(text):
        return 0
    if limit is None:
        return len(pattern.findall(text))
    n = 0
    for _ in pattern.finditer(text):
        n += 1
        if n >= limit:
            break
    return n


def count_words(text: str, limit: int | None = None) -> int:
    """Number of ``\\w+`` runs (IFEval's word count), counting stops at ``limit`` when given."""
    return _count(_WORD, text, limit)


def word_tokens(text: str) -> list[str]:
    """Words keeping inner apostrophes, hyphens and periods (``don't``, ``U.S``, ``state-of-the-art``)."""
    return _TOKEN.findall(text)


def count_capital_words(text: str, limit: int | None = None) -> int:
    """Words written in capitals (``str.isupper``; a possessive ``'s`` is ignored: ``AI's`` counts).
    Counting stops at ``limit`` when given."""
    n = 0
    if text.lower() == text:
        return 0  # no capital letter at all
    for m in _CAPITAL_CANDIDATE.finditer(text):
        token = m.group(0)
        if token.endswith(("'s", "\u2019s")):
            token = token[:-2]
        if token.isupper():
            n += 1
            if limit is not None and n >= limit:
                break
    return n


def _is_abbreviation(text: str, dot: int) -> bool:
    """The ``.`` at ``dot`` closes a known abbreviation (``Mr.``, ``e.g.``) or a capital initial."""
    j = dot
    while j > 0 and dot - j < 8 and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
    if j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        return False  # part of a longer word (or longer than any abbreviation)
    token = text[j:dot].strip(".")
    if not token:
        return False
    return token.lower() in ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _sentence_ends(text: str):  # type: ignore[no-untyped-def]
    """``(start, end)`` of each sentence end, abbreviations and initials skipped."""
    if any(c in text for c in _CJK_ENDERS):
        for m in _END_CJK.finditer(text):
            start = m.start()
            if text[start] == "." and _is_abbreviation(text, start):
                continue
            yield start, m.end()
        return
    for m in _WS_AFTER_END.finditer(text):
        end = m.start()
        j = end - 1
        while j > 0 and end - j < 8 and text[j] in _CLOSER_CHARS:
            j -= 1
        ch = text[j]
        if ch not in ".!?" or (ch == "." and _is_abbreviation(text, j)):
            continue
        while j > 0 and text[j - 1] in ".!?":  # the run's first terminator (for "?!" and "...")
            j -= 1
        yield j, end
    # a final terminator needs no end marker: the text after the last end is the last sentence


def count_sentences(text: str, limit: int | None = None) -> int:
    """Number of sentences (see the module docstring), without building them; counting stops at
    ``limit`` when given. A piece without any word character is not a sentence."""
    if not any(c in text for c in ".!?\u3002\uff01\uff1f"):
        return 1 if has_word(text) else 0
    n = 0
    last = 0
    for start, end in _sentence_ends(text):
        if _WORD.search(text, last, start + 1):
            n += 1
            if limit is not None and n >= limit:
                return n
        last = end
    if has_word(text, last):
        n += 1
    return n


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (see the module docstring), stripped; pieces without a word dropped."""
    out: list[str] = []
    start = 0
    for _, end in _sentence_ends(text):
        piece = text[start:end].strip()
        if piece and _WORD.search(piece):
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail and _WORD.search(tail):
        out.append(tail)
    return out


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs (``\\n`` + optional spaces + ``\\n``), stripped, empty dropped."""
    return [p.strip() for p in _BLANK_LINE.split(text) if p.strip()]


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class Response:
    """A response and its lazily computed units, shared by all constraints of one row
    (a megabyte is split into words once, not once per constraint)."""

    __slots__ = ("text", "_cache")

    def __init__(self, text: str):
        self.text = text
        self._cache: dict[str, object] = {}

    def _get(self, key: str, make):  # type: ignore[no-untyped-def]
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = make()
        return value

    @property
    def lower(self) -> str:
        return self._get("lower", self.text.lower)  # type: ignore[return-value]

    @property
    def words(self) -> list[str]:
        return self._get("words", lambda: words(self.text))  # type: ignore[return-value]

    @property
    def tokens(self) -> list[str]:
        return self._get("tokens", lambda: word_tokens(self.text))  # type: ignore[return-value]

    def count_sentences(self, limit: int | None = None) -> int:
        """Sentences, counting stopped at ``limit`` (enough to compare with a threshold)."""
        if "sentences" in self._cache:
            return len(self.sentences)
        return count_sentences(self.text, limit)

    def count_words(self, limit: int | None = None) -> int:
        """``\\w+`` words, counting stopped at ``limit``."""
        if "words" in self._cache:
            return len(self.words)
        return count_words(self.text, limit)

    def count_capital_words(self, limit: int | None = None) -> int:
        """All-capital words, counting stopped at ``limit``."""
        return count_capital_words(self.text, limit)

    @property
    def sentences(self) -> list[str]:
        return self._get("sentences", lambda: split_sentences(self.text))  # type: ignore[return-value]

    @property
    def lines(self) -> list[str]:
        return self._get("lines", self.text.splitlines)  # type: ignore[return-value]

    @property
    def paragraphs(self) -> list[str]:
        return self._get("paragraphs", lambda: split_paragraphs(self.text))  # type: ignore[return-value]
