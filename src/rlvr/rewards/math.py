"""Maths rewards: ``math_accuracy``, ``numeric_answer``, the Unsloth notebook's ``unsloth_check_answer``
/ ``unsloth_check_numbers``, the GSM8K recipe's ``integer_answer``; presets ``open_r1_math``,
``gsm8k_xml``, ``unsloth_math``.

Extraction: :mod:`rlvr.math.extraction` (strict; the path taken is in
``Score.details["extraction"]``). Equivalence: :class:`rlvr.math.MathVerifier`
(math-verify + sympy, gold first, fast paths, caches, kill-able worker deadlines).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from rlvr.parsing import TagSpec
from rlvr.rewards.base import Reward, RewardParams, Sample
from rlvr.rewards.registry import register, register_preset
from rlvr.score import Score, Status

if TYPE_CHECKING:
    from rlvr.math import Verdict

__all__ = [
    "IntegerAnswerReward",
    "MathAccuracyReward",
    "NumericAnswerReward",
    "UnslothCheckAnswerReward",
    "UnslothCheckNumbersReward",
]


# --------------------------------------------------------------------------- shared extraction params
class MathExtractParams(RewardParams):
    solution_column: str = Field("solution", description="Dataset column holding the reference answer ('answer' for GSM8K).")
    think_tag: str = Field("think", description="Reasoning tag: only text after the last </think_tag> counts.")
    think_open: str | None = Field(None, description="Exact opening reasoning tag (overrides <think_tag>).")
    think_close: str | None = Field(None, description="Exact closing reasoning tag (overrides </think_tag>), e.g. '<end_working_out>'.")
    prefilled: bool = Field(False, description="The chat template opened the think block: without a closing tag there is no answer.")
    answer_tag: str | None = Field(None, description="Answer tag (e.g. 'answer'): the last <answer>...</answer> block is searched first.")
    answer_open: str | None = Field(None, description="Exact opening answer tag (e.g. '<SOLUTION>'); turns the answer-tag step on.")
    answer_close: str | None = Field(None, description="Exact closing answer tag (e.g. '</SOLUTION>').")
    require_answer_tag: bool = Field(False, description="No answer-tag block means no answer (otherwise the whole text is searched).")
    strategies: list[str] = Field(["boxed", "gsm8k", "answer_phrase"],
                                  description="Extraction strategies in order: boxed, gsm8k, answer_phrase, answer_line, last_number "
                                              "(last_number is a known reward hack: opt in knowingly).")
    max_answer_chars: int = Field(1000, ge=1, description="Longer answers are refused (scored as no answer).")

    @model_validator(mode="after")
    def _usable_tags(self) -> MathExtractParams:
        self.tags()  # raises ValueError (a RewardConfigError for the user) when one tag contains another
        return self

    def tags(self) -> TagSpec:
        """The think/answer tags these options describe (:func:`rlvr.math.extraction.extraction_tags`)."""
        from rlvr.math.extraction import extraction_tags

        return extraction_tags(self.think_tag, self.think_open, self.think_close, self.prefilled, self.answer_tag,
                               self.answer_open, self.answer_close)

    def extract_kwargs(self) -> dict[str, Any]:
        return dict(think_tag=self.think_tag, think_open=self.think_open, think_close=self.think_close,
                    prefilled=self.prefilled, answer_tag=self.answer_tag, answer_open=self.answer_open,
                    answer_close=self.answer_close, require_answer_tag=self.require_answer_tag,
                    strategies=tuple(self.strategies), max_answer_chars=self.max_answer_chars)


class _ExtractingReward(Reward):
    """A maths reward that extracts its answer with :class:`MathExtractParams`: chat messages'
    ``reasoning_content`` is rebuilt with the same think tags the extraction cuts at."""

    params: MathExtractParams

    def tag_spec(self) -> TagSpec:
        return self.params.tags()


def _gold_text(sample: Sample, column: str) -> str | None:
    gold = sample.fields.get(column)
    if gold is None:
        return None
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        return repr(gold) if isinstance(gold, float) else str(gold)
    if isinstance(gold, str):
        return gold
    return None


_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+")
_GSM8K_GOLD = re.compile(r"####\s*([^\n]+)\s*$")


def _reference_answer(gold: str, reference_boxes: str = "all") -> str:
    """A GSM8K solution column (``... #### 72``) reads as its final number; a reference with
    ``\\boxed{}`` reads as its boxed content. Several distinct boxes in a reference form one
    multi-part answer, whatever the prose between them (``\\boxed{1} papers and \\boxed{2}
    bins`` reads as ``1, 2``: a half answer is wrong); a box repeated verbatim counts once.
    ``reference_boxes="final_group"`` keeps only the last run of boxes separated by connectors
    ("and", commas: math-verify's reading). Anything else is read as is."""
    m = _GSM8K_GOLD.search(gold)
    if m:
        return m.group(1).strip().replace(",", "") if re.fullmatch(r"[-\d,.]+", m.group(1).strip()) else m.group(1).strip()
    if "\\boxed" in gold or "\\fbox" in gold:
        from rlvr.math.extraction import answer_boxes, final_box_group

        found = final_box_group(gold) if reference_boxes == "final_group" else answer_boxes(gold)
        boxes = list(dict.fromkeys(b.strip() for b in found if b.strip()))
        if boxes:
            return ", ".join(boxes)  # several boxes in a reference: a multi-part answer
    return gold


# --------------------------------------------------------------------------- math_accuracy
class MathAccuracyParams(MathExtractParams):
    correct_value: float = Field(1.0, description="Score of a verified-correct answer.")
    wrong_value: float = Field(0.0, description="Score of a wrong answer, a refused answer, or no answer.")
    timeout_value: float | None = Field(0.0, description="Score when verification passes its deadline (None: cannot judge).")
    timeout_seconds: float | None = Field(10.0, ge=0, description="Hard deadline per sympy comparison (0/None: none).")
    batch_budget_seconds: float | None = Field(None, ge=0, description="Wall-time budget of one call's sympy work; "
                                               "unsettled comparisons are 'timeout'. None: max(2 x timeout_seconds, "
                                               "0.25 s x comparisons / workers); 0: none.")
    workers: int = Field(2, ge=1, le=64, description="Sympy comparisons run at once (worker processes).")
    max_parked: int = Field(8, ge=0, le=64, description="Slow comparisons one call may park (SIGSTOP) to let the "
                                                        "rest of the batch through; each is a live process.")
    in_process: bool = Field(False, description="Run sympy in this process without a deadline (debugging only).")
    float_rounding: int = Field(6, ge=0, le=30, description="math-verify float rounding (decimals).")
    strict: bool = Field(True, description="math-verify strict mode (variables must match).")
    allow_set_relation_comp: bool = Field(False, description="Accept an interval for an inequality gold and vice versa.")
    list_order_matters: bool = Field(False, description="Bare comma lists of scalars compare in order ('4, 10' is not '10, 4'); "
                                                        "default: a list is a set of solutions (math-verify's policy).")
    approx_decimals: bool = Field(True, description="Accept >= 3 significant-digit decimals for irrational / repeating exact values.")
    numeric_guard: bool = Field(True, description="Re-check numeric 'equal' verdicts at 50 digits.")
    reference_boxes: Literal["all", "final_group"] = Field(
        "all", description="A reference with several boxes: 'all' = every distinct box is a part of one multi-part answer, "
                           "whatever the prose between them; 'final_group' = only the last boxes joined by connectors.")


@register("math_accuracy")
class MathAccuracyReward(_ExtractingReward):
    """1.0 when the final answer is mathematically equivalent to the reference, else 0.0.

    Statuses and values: ``correct`` -> ``correct_value`` (1.0); ``wrong`` -> ``wrong_value``
    (0.0), also for hedging (several distinct boxed values are one answer only when the
    reference is multi-valued, e.g. ``1, 2``, and each box holds one element: then they are
    joined in order; otherwise every one must be correct), for a list that repeats an element
    against a value/list reference (``2, 2`` for ``2``), and for refused answers (too long); ``no_answer`` -> ``wrong_value`` (no final answer: unclosed think block,
    no box/``####``/answer phrase); ``gold_unparseable`` -> ``None`` (never rewarded);
    ``timeout`` -> ``timeout_value`` (0.0; the comparison passed its deadline or the call's batch
    budget ran out); a comparison that crashed its worker -> ``wrong`` (0.0, ``verify_error`` in
    details: an answer can provoke it); ``error`` -> ``None`` (no worker process could start).
    Details: ``extraction`` (path), ``answer`` (truncated), ``verdict_path`` (string, numeric,
    choice, sympy, list, approx, guard, multiset, cache:*, deadline, budget), ``verify_seconds`` (worker time,
    when sympy ran).
    """

    Params = MathAccuracyParams
    params: MathAccuracyParams
    judges_correctness = True  # correct at correct_value

    def setup(self) -> None:
        from rlvr.math import MathVerifier, VerifyConfig

        p = self.params
        for s in p.strategies:
            if s not in ("boxed", "gsm8k", "answer_phrase", "answer_line", "last_number"):
                from rlvr.rewards.base import RewardConfigError

                raise RewardConfigError(f"reward {self.name!r}: unknown strategy {s!r}; known: boxed, gsm8k, answer_phrase, "
                                        "answer_line, last_number")
        cfg = VerifyConfig(float_rounding=p.float_rounding, strict=p.strict,
                           allow_set_relation_comp=p.allow_set_relation_comp, numeric_guard=p.numeric_guard,
                           list_order_matters=p.list_order_matters, approx_decimals=p.approx_decimals)
        self.verifier = MathVerifier(cfg, timeout=p.timeout_seconds, workers=p.workers, in_process=p.in_process,
                                     batch_budget=p.batch_budget_seconds, max_parked=p.max_parked)

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.solution_column,)

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        try:
            return self._judge_all(samples)
        except Exception as exc:  # a bug must not kill a training step: every sample gets ERROR
            error = self._internal_error(exc)
            return [error] * len(samples)

    def _judge_all(self, samples: list[Sample]) -> list[Score]:
        from rlvr.math.extraction import extract_answer
        from rlvr.math.normalise import normalise_answer
        from rlvr.math.structures import list_elements

        p = self.params
        kwargs = p.extract_kwargs()
        out: list[Score | None] = [None] * len(samples)
        jobs: list[tuple[int, str, list[str], dict[str, Any]]] = []  # (index, gold, answers, details)
        for i, sample in enumerate(samples):
            gold_raw = _gold_text(sample, p.solution_column)
            if gold_raw is None or not gold_raw.strip():
                out[i] = Score(None, Status.GOLD_UNPARSEABLE, f"column {p.solution_column!r} holds no reference answer")
                continue
            gold = _reference_answer(gold_raw, p.reference_boxes)
            ex = extract_answer(sample.text, **kwargs)
            details: dict[str, Any] = {"extraction": ex.path}
            if ex.answer is None:
                reason = "answer longer than max_answer_chars" if ex.path == "too_long" else f"no final answer ({ex.path})"
                status = Status.WRONG if ex.path == "too_long" else Status.NO_ANSWER
                out[i] = Score(p.wrong_value, status, reason, details)
                continue
            details["answer"] = ex.answer[:200]
            answers = [ex.answer]
            if len(ex.candidates) > 1:
                # Several distinct boxes. For a multi-valued reference (``1, 2``, ``\\{8, 12\\}``)
                # boxes that each hold one element are the parts of one answer (joined in
                # order). Otherwise they are several final answers (hedging, whatever their
                # shapes: ``\\boxed{8} or \\boxed{8, 12}``): correct only if every one is.
                multi = "," in _GROUPED_NUMBER.sub("", normalise_answer(gold))
                one_element_each = all(len(list_elements(normalise_answer(c))) == 1 for c in ex.candidates)
                if multi and one_element_each:
                    answers = [", ".join(ex.candidates)]
                    details["answer"] = answers[0][:200]
                elif len(ex.candidates) > 4:
                    out[i] = Score(p.wrong_value, Status.WRONG, f"hedging: {len(ex.candidates)} different boxed answers", details)
                    continue
                else:
                    answers = list(ex.candidates)
                    details["hedged"] = len(answers)
            jobs.append((i, gold, answers, details))
        pairs = [(gold, a) for _, gold, answers, _ in jobs for a in answers]
        verdicts = iter(self.verifier.verify_many(pairs) if pairs else [])
        for i, _gold, answers, details in jobs:
            vs = [next(verdicts) for _ in answers]
            out[i] = self._to_score(vs, details)
        return [s if s is not None else Score(None, Status.ERROR, "internal: unscored") for s in out]

    def _to_score(self, verdicts: list[Verdict], details: dict[str, Any]) -> Score:
        p = self.params
        details["verdict_path"] = verdicts[-1].path
        seconds = max(v.seconds for v in verdicts)
        if seconds:
            details["verify_seconds"] = round(seconds, 4)
        statuses = {v.status for v in verdicts}
        if Status.GOLD_UNPARSEABLE in statuses:
            v = next(v for v in verdicts if v.status is Status.GOLD_UNPARSEABLE)
            return Score(None, Status.GOLD_UNPARSEABLE, v.reason, details)
        if statuses == {Status.CORRECT}:
            reason = "correct" if len(verdicts) == 1 else "correct (every boxed answer is equivalent)"
            return Score(p.correct_value, Status.CORRECT, reason, details)
        if Status.WRONG in statuses:
            if len(verdicts) > 1:
                return Score(p.wrong_value, Status.WRONG, "hedging: different boxed answers, not all correct", details)
            return Score(p.wrong_value, Status.WRONG, verdicts[0].reason, details)
        if Status.TIMEOUT in statuses:
            return Score(p.timeout_value, Status.TIMEOUT, next(v.reason for v in verdicts if v.status is Status.TIMEOUT), details)
        v = next(v for v in verdicts if v.status is not Status.CORRECT)
        if v.path in ("worker", "in_process"):
            # the comparison itself crashed its worker (memory, native code, a math-verify bug on
            # this input): an answer can provoke that, so it must not turn into "cannot judge"
            details["verify_error"] = v.reason[:200]
            return Score(p.wrong_value, Status.WRONG, "verification of this answer crashed; counted as wrong", details)
        return Score(None, Status.ERROR, v.reason, details)


# --------------------------------------------------------------------------- numeric rewards
_NUMBER_CLEAN = re.compile(r"[$\s]|\\\$|\\!|\\,|,(?=\d{3}\b)")


def parse_number(text: str) -> float | None:
    """A plain number (``1,234.5``, ``$42``, ``-7``, ``3/4``) as a float; ``None`` otherwise."""
    from rlvr.math.normalise import fold_lookalikes
    from rlvr.math.numbers import as_plain_number

    t = _NUMBER_CLEAN.sub("", fold_lookalikes(text).strip()).rstrip(".")
    number = as_plain_number(t)
    if number is None:
        return None
    try:
        return float(number.value)
    except OverflowError:
        return None


class NumericAnswerParams(MathExtractParams):
    solution_column: str = Field("answer", description="Dataset column holding the reference number (GSM8K: 'answer').")
    strategies: list[str] = Field(["gsm8k", "boxed", "answer_phrase"], description="Extraction strategies in order.")
    correct_value: float = Field(1.0, description="Score when the numbers are equal.")
    wrong_value: float = Field(0.0, description="Score when they differ, or no number was found.")


@register("numeric_answer")
class NumericAnswerReward(_ExtractingReward):
    """GSM8K-style numeric equality: the extracted answer and the reference (a ``#### n``
    solution reads as ``n``) are parsed as plain numbers (commas, ``$`` dropped) and compared
    exactly. ``correct`` -> 1.0; ``wrong`` -> 0.0 (different, or the answer is not a number);
    ``no_answer`` -> 0.0; ``gold_unparseable`` -> None (the reference is not a number)."""

    Params = NumericAnswerParams
    params: NumericAnswerParams
    judges_correctness = True  # correct at correct_value

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.solution_column,)

    def judge(self, sample: Sample) -> Score:
        from fractions import Fraction

        from rlvr.math.extraction import extract_answer
        from rlvr.math.normalise import fold_lookalikes
        from rlvr.math.numbers import as_plain_number

        p = self.params
        gold_raw = _gold_text(sample, p.solution_column)
        gold = as_plain_number(_NUMBER_CLEAN.sub("", fold_lookalikes(_reference_answer(gold_raw or ""))).rstrip("."))
        if gold is None:
            return Score(None, Status.GOLD_UNPARSEABLE, f"reference {str(gold_raw)[:60]!r} is not a number")
        ex = extract_answer(sample.text, **p.extract_kwargs())
        details = {"extraction": ex.path}
        if ex.answer is None:
            return Score(p.wrong_value, Status.NO_ANSWER, f"no final answer ({ex.path})", details)
        details["answer"] = ex.answer[:100]
        pred = as_plain_number(_NUMBER_CLEAN.sub("", fold_lookalikes(ex.answer)).rstrip("."))
        if pred is None:
            return Score(p.wrong_value, Status.WRONG, "the answer is not a plain number", details)
        if Fraction(pred.value) == Fraction(gold.value):
            return Score(p.correct_value, Status.CORRECT, "equal numbers", details)
        return Score(p.wrong_value, Status.WRONG, "different numbers", details)


