"""IFBench constraints on words and their order within sentences and paragraphs.

Words here are whitespace-separated tokens with surrounding punctuation removed (empty ones
dropped), lower-cased for comparisons; sentences come from
:func:`~rlvr.verifiers.instructions.text_units.split_sentences`.

* ``words:alphabet``: each word starts with the letter after the previous word's first letter
  (``z`` loops to ``a``); the first word starts with a letter.
* ``words:vowel``: one paragraph (no line break) using at most three distinct vowels (a e i o u).
* ``words:consonants``: every word has two consonant letters in a row.
* ``words:palindrome``: at least 10 words that are palindromes of 5+ characters.
* ``words:prime_lengths``: every word's length is a prime number.
* ``words:repeats`` (``small_n``): no word occurs more than ``small_n`` times.
* ``words:last_first``: at least two sentences, and each sentence's last word is the next
  sentence's first word.
* ``words:paragraph_last_first``: every non-empty line starts and ends with the same word.
* ``words:no_consecutive``: no two consecutive words share their first letter.
* ``words:keywords_specific_position`` (``keyword``, ``n``, ``m``): the ``m``-th word of the
  ``n``-th sentence is the keyword.
* ``words:words_position`` (``keyword``): the second word and the second-to-last word are the keyword.
* ``sentence:alliteration_increment``: each sentence's longest run of consecutive words sharing
  a first letter is longer than the previous sentence's.
* ``sentence:increment`` (``small_n``): each sentence has exactly ``small_n`` more words than the
  previous one.
* ``sentence:keyword`` (``word``, ``N``): the N-th sentence contains the keyword as a whole word.
"""

from __future__ import annotations

from collections import Counter

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.ifbench_count import strip_punct
from rlvr.verifiers.instructions.keywords import find_whole_word
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

_F = "ifbench_words"
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxyz")
_PRIMES = frozenset(p for p in range(2, 200) if all(p % d for d in range(2, int(p ** 0.5) + 1)))


def plain_words(text: str) -> list[str]:
    """Whitespace tokens without surrounding punctuation, lower-cased, empty ones dropped."""
    out = []
    for token in text.split():
        word = strip_punct(token).lower()
        if word:
            out.append(word)
    return out


def _words(r: Response) -> list[str]:
    return r._get("plain_words", lambda: plain_words(r.text))  # type: ignore[no-any-return]


