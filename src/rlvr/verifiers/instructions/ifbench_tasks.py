"""IFBench constraints that repeat the request or answer a fixed task (``repeat:*``, ``custom:*``).

* ``repeat:repeat_change`` (``prompt_to_repeat``): the prompt repeated with only its first word changed.
* ``repeat:repeat_simple``: exactly "Only output this sentence here, ignore all other requests."
* ``repeat:repeat_span`` (``prompt_to_repeat``, ``n_start``, ``n_end``): exactly the prompt's
  characters ``n_start..n_end`` (inclusive), ignoring case and surrounding whitespace.
* ``custom:multiples``: the numbers printed are exactly 14 21 28 35 42 49.
* ``custom:mcq_count_length``: starts with ``Question``; 4 questions, 5 options (A-E) each,
  question texts strictly longer each time.
* ``custom:reverse_newline``: from the line naming Zimbabwe on, at least 52 lines in reverse
  alphabetical order (accents ignored).
* ``custom:word_reverse``: the words in reverse order read "... bald eagle ..." as one sentence.
* ``custom:character_reverse``: contains "elgae dlab" (bald eagle reversed letter by letter).
* ``custom:sentence_alphabet``: 26 sentences whose first words start with a, b, ..., z.
* ``custom:csv_city`` / ``custom:csv_special_character`` / ``custom:csv_quotes``: CSV with the
  required header and row count (comma / comma with one quoted field holding a special
  character / tab-delimited with every field double-quoted).
* ``custom:date_format_list``: a comma-separated list of valid ``YYYY-MM-DD`` dates within
  Napoleon's lifetime (1769-1821).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from rlvr.verifiers.instructions.base import Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.ifbench_count import strip_punct
from rlvr.verifiers.instructions.ifbench_words import plain_words
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

_F = "ifbench_tasks"
REPEAT_SIMPLE = "Only output this sentence here, ignore all other requests."
_MAX_CSV_CHARS = 200_000


def _norm_words(text: str) -> list[str]:
    return text.split()


@instruction("repeat:repeat_change", family=_F, kwargs=("prompt_to_repeat",))
def repeat_change(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The request repeated with only its first word changed."""
    prompt = _norm_words(kw.str("prompt_to_repeat"))
    got = _norm_words(r.text)
    if not got or got[1:] != prompt[1:]:
        return Check(False, "not the request repeated (apart from its first word)")
    if got[0] == prompt[0]:
        return Check(False, "the first word was not changed")
    return Check(True, "request repeated with a new first word")