class UnslothParams(RewardParams):
    solution_column: str = Field("answer", description="Dataset column holding the reference answer.")
    reasoning_end: str = Field("<end_working_out>", description="Closing reasoning tag of the notebook's format.")
    solution_start: str = Field("<SOLUTION>", description="Opening solution tag.")
    solution_end: str = Field("</SOLUTION>", description="Closing solution tag.")
    eos_token: str | None = Field(None, description="EOS text allowed after the closing solution tag.")


_CHECK_ANSWER_DOC = """Unsloth GRPO notebook ``check_answer`` (Qwen3 (4B) GRPO): the text between
``<SOLUTION>`` and ``</SOLUTION>`` (after ``<end_working_out>``, at the end of the completion)
against the reference. Values: no such block -> -2.0 (``no_answer``); identical -> 5.0;
identical after stripping whitespace -> 3.5; otherwise numeric ratio answer/reference within
[0.9, 1.1] -> 2.0, within [0.8, 1.2] -> 1.5 (``partial``), else -2.5 (``wrong``); an answer or
reference that is not a number -> -4.5 (``wrong``). Source: unslothai/notebooks
``nb/Qwen3_(4B)-GRPO.ipynb``, reward ``check_answer``."""


def notebook_solution(text: str, p: UnslothParams) -> str | None:
    """The notebook regex ``<end_working_out>.*?<SOLUTION>(.+?)</SOLUTION>\\s*(EOS)?\\s*$``
    (DOTALL), evaluated in linear time: the text from the first ``<SOLUTION>`` after the first
    ``<end_working_out>`` up to the ``</SOLUTION>`` that ends the completion."""
    t = text.rstrip()
    if p.eos_token and t.endswith(p.eos_token):
        t = t[: -len(p.eos_token)].rstrip()
    if not t.endswith(p.solution_end):
        return None
    body_end = len(t) - len(p.solution_end)
    r = t.find(p.reasoning_end)
    if r < 0:
        return None
    start = t.find(p.solution_start, r + len(p.reasoning_end))
    if start < 0 or start + len(p.solution_start) >= body_end:
        return None
    return t[start + len(p.solution_start):body_end]