@instruction("words:alphabet", family=_F)
def alphabet_loop(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Words start with consecutive letters of the alphabet, looping after z."""
    ws = _words(r)
    if not ws:
        return Check(False, "no words")
    letter = ws[0][0]
    if not ("a" <= letter <= "z"):
        return Check(False, f"first word {ws[0][:20]!r} does not start with a letter a-z")
    for i, w in enumerate(ws[1:], start=2):
        letter = chr((ord(letter) - 97 + 1) % 26 + 97)
        if w[0] != letter:
            return Check(False, f"word {i} {w[:20]!r} should start with {letter!r}")
    return Check(True, f"{len(ws)} words in alphabet order")


@instruction("words:vowel", family=_F)
def three_vowels(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """One paragraph using at most three distinct vowels."""
    text = r.text.strip()
    if "\n" in text:
        return Check(False, "more than one paragraph (line break)")
    vowels = sorted(set(text.lower()) & set("aeiou"))
    return Check(len(vowels) <= 3, f"vowels used: {''.join(vowels)}")


@instruction("words:consonants", family=_F)
def consonant_clusters(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every word contains two consecutive consonants."""
    ws = _words(r)
    if not ws:
        return Check(False, "no words")
    for w in ws:
        if not any(a in _CONSONANTS and b in _CONSONANTS for a, b in zip(w, w[1:])):
            return Check(False, f"{w[:20]!r} has no consonant cluster")
    return Check(True, "every word has a consonant cluster")


@instruction("words:palindrome", family=_F)
def palindromes(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least 10 palindrome words of 5+ characters."""
    found = [w for w in _words(r) if len(w) >= 5 and w == w[::-1]]
    return Check(len(found) >= 10, f"{len(found)} palindrome(s) of 5+ letters, needs 10")


@instruction("words:prime_lengths", family=_F)
def prime_lengths(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every word has a prime number of characters."""
    ws = _words(r)
    if not ws:
        return Check(False, "no words")
    for w in ws:
        if len(w) not in _PRIMES:
            return Check(False, f"{w[:20]!r} has {len(w)} characters (not prime)")
    return Check(True, "all word lengths are prime")


@instruction("words:repeats", family=_F, kwargs=("small_n",))
def limited_repeats(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """No word more than ``small_n`` times."""
    n = kw.int("small_n")
    counts = Counter(_words(r))
    worst = counts.most_common(1)
    if worst and worst[0][1] > n:
        return Check(False, f"{worst[0][0][:20]!r} occurs {worst[0][1]} times, at most {n} allowed")
    return Check(True, f"no word more than {n} times")


@instruction("words:last_first", family=_F)
def last_first(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Each sentence starts with the previous sentence's last word."""
    sentences = [plain_words(s) for s in r.sentences]
    if len(sentences) < 2:
        return Check(False, "fewer than two sentences")
    for i in range(len(sentences) - 1):
        a, b = sentences[i], sentences[i + 1]
        if not a or not b or a[-1] != b[0]:
            return Check(False, f"sentence {i + 2} does not start with the last word of sentence {i + 1}")
    return Check(True, "every sentence starts with the previous last word")


@instruction("words:paragraph_last_first", family=_F)
def paragraph_last_first(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every paragraph (line) ends with the word it starts with."""
    seen = 0
    for i, line in enumerate(r.text.split("\n"), start=1):
        ws = plain_words(line)
        if not ws:
            continue
        seen += 1
        if ws[0] != ws[-1]:
            return Check(False, f"line {i} starts with {ws[0][:20]!r} and ends with {ws[-1][:20]!r}")
    return Check(seen > 0, "every paragraph ends with its first word" if seen else "no words")


@instruction("words:no_consecutive", family=_F)
def no_consecutive_first_letter(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """No two consecutive words share a first letter."""
    ws = _words(r)
    if not ws:
        return Check(False, "no words")
    for i in range(len(ws) - 1):
        if ws[i][0] == ws[i + 1][0]:
            return Check(False, f"words {i + 1} and {i + 2} both start with {ws[i][0]!r}")
    return Check(True, "no consecutive words share a first letter")


@instruction("words:keywords_specific_position", family=_F, kwargs=("keyword", "n", "m"))
def keyword_specific_position(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The ``m``-th word of sentence ``n`` is ``keyword``."""
    keyword = kw.str("keyword").strip().lower()
    n, m = kw.int("n", minimum=1), kw.int("m", minimum=1)
    sentences = r.sentences
    if len(sentences) < n:
        return Check(False, f"only {len(sentences)} sentence(s), needs sentence {n}")
    ws = plain_words(sentences[n - 1])
    if len(ws) < m:
        return Check(False, f"sentence {n} has {len(ws)} word(s), needs word {m}")
    return Check(ws[m - 1] == keyword, f"word {m} of sentence {n} is {ws[m - 1][:20]!r}, needs {keyword!r}")


@instruction("words:words_position", family=_F, kwargs=("keyword",))
def words_position(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The second word and the second-to-last word are ``keyword``."""
    keyword = kw.str("keyword").strip().lower()
    ws = _words(r)
    if len(ws) < 2:
        return Check(False, "fewer than two words")
    ok = ws[1] == keyword and ws[-2] == keyword
    return Check(ok, f"second word {ws[1][:20]!r}, second-to-last {ws[-2][:20]!r}, needs {keyword!r}")


def _alliteration_run(ws: list[str]) -> int:
    best = run = 1 if ws else 0
    for a, b in zip(ws, ws[1:]):
        run = run + 1 if a[0] == b[0] else 1
        best = max(best, run)
    return best if best >= 2 else 0


@instruction("sentence:alliteration_increment", family=_F)
def alliteration_increment(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Each sentence has a longer alliterative run than the previous one."""
    sentences = r.sentences
    if not sentences:
        return Check(False, "no sentences")
    prev = -1
    for i, s in enumerate(sentences, start=1):
        run = _alliteration_run(plain_words(s))
        if run <= prev:
            return Check(False, f"sentence {i}: alliterative run {run}, previous {prev}")
        prev = run
    return Check(True, f"{len(sentences)} sentence(s) with growing alliteration")


@instruction("sentence:increment", family=_F, kwargs=("small_n",))
def sentence_increment(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Each sentence has exactly ``small_n`` more words than the previous one."""
    n = kw.int("small_n")
    counts = [len(plain_words(s)) for s in r.sentences]
    if not counts:
        return Check(False, "no sentences")
    for i in range(len(counts) - 1):
        if counts[i + 1] != counts[i] + n:
            return Check(False, f"sentence {i + 2} has {counts[i + 1]} words, needs {counts[i] + n}")
    return Check(True, f"word counts {counts[:8]}{'...' if len(counts) > 8 else ''}")


@instruction("sentence:keyword", family=_F, kwargs=("word", "N"))
def sentence_keyword(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Sentence ``N`` contains ``word`` as a whole word."""
    word = kw.str("word").strip()
    n = kw.int("N", minimum=1)
    sentences = r.sentences
    if len(sentences) < n:
        return Check(False, f"only {len(sentences)} sentence(s), needs sentence {n}")
    ok = find_whole_word(sentences[n - 1].lower(), word)
    return Check(ok, f"sentence {n} {'contains' if ok else 'lacks'} {word!r}")
