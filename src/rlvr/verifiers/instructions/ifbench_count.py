"""IFBench (allenai, 2025) out-of-distribution constraints that count or compare quantities.

Written from the constraint descriptions; where the public checker and its description disagree
the description wins and the difference is stated (see docs/ifeval.md).

* ``count:word_count_range`` (``min_words``, ``max_words``): ``\\w+`` words within the range.
* ``count:unique_word_count`` (``N``): at least N distinct words (lower-cased).
* ``count:conjunctions`` (``small_n``): at least that many distinct coordinating conjunctions
  (and, but, for, nor, or, so, yet).
* ``count:person_names`` (``N``): at least N distinct names from the constraint's fixed list of
  50 first names, as whole words.
* ``count:numbers`` (``N``): exactly N numbers (digit runs; ``1,000`` and ``3.14`` are one number).
* ``count:punctuation``: each of ``. , ! ? ; :`` at least once plus an interrobang (``?!``, ``!?``
  or ``‽``).
* ``count:keywords_multiple`` (``keyword1`` .. ``keyword5``): exactly 1, 2, 3, 5, 7 occurrences
  (case-insensitive).
* ``count:pronouns`` (``N``): at least N pronouns (personal, possessive, reflexive,
  demonstrative, interrogative, indefinite).
* ``count:words_japanese`` (``N``): every N-th word (whitespace-separated, numbers ignored)
  contains Japanese (kana or kanji).
* ``ratio:sentence_type``: declarative (``.``) sentences are exactly twice the interrogative
  (``?``) ones, with at least one question.
* ``ratio:sentence_balance``: as many ``.`` as ``?`` as ``!`` sentences, at least one each.
* ``ratio:sentence_words``: exactly three sentences of equal length in characters, no word
  used in two of them.
* ``ratio:overlap`` (``reference_text``, ``percentage``): the share of the response's character
  trigrams found in the reference is within ``percentage`` +/- 2 points.
"""

from __future__ import annotations

import re
import string

from rlvr.verifiers.instructions.base import BadKwargs, Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response, words