class _UnslothNotebookReward(Reward):
    """Shared column handling of the Unsloth notebook rewards: the reference comes from
    ``solution_column``; a missing/empty reference is ``gold_unparseable`` (None)."""

    Params = UnslothParams
    params: UnslothParams

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.solution_column,)

    def judge(self, sample: Sample) -> Score:
        gold = _gold_text(sample, self.params.solution_column)
        if gold is None:
            return Score(None, Status.GOLD_UNPARSEABLE, "no reference answer")
        return self.judge_against(sample, gold)

    def judge_against(self, sample: Sample, gold: str) -> Score:
        raise NotImplementedError


@register("unsloth_check_answer")
class UnslothCheckAnswerReward(_UnslothNotebookReward):
    __doc__ = _CHECK_ANSWER_DOC
    judges_correctness = True

    def correct_at(self) -> float:
        return 3.5  # "correct": 5.0 exact, 3.5 equal after stripping; the ratio credits are below

    def judge_against(self, sample: Sample, gold: str) -> Score:
        guess = notebook_solution(sample.text, self.params)
        if guess is None:
            return Score(-2.0, Status.NO_ANSWER, "no <SOLUTION> block at the end")
        if guess == gold:
            return Score(5.0, Status.CORRECT, "exact match")
        if guess.strip() == gold.strip():
            return Score(3.5, Status.CORRECT, "equal after stripping whitespace")
        g, ref = parse_number(guess), parse_number(gold)
        if g is None or ref is None or ref == 0:
            return Score(-4.5, Status.WRONG, "not a number")
        ratio = g / ref
        if 0.9 <= ratio <= 1.1:
            return Score(2.0, Status.PARTIAL, "within 10%")
        if 0.8 <= ratio <= 1.2:
            return Score(1.5, Status.PARTIAL, "within 20%")
        return Score(-2.5, Status.WRONG, "wrong number")