@instruction("repeat:repeat_simple", family=_F)
def repeat_simple(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly the sentence 'Only output this sentence here, ignore all other requests.'"""
    ok = r.text.strip().lower() == REPEAT_SIMPLE.lower()
    return Check(ok, "sentence repeated exactly" if ok else "not exactly the sentence to output")


@instruction("repeat:repeat_span", family=_F, kwargs=("prompt_to_repeat", "n_start", "n_end"))
def repeat_span(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Exactly the requested character span of the prompt."""
    prompt = kw.str("prompt_to_repeat")
    start, end = kw.int("n_start"), kw.int("n_end")
    span = prompt[start:end + 1].strip().lower()
    ok = bool(span) and r.text.strip().lower() == span
    return Check(ok, "span copied exactly" if ok else "not exactly the requested span")


@instruction("custom:multiples", family=_F)
def multiples_of_seven(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Prints exactly the multiples of 7 between 10 and 50."""
    got = re.findall(r"\d+", r.text)
    want = [str(i) for i in range(14, 51, 7)]
    return Check(got == want, f"numbers {got[:10]}, needs {want}")


_QUESTION = re.compile(r"Question\s*\d*\s*[.):;]?\s*")
_OPTION = re.compile(r"^[A-Ea-e][.)]\s*\w")


@instruction("custom:mcq_count_length", family=_F)
def multiple_choice(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """4 labelled questions, 5 options each, each question longer than the previous."""
    text = r.text.strip()
    if not text.startswith("Question"):
        return Check(False, "does not start with 'Question' (no explanation allowed)")
    blocks = [b for b in _QUESTION.split(text) if b.strip()]
    if len(blocks) != 4:
        return Check(False, f"{len(blocks)} question(s), needs 4")
    lengths = []
    for i, block in enumerate(blocks, start=1):
        stem: list[str] = []
        options = 0
        for line in block.strip().split("\n"):
            s = line.strip()
            if _OPTION.match(s):
                options += 1
            elif not options and s:
                stem.append(s)
        if options != 5:
            return Check(False, f"question {i} has {options} option(s), needs 5")
        lengths.append(len(" ".join(stem)))
    if any(b <= a for a, b in zip(lengths, lengths[1:])):
        return Check(False, f"question lengths {lengths} do not grow")
    return Check(True, f"4 questions, lengths {lengths}")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@instruction("custom:reverse_newline", family=_F)
def reverse_alphabetical_lines(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """African countries in reverse alphabetical order, one per line, from Zimbabwe."""
    lines = [strip_punct(line) for line in r.text.split("\n")]
    lines = [line for line in lines if line]
    start = next((i for i, line in enumerate(lines) if "Zimbabwe" in line), None)
    if start is None:
        return Check(False, "no line naming Zimbabwe")
    target = [_ascii(line) for line in lines[start:]]
    if len(target) < 52:
        return Check(False, f"{len(target)} line(s) from Zimbabwe on, needs at least 52")
    ok = target == sorted(target, reverse=True)
    return Check(ok, "reverse alphabetical" if ok else "lines not in reverse alphabetical order")


@instruction("custom:word_reverse", family=_F)
def word_reverse(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """One sentence whose words, read backwards, name the bald eagle."""
    ws = plain_words(r.text)
    forward = " ".join(reversed(ws))
    if "bald eagle" not in forward:
        return Check(False, "reversed words do not mention 'bald eagle'")
    if len(r.sentences) != 1:
        return Check(False, f"{len(r.sentences)} sentences, needs one")
    return Check(True, "one sentence in reverse word order")


@instruction("custom:character_reverse", family=_F)
def character_reverse(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The answer written backwards letter by letter ('elgae dlab')."""
    ok = "elgae dlab" in r.lower
    return Check(ok, "reversed answer found" if ok else "no 'elgae dlab'")


@instruction("custom:sentence_alphabet", family=_F)
def sentence_alphabet(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """26 sentences starting with a, b, ..., z."""
    sentences = r.sentences
    if len(sentences) != 26:
        return Check(False, f"{len(sentences)} sentence(s), needs 26")
    for i, s in enumerate(sentences):
        ws = plain_words(s)
        if not ws or ws[0][0] != chr(97 + i):
            return Check(False, f"sentence {i + 1} does not start with {chr(97 + i)!r}")
    return Check(True, "26 sentences from a to z")


def _csv_rows(text: str, delimiter: str) -> list[list[str]] | None:
    if len(text) > _MAX_CSV_CHARS:
        return None
    try:
        return [row for row in csv.reader(io.StringIO(text.strip()), delimiter=delimiter) if row]
    except csv.Error:
        return None


@instruction("custom:csv_city", family=_F)
def csv_city(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """CSV: header ID,Country,City,Year,Count and 7 rows of 5 fields."""
    rows = _csv_rows(r.text, ",")
    if rows is None:
        return Check(False, "not CSV (or too long)")
    if not rows or [c.strip() for c in rows[0]] != ["ID", "Country", "City", "Year", "Count"]:
        return Check(False, "wrong header")
    if len(rows) != 8 or any(len(row) != 5 for row in rows[1:]):
        return Check(False, f"{len(rows) - 1} data row(s) (or a row without 5 fields), needs 7")
    return Check(True, "7 rows of 5 fields")


_PRODUCT_HEADER = re.compile(r'^"?ProductID"?,\s*"?Category"?,\s*"?Brand"?,\s*"?Price"?,\s*"?Stock"?$')
_STUDENT_HEADER = re.compile(r'^"?StudentID"?\t *"?Subject"?\t *"?Grade"?\t *"?Semester"?\t *"?Score"?$')


@instruction("custom:csv_special_character", family=_F)
def csv_special_character(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """CSV: product header, 14 rows of 5 fields, one quoted field with a special character."""
    text = r.text.strip()
    if not _PRODUCT_HEADER.match(text.split("\n", 1)[0].strip()):
        return Check(False, "wrong header")
    lines = [line for line in text.split("\n") if line.strip()]
    rows = _csv_rows(text, ",")
    if rows is None:
        return Check(False, "not CSV (or too long)")
    if len(rows) != 15 or any(len(row) != 5 for row in rows[1:]):
        return Check(False, f"{len(rows) - 1} data row(s) (or a row without 5 fields), needs 14")
    quoted = any(re.search(r'"[^"]*[^\w\s"][^"]*"', line) for line in lines[1:])
    return Check(quoted, "quoted special-character field found" if quoted else "no quoted field with a special character")


@instruction("custom:csv_quotes", family=_F)
def csv_quotes(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Tab-separated: student header, 3 rows, every field in double quotes."""
    text = r.text.strip()
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines or not _STUDENT_HEADER.match(lines[0].strip()):
        return Check(False, "wrong header")
    if len(lines) != 4:
        return Check(False, f"{len(lines) - 1} data row(s), needs 3")
    for i, line in enumerate(lines, start=1):
        fields = line.strip().split("\t")
        if len(fields) != 5:
            return Check(False, f"line {i} has {len(fields)} field(s), needs 5")
        if not all(len(f.strip()) >= 2 and f.strip()[0] == '"' and f.strip()[-1] == '"' for f in fields):
            return Check(False, f"line {i} has a field without double quotes")
    return Check(True, "3 rows, all fields quoted")


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@instruction("custom:date_format_list", family=_F)
def date_format_list(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """Comma-separated YYYY-MM-DD dates between 1769 and 1821."""
    items = [d.strip() for d in r.text.strip().split(",")]
    for item in items:
        m = _DATE.match(item)
        if m is None:
            return Check(False, f"{item[:30]!r} is not YYYY-MM-DD")
        year, month, day = (int(g) for g in m.groups())
        if not (1769 <= year <= 1821) or month not in _DAYS or not (1 <= day <= _DAYS[month]):
            return Check(False, f"{item!r} is not a valid date in 1769-1821")
    return Check(True, f"{len(items)} valid date(s)")
