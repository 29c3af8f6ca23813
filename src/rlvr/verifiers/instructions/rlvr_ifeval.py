"""allenai's RLVR-IFeval constraints (Tulu 3): ``ground_truth = {"func_name": ..., args}``.

The Tulu 3 RLVR data set stores one constraint per row as a JSON object naming a verification
function of open-instruct's ``if_functions`` and its arguments (every argument key is present,
``null`` where unused): ``N``, ``quantifier``, ``word``, ``keyword_list``, ``forbidden_words``,
``letter``, ``language``, ``i``, ``first_word``, ``postscript_marker``, ``options``,
``section_splitter``, ``original_prompt``, ``end_phrase``. Each function name is registered here as
the instruction id ``rlvr_ifeval:<func_name>`` and judged by the rule its prompt template states
(``"the word {word} should appear {N} times"``, ``"answer with at least / around / at most {N}
words"``):

* ``quantifier``: ``at least`` (>= N), ``at most`` (<= N), ``around`` (words and capital words:
  within max(1, round(N/10)) of N; sentences: within 1).
* ``verify_keyword_frequency``: whole-word occurrences, case-insensitive, exactly ``N``.
* ``verify_letter_frequency``: the letter (case-insensitive) exactly ``N`` times.
* ``verify_paragraph_count``: exactly ``N`` non-empty paragraphs separated by ``* * *``.
* ``verify_postscript``: the marker occurs and some text follows it.
* ``validate_choice``: the response contains one of ``options`` (a list, or its text form).
* ``validate_uppercase`` / ``validate_lowercase``: the letters are all upper / lower case
  (at least one letter; no language check, as in the template).
* The rest reuse the IFEval checker of the same rule (keywords, forbidden words as whole words,
  placeholders, bullets, highlights, sections, JSON, title, two responses, repeat prompt, end
  phrase, quotation, no comma, response language, paragraph + first word).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from rlvr.verifiers.instructions.base import BadKwargs, Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import get_instruction, instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["FUNC_NAMES", "func_instruction_id"]

PREFIX = "rlvr_ifeval:"
_F = "rlvr_ifeval"
_QUANTIFIERS = ("at least", "at most", "around")


def func_instruction_id(func_name: str) -> str:
    return PREFIX + func_name


def _quantified(count: int, quantifier: str, n: int, around: int) -> bool:
    if quantifier == "at least":
        return count >= n
    if quantifier == "at most":
        return count <= n
    return abs(count - n) <= around


def _delegate(instruction_id: str, mapping: dict[str, str], fixed: dict[str, Any] | None = None):
    """A checker that renames the arguments and calls the IFEval checker ``instruction_id``."""

    def check(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
        spec = get_instruction(instruction_id)
        assert spec is not None
        values = {new: kw.raw(old) for old, new in mapping.items() if kw.has(old)}
        values.update(fixed or {})
        return spec.checker(r, Kwargs(values, f"{kw.instruction_id} ({instruction_id})"), ctx)

    check.__doc__ = f"Same rule as {instruction_id}."
    return check


_DELEGATED: dict[str, tuple[str, dict[str, str], dict[str, Any] | None]] = {
    "verify_keywords": ("keywords:existence", {"keyword_list": "keywords"}, None),
    "validate_forbidden_words": ("keywords:forbidden_words", {"forbidden_words": "forbidden_words"}, None),
    "validate_response_language": ("language:response_language", {"language": "language"}, None),
    "validate_paragraphs": (
        "length_constraints:nth_paragraph_first_word",
        {"N": "num_paragraphs", "i": "nth_paragraph", "first_word": "first_word"},
        None,
    ),
    "validate_placeholders": ("detectable_content:number_placeholders", {"N": "num_placeholders"}, None),
    "verify_bullet_points": ("detectable_format:number_bullet_lists", {"N": "num_bullets"}, None),
    "validate_title": ("detectable_format:title", {}, None),
    "validate_highlighted_sections": ("detectable_format:number_highlighted_sections", {"N": "num_highlights"}, None),
    "validate_sections": ("detectable_format:multiple_sections", {"N": "num_sections", "section_splitter": "section_spliter"}, None),
    "validate_json_format": ("detectable_format:json_format", {}, None),
    "validate_repeat_prompt": ("combination:repeat_prompt", {"original_prompt": "prompt_to_repeat"}, None),
    "validate_two_responses": ("combination:two_responses", {}, None),
    "validate_end": ("startend:end_checker", {"end_phrase": "end_phrase"}, None),
    "validate_quotation": ("startend:quotation", {}, None),
    "validate_no_commas": ("punctuation:no_comma", {}, None),
}

for _name, (_target, _mapping, _fixed) in _DELEGATED.items():
    instruction(PREFIX + _name, family=_F, kwargs=tuple(_mapping))(_delegate(_target, _mapping, _fixed))


@instruction(PREFIX + "verify_keyword_frequency", family=_F, kwargs=("word", "N"))
def keyword_frequency_exact(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The word occurs exactly ``N`` times as a whole word (case-insensitive)."""
    word = kw.str("word").strip().lower()
    n = kw.int("N")
    pattern = re.escape(word) + r"(?<!\w" + re.escape(word) + r")(?!\w)"
    count = sum(1 for _ in re.finditer(pattern, r.lower))
    return Check(count == n, f"{word!r} occurs {count} time(s), needs exactly {n}")