_FIRST_NUMBER = re.compile(r"-?[\d.,]{1,}")


@register("unsloth_check_numbers")
class UnslothCheckNumbersReward(_UnslothNotebookReward):
    """Unsloth GRPO notebook ``check_numbers``: the first number (optional minus sign) after
    ``<SOLUTION>`` (searched within the next 10 000 characters) against the reference. Values: no number -> -2.5 (``no_answer``); equal as floats (commas removed) ->
    3.5 (``correct``); different -> -1.5 (``wrong``); unparseable -> 0.0 (``wrong``).
    Source: unslothai/notebooks ``nb/Qwen3_(4B)-GRPO.ipynb``, reward ``check_numbers``."""

    judges_correctness = True

    def correct_at(self) -> float:
        return 3.5

    def judge_against(self, sample: Sample, gold: str) -> Score:
        start = sample.text.find(self.params.solution_start)
        m = _FIRST_NUMBER.search(sample.text, start + len(self.params.solution_start), start + 10_000) if start >= 0 else None
        if m is None:
            return Score(-2.5, Status.NO_ANSWER, "no number after the solution tag")
        try:
            guess = float(m.group().replace(",", "").strip())
            ref = float(gold.strip().replace(",", ""))
        except ValueError:
            return Score(0.0, Status.WRONG, "number or reference does not parse")
        if guess == ref:
            return Score(3.5, Status.CORRECT, "equal numbers")
        return Score(-1.5, Status.WRONG, "different numbers")