_F = "ifbench_count"
_PUNCT = string.punctuation + "\u201c\u201d\u2018\u2019"
CONJUNCTIONS = frozenset({"and", "but", "for", "nor", "or", "so", "yet"})
PERSON_NAMES = frozenset(
    "Emma Liam Sophia Jackson Olivia Noah Ava Lucas Isabella Mason Mia Ethan Charlotte Alexander Amelia "
    "Benjamin Harper Leo Zoe Daniel Chloe Samuel Lily Matthew Grace Owen Abigail Gabriel Ella Jacob "
    "Scarlett Nathan Victoria Elijah Layla Nicholas Audrey David Hannah Christopher Penelope Thomas Nora "
    "Andrew Aria Joseph Claire Ryan Stella Jonathan".split()
)
PRONOUNS = frozenset(
    "i me we us you he him she her it they them my mine our ours your yours his hers its their theirs "
    "myself ourselves yourself yourselves himself herself itself themselves this that these those who whom "
    "whose which what whoever whomever whatever whichever anybody anyone anything everybody everyone "
    "everything nobody nothing somebody someone something each either neither both all some any none".split()
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


def strip_punct(word: str) -> str:
    return word.strip(_PUNCT + " ")


@instruction("count:word_count_range", family=_F, kwargs=("min_words", "max_words"))
def word_count_range(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Between ``min_words`` and ``max_words`` words (inclusive)."""
    lo, hi = kw.int("min_words"), kw.int("max_words")
    if lo > hi:
        raise BadKwargs(f"count:word_count_range: min_words {lo} > max_words {hi}")
    n = len(r.words)
    return Check(lo <= n <= hi, f"{n} word(s), needs {lo}..{hi}")


@instruction("count:unique_word_count", family=_F, kwargs=("N",))
def unique_word_count(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``N`` distinct words."""
    n = kw.int("N")
    unique = len({w.lower() for w in r.tokens})
    return Check(unique >= n, f"{unique} distinct word(s), needs at least {n}")


@instruction("count:conjunctions", family=_F, kwargs=("small_n",))
def conjunctions(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``small_n`` different coordinating conjunctions."""
    n = kw.int("small_n")
    used = sorted(CONJUNCTIONS.intersection(w.lower() for w in r.words))
    return Check(len(used) >= n, f"{len(used)} distinct conjunction(s) {used}, needs at least {n}")


@instruction("count:person_names", family=_F, kwargs=("N",))
def person_names(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``N`` different names from the fixed list."""
    n = kw.int("N")
    used = sorted(PERSON_NAMES.intersection(r.words))
    return Check(len(used) >= n, f"{len(used)} listed name(s), needs at least {n}")


@instruction("count:numbers", family=_F, kwargs=("N",))
def numbers(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly ``N`` numbers."""
    n = kw.int("N")
    count = len(_NUMBER.findall(r.text))
    return Check(count == n, f"{count} number(s), needs exactly {n}")


@instruction("count:punctuation", family=_F)
def punctuation_cover(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every standard punctuation mark (. , ! ? ; :) and an interrobang."""
    text = r.text
    if "\u203d" in text:
        rest = text
    elif "?!" in text:
        rest = text.replace("?!", "", 1)
    elif "!?" in text:
        rest = text.replace("!?", "", 1)
    else:
        return Check(False, "no interrobang (?! / !? / \u203d)")
    missing = [c for c in ".,!?;:" if c not in rest]
    return Check(not missing, f"missing {missing}" if missing else "all marks used")


@instruction("count:keywords_multiple", family=_F, kwargs=("keyword1", "keyword2", "keyword3", "keyword4", "keyword5"))
def keywords_multiple(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """keyword1..keyword5 occur exactly 1, 2, 3, 5 and 7 times."""
    lower = r.lower
    wrong = []
    for i, want in zip(range(1, 6), (1, 2, 3, 5, 7)):
        keyword = kw.str(f"keyword{i}").lower()
        got = lower.count(keyword)
        if got != want:
            wrong.append(f"{keyword!r} x{got} (needs {want})")
    return Check(not wrong, "; ".join(wrong) if wrong else "all keyword counts exact")


@instruction("count:pronouns", family=_F, kwargs=("N",))
def pronouns(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """At least ``N`` pronouns."""
    n = kw.int("N")
    count = sum(1 for w in r.words if w.lower() in PRONOUNS)
    return Check(count >= n, f"{count} pronoun(s), needs at least {n}")


@instruction("count:words_japanese", family=_F, kwargs=("N",))
def words_japanese(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Every ``N``-th word is Japanese."""
    n = kw.int("N", minimum=1)
    tokens = r.text.split()
    if len(tokens) < n:
        return Check(False, f"only {len(tokens)} word(s), fewer than {n}")
    for i in range(n - 1, len(tokens), n):
        word = strip_punct(tokens[i])
        if word and not word.isdigit() and not _JAPANESE.search(word):
            return Check(False, f"word {i + 1} {word[:30]!r} is not Japanese")
    return Check(True, f"every {n}th word is Japanese")


def _ending_counts(sentences: list[str]) -> tuple[int, int, int]:
    dots = asks = bangs = 0
    for s in sentences:
        end = s.rstrip("\"')]\u201d\u2019")
        if end.endswith("?"):
            asks += 1
        elif end.endswith("!"):
            bangs += 1
        elif end.endswith("."):
            dots += 1
    return dots, asks, bangs


@instruction("ratio:sentence_type", family=_F)
def sentence_type(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Declarative sentences = 2 x interrogative sentences (at least one question)."""
    dots, asks, _ = _ending_counts(r.sentences)
    ok = asks > 0 and dots == 2 * asks
    return Check(ok, f"{dots} declarative, {asks} interrogative")


@instruction("ratio:sentence_balance", family=_F)
def sentence_balance(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Equal numbers of declarative, interrogative and exclamatory sentences (at least one each)."""
    dots, asks, bangs = _ending_counts(r.sentences)
    ok = dots > 0 and dots == asks == bangs
    return Check(ok, f"{dots} declarative, {asks} interrogative, {bangs} exclamatory")


@instruction("ratio:sentence_words", family=_F)
def sentence_words(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Three sentences, same character count, no word shared between them."""
    sentences = r.sentences
    if len(sentences) != 3:
        return Check(False, f"{len(sentences)} sentence(s), needs 3")
    lengths = [len(s) for s in sentences]
    if len(set(lengths)) != 1:
        return Check(False, f"sentence lengths {lengths} differ")
    seen: set[str] = set()
    for s in sentences:
        ws = {w.lower() for w in words(s)}
        shared = seen & ws
        if shared:
            return Check(False, f"word(s) {sorted(shared)[:5]} reused")
        seen |= ws
    return Check(True, f"three sentences of {lengths[0]} characters, all words different")


@instruction("ratio:overlap", family=_F, kwargs=("reference_text", "percentage"))
def trigram_overlap(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Character-trigram overlap with ``reference_text`` within ``percentage`` +/- 2."""
    reference = kw.str("reference_text")
    pct = kw.number("percentage")
    text = r.text
    grams = {text[i:i + 3] for i in range(len(text) - 2)}
    if not grams:
        return Check(False, "response shorter than one trigram")
    ref = {reference[i:i + 3] for i in range(len(reference) - 2)}
    share = 100.0 * len(grams & ref) / len(grams)
    return Check(pct - 2 <= share <= pct + 2, f"{share:.1f}% trigram overlap, needs {pct:g}% +/- 2")