@instruction(PREFIX + "verify_letter_frequency", family=_F, kwargs=("letter", "N"))
def letter_frequency_exact(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The letter occurs exactly ``N`` times (case-insensitive)."""
    letter = kw.str("letter")
    if len(letter) != 1:
        raise BadKwargs(f"{kw.instruction_id}: 'letter' must be one character, got {letter!r}")
    n = kw.int("N")
    count = r.lower.count(letter.lower())
    return Check(count == n, f"letter {letter!r} occurs {count} time(s), needs exactly {n}")


@instruction(PREFIX + "verify_paragraph_count", family=_F, kwargs=("N",))
def paragraph_count_divider(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly ``N`` non-empty paragraphs separated by the divider ``* * *``."""
    n = kw.int("N", minimum=1)
    text = "\n".join(line.strip() for line in r.text.splitlines()).strip()
    pieces = text.split("* * *")
    if any(not p.strip() for p in pieces):
        return Check(False, "an empty paragraph around a * * * divider")
    return Check(len(pieces) == n, f"{len(pieces)} paragraph(s), needs exactly {n}")


@instruction(PREFIX + "validate_word_constraint", family=_F, kwargs=("N", "quantifier"))
def word_constraint(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Whitespace-separated words at least / around / at most ``N``."""
    n = kw.int("N")
    q = kw.relation("quantifier", choices=_QUANTIFIERS)
    count = len(r.text.split())
    return Check(_quantified(count, q, n, max(round(n * 0.1), 1)), f"{count} word(s), needs {q} {n}")


@instruction(PREFIX + "verify_sentence_constraint", family=_F, kwargs=("N", "quantifier"))
def sentence_constraint(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Sentences at least / around (+/- 1) / at most ``N``."""
    n = kw.int("N")
    q = kw.relation("quantifier", choices=_QUANTIFIERS)
    count = r.count_sentences(limit=n + 2)
    return Check(_quantified(count, q, n, 1), f"{count} sentence(s), needs {q} {n}")


@instruction(PREFIX + "validate_frequency_capital_words", family=_F, kwargs=("N", "quantifier"))
def capital_word_constraint(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """All-capital words at least / around / at most ``N``."""
    n = kw.int("N")
    q = kw.relation("quantifier", choices=_QUANTIFIERS)
    around = max(round(n * 0.1), 1)
    count = r.count_capital_words(limit=n + around + 1)
    return Check(_quantified(count, q, n, around), f"{count} all-capital word(s), needs {q} {n}")


@instruction(PREFIX + "verify_postscript", family=_F, kwargs=("postscript_marker",))
def postscript_with_text(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The postscript marker occurs and text follows it."""
    marker = kw.str("postscript_marker").strip()
    at = r.text.find(marker)
    if at < 0:
        return Check(False, f"no postscript {marker!r}")
    ok = bool(r.text[at + len(marker):].strip())
    return Check(ok, "postscript with text" if ok else "postscript marker without text")


def _options(value: Any, kw: Kwargs) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "([":
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                raise BadKwargs(f"{kw.instruction_id}: 'options' is not a list: {text[:60]!r}") from None
        elif "/" in text:
            value = text.split("/")
        elif " or " in text:
            value = text.split(" or ")
        else:
            value = [text]
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(o, str) and o.strip() for o in value):
        raise BadKwargs(f"{kw.instruction_id}: 'options' must be a non-empty list of strings")
    return [o.strip() for o in value]


@instruction(PREFIX + "validate_choice", family=_F, kwargs=("options",))
def choice(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Contains one of ``options``."""
    if not kw.has("options"):
        raise BadKwargs(f"{kw.instruction_id}: missing argument 'options'")
    options = _options(kw.raw("options"), kw)
    hit = next((o for o in options if o in r.text), None)
    return Check(hit is not None, f"contains {hit!r}" if hit else f"none of {options}")


@instruction(PREFIX + "validate_uppercase", family=_F)
def uppercase(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """All letters upper case (at least one letter)."""
    ok = r.text.isupper()
    return Check(ok, "all capitals" if ok else "has lowercase letters (or no letter)")


@instruction(PREFIX + "validate_lowercase", family=_F)
def lowercase(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """All letters lower case (at least one letter)."""
    ok = r.text.islower()
    return Check(ok, "all lowercase" if ok else "has capital letters (or no letter)")


FUNC_NAMES: tuple[str, ...] = tuple(sorted(
    list(_DELEGATED)
    + [
        "verify_keyword_frequency", "verify_letter_frequency", "verify_paragraph_count", "validate_word_constraint",
        "verify_sentence_constraint", "validate_frequency_capital_words", "verify_postscript", "validate_choice",
        "validate_uppercase", "validate_lowercase",
    ]
))