class IntegerAnswerParams(RewardParams):
    answer_tag: str = Field("answer", description="Tag holding the answer.")
    value: float = Field(0.5, description="Score when the answer is all digits.")


@register("integer_answer")
class IntegerAnswerReward(Reward):
    """GSM8K GRPO recipe ``int_reward_func`` (willccbb's gist): ``value`` (0.5) when the text of the
    last ``<answer>...</answer>`` (or after the last ``<answer>``) is all digits, else 0.0.
    Status ``ok`` / ``bad_format``."""

    Params = IntegerAnswerParams
    params: IntegerAnswerParams

    def judge(self, sample: Sample) -> Score:
        tag = self.params.answer_tag
        answer = sample.text.split(f"<{tag}>")[-1].split(f"</{tag}>")[0].strip()
        if answer.isdigit() and answer.isascii():
            return Score(self.params.value, Status.OK, "integer answer")
        return Score(0.0, Status.BAD_FORMAT, "answer is not all digits")


# --------------------------------------------------------------------------- presets
def _get(name: str, alias: str | None = None, **params: Any) -> Reward:
    from rlvr.rewards.registry import get_reward

    return get_reward(name, alias=alias, **params)  # type: ignore[return-value]


@register_preset("open_r1_math")
def open_r1_math(solution_column: str = "solution", timeout_seconds: float | None = 10.0) -> Any:
    """open-r1 maths GRPO stack: math_accuracy + format (open-r1 newline layout) + tag_count, weights 1/1/1.

    Source: huggingface/open-r1 recipes (``reward_funcs: [accuracy, format, tag_count]``),
    ``src/open_r1/rewards.py``. Accuracy is rlvr's hardened version (gold first, strict, None
    for an unparseable gold, answer searched inside the last <answer> block when present)."""
    from rlvr.rewards.stack import RewardStack

    return RewardStack([
        (_get("math_accuracy", solution_column=solution_column, answer_tag="answer", timeout_seconds=timeout_seconds), 1.0),
        (_get("format", layout="open_r1"), 1.0),
        (_get("tag_count"), 1.0),
    ], name="open_r1_math")


@register_preset("gsm8k_xml")
def gsm8k_xml(solution_column: str = "answer") -> Any:
    """GSM8K GRPO recipe (willccbb's gist): xml_count 1, soft format 0.5, strict format 0.5,
    integer answer 0.5, correctness 2.0, with <reasoning>/<answer> tags.

    Source: willccbb ``grpo_demo.py`` gist (``xmlcount_reward_func``, ``soft_format_reward_func``,
    ``strict_format_reward_func``, ``int_reward_func``, ``correctness_reward_func``)."""
    from rlvr.rewards.stack import RewardStack

    tags = dict(think_tag="reasoning", answer_tag="answer")
    return RewardStack([
        (_get("xml_count", **tags), 1.0),
        (_get("format", alias="soft_format", layout="gsm8k_soft", value=0.5, **tags), 1.0),
        (_get("format", alias="strict_format", layout="gsm8k_strict", value=0.5, **tags), 1.0),
        (_get("integer_answer", answer_tag="answer"), 1.0),
        (_get("numeric_answer", alias="correctness", solution_column=solution_column, think_tag="reasoning",
              answer_tag="answer", require_answer_tag=True, correct_value=2.0), 1.0),
    ], name="gsm8k_xml")


@register_preset("unsloth_math")
def unsloth_math(solution_column: str = "answer", prefilled: bool = True) -> Any:
    """Unsloth Qwen3 (4B) GRPO notebook stack: format exact 3.0, format approximate (+0.5/-1.0
    per tag), check_answer, check_numbers, with <start_working_out>/<end_working_out> and
    <SOLUTION>/</SOLUTION> tags (the chat template prefills <start_working_out>).

    Source: unslothai/notebooks ``nb/Qwen3_(4B)-GRPO.ipynb`` (``match_format_exactly``,
    ``match_format_approximately``, ``check_answer``, ``check_numbers``)."""
    from rlvr.rewards.stack import RewardStack

    tags = dict(think_open="<start_working_out>", think_close="<end_working_out>",
                answer_open="<SOLUTION>", answer_close="</SOLUTION>", prefilled=prefilled)
    return RewardStack([
        (_get("format", alias="match_format_exactly", value=3.0, allow_text_between=True, **tags), 1.0),
        (_get("format_approx", alias="match_format_approximately", **tags), 1.0),
        (_get("unsloth_check_answer", alias="check_answer", solution_column=solution_column), 1.0),
        (_get("unsloth_check_numbers", alias="check_numbers", solution_column=solution_column), 1.0),
    ], name="unsloth_math")
