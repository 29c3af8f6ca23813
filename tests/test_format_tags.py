"""The linear tag scanners of rlvr.verifiers.tags against the original recipes' regexes.

Each ``matches_*`` function claims to give exactly the original regex's answer on every
input; these tests check that claim on many generated strings built from the characters
and tag fragments that matter (newlines, whitespace, tags, partial tags).
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.verifiers.tags import (
    EMPTY_ANSWER,
    EMPTY_THINK,
    MISSING_TAG,
    REPEATED_TAG,
    TEXT_AFTER,
    TEXT_BEFORE,
    TEXT_BETWEEN,
    WRONG_ORDER,
    TagSpec,
    matches_gsm8k_soft,
    matches_gsm8k_strict,
    matches_open_r1,
    matches_think_block,
    parse_think_answer,
    text_after_last,
)

OPEN_R1 = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
GSM8K_STRICT = re.compile(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$")
GSM8K_SOFT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>")
TRL_THINK = re.compile(r"^<think>(?!.*<think>)(.*?)</think>.*$", re.DOTALL | re.MULTILINE)
REASONING = TagSpec("<reasoning>", "</reasoning>")
SPACED = TagSpec("<r a>", " </r>", "<s b>", "</s b>")  # tags with whitespace take the generic path
SPACED_SOFT = re.compile(re.escape("<r a>") + ".*?" + re.escape(" </r>") + r"\s*" + re.escape("<s b>") + ".*?" + re.escape("</s b>"))


def _pieces(tags: list[str]) -> list[str]:
    pieces = tags + [t + "\n" for t in tags] + ["\n" + t for t in tags] + ["\n" + t + "\n" for t in tags]
    return pieces + ["\n", "\n", " ", "\t", "a", "bc", "<", ">", "</", "\u00a0", "\r", "\n\n"]


def near_layouts(tags: list[str], n: int = 6000, seed: int = 0) -> list[str]:
    """Random strings over tags/newlines/whitespace/letters: half pure noise, half a valid
    layout (line-tag or one-line) with 1-3 random mutations (insert,
    delete, duplicate, swap), so matches and near-misses are both frequent."""
    rng = random.Random(seed)
    pieces = _pieces(tags)
    to, tc, ao, ac = tags
    templates = ([to, "\n", "x", "\n", tc, "\n", ao, "\n", "y", "\n", ac, "\n"], [to, "x", tc, "\n", ao, "y", ac])
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            seq = [rng.choice(pieces) for _ in range(rng.randint(0, 14))]
        else:
            seq = list(rng.choice(templates))
            for _ in range(rng.randint(0, 3)):
                op, i = rng.randint(0, 3), rng.randrange(len(seq) + 1)
                if op == 0:
                    seq.insert(i, rng.choice(pieces))
                elif seq and op == 1:
                    del seq[min(i, len(seq) - 1)]
                elif seq and op == 2:
                    j = min(i, len(seq) - 1)
                    seq.insert(j, seq[j])
                elif len(seq) > 1:
                    j = rng.randrange(len(seq) - 1)
                    seq[j], seq[j + 1] = seq[j + 1], seq[j]
        out.append("".join(seq))
    return out


THINK_TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
REASONING_TAGS = ["<reasoning>", "</reasoning>", "<answer>", "</answer>"]


@pytest.mark.parametrize(
    "matcher, regex, tags",
    [
        (lambda t: matches_open_r1(t), OPEN_R1, THINK_TAGS),
        (lambda t: matches_gsm8k_strict(t, REASONING), GSM8K_STRICT, REASONING_TAGS),
        (lambda t: matches_gsm8k_soft(t, REASONING), GSM8K_SOFT, REASONING_TAGS),
        (lambda t: matches_think_block(t), TRL_THINK, THINK_TAGS),
        (lambda t: matches_gsm8k_soft(t, SPACED), SPACED_SOFT, list(SPACED.tags)),
    ],
    ids=["open_r1", "gsm8k_strict", "gsm8k_soft", "trl_think_format", "gsm8k_soft_spaced_tags"],
)
def test_matcher_equals_original_regex(matcher, regex, tags) -> None:
    cases = near_layouts(tags)
    matched = 0
    for text in cases:
        expected = bool(regex.match(text))
        assert matcher(text) == expected, repr(text)
        matched += expected
    assert 0.03 * len(cases) < matched < 0.97 * len(cases)  # both outcomes well covered


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_pieces(THINK_TAGS)), max_size=14).map("".join))
def test_open_r1_matcher_equals_regex_hypothesis(text: str) -> None:
    assert matches_open_r1(text) == bool(OPEN_R1.match(text))


@pytest.mark.parametrize("sep", ["\n</answer>\n", "\n</answer>", "aa", "aba", "\n"])
def test_text_after_last_equals_split(sep: str) -> None:
    for text in near_layouts(THINK_TAGS, n=1500, seed=1) + ["aaaa", "abababa", "aaa\n</answer>\n</answer>\n"]:
        assert text_after_last(text, sep) == text.split(sep)[-1]


def test_text_after_last_overlapping_separator() -> None:
    # "\n</answer>\n" overlaps itself on "\n": split() takes the first of two overlapping ones
    text = "x\n</answer>\n</answer>\nTAIL"
    assert text_after_last(text, "\n</answer>\n") == text.split("\n</answer>\n")[-1] == "</answer>\nTAIL"


def test_matchers_with_custom_tags_follow_the_same_grammar() -> None:
    spec = TagSpec("<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>")
    good = "<|begin_of_thought|>\nr\n<|end_of_thought|>\n<|begin_of_solution|>\n4\n<|end_of_solution|>"
    assert matches_open_r1(good, spec)
    assert matches_gsm8k_strict(good + "\n", spec)
    assert not matches_gsm8k_soft(good, spec)  # soft: each block's content on one line
    assert matches_gsm8k_soft(good.replace("\nr\n", "r").replace("\n4\n", "4"), spec)
    assert matches_think_block(good, spec.think_open, spec.think_close)
    assert not matches_open_r1(good)


# ----------------------------------------------------------------------------- flexible grammar
@pytest.mark.parametrize(
    "text, rule",
    [
        ("<think>a</think><answer>b</answer>", ""),
        ("\n <think>a</think>\n\n<answer>b</answer>\n ", ""),
        ("<think></think><answer>b</answer>", ""),
        ("no tags", MISSING_TAG),
        ("<think>a</think>b", MISSING_TAG),
        ("a</think><answer>b</answer>", MISSING_TAG),
        ("<think>a</think><answer>b", MISSING_TAG),
        ("<think>a<think>b</think></think><answer>c</answer>", REPEATED_TAG),
        ("<think>a</think><answer>b</answer><think>a</think><answer>b</answer>", REPEATED_TAG),
        ("<think>a <answer>x</answer></think><answer>b</answer>", REPEATED_TAG),
        ("</think><think>a<answer>b</answer>", WRONG_ORDER),
        ("<think>a<answer>b</think></answer>", WRONG_ORDER),
        ("<think>a</think></answer>b<answer>", WRONG_ORDER),
        ("Sure! <think>a</think><answer>b</answer>", TEXT_BEFORE),
        ("<think>a</think>so<answer>b</answer>", TEXT_BETWEEN),
        ("<think>a</think><answer>b</answer>junk", TEXT_AFTER),
        ("<think>a</think><answer>b</answer>\nmore text", TEXT_AFTER),
        ("<think>a</think><answer> \n </answer>", EMPTY_ANSWER),
    ],
)
def test_flexible_rules(text: str, rule: str) -> None:
    check = parse_think_answer(text)
    assert check.ok == (rule == "")
    assert check.rule == rule
    if rule:
        assert check.reason and check.think is None
    else:
        assert text[check.answer[0] : check.answer[1]].strip() == "b"


def test_flexible_spans_and_options() -> None:
    text = "<think>r</think> <answer>42</answer>"
    check = parse_think_answer(text)
    assert text[slice(*check.think)] == "r" and text[slice(*check.answer)] == "42"
    assert parse_think_answer("<think> </think><answer>1</answer>", allow_empty_think=False).rule == EMPTY_THINK
    assert parse_think_answer("<think>a</think><answer></answer>", allow_empty_answer=True).ok
    assert parse_think_answer("<think>a</think>so:<answer>1</answer>", allow_text_between=True).ok
    assert parse_think_answer("<think>a</think><answer>1</answer> <eos>\n", eos_token="<eos>").ok
    assert parse_think_answer("<think>a</think><answer>1</answer><eos><eos>", eos_token="<eos>").rule == TEXT_AFTER


def test_flexible_prefilled() -> None:
    # starts inside the think block: no opening tag, or the opening tag once at the start
    assert parse_think_answer("r</think><answer>1</answer>", prefilled=True).ok
    assert parse_think_answer("<think>r</think><answer>1</answer>", prefilled=True).ok
    assert parse_think_answer("r</think><answer>1</answer>").rule == MISSING_TAG
    assert parse_think_answer("r<think>s</think><answer>1</answer>", prefilled=True).rule == TEXT_BEFORE
    assert parse_think_answer("<think>r<think>s</think><answer>1</answer>", prefilled=True).rule == REPEATED_TAG
    check = parse_think_answer("reasoning</think><answer>1</answer>", prefilled=True)
    assert check.think == (0, 9)


def test_tag_spec_rejects_ambiguous_tags() -> None:
    with pytest.raises(ValueError, match="overlap"):
        TagSpec.from_names(think_open="<t>", think_close="<t>")
    with pytest.raises(ValueError, match="overlap"):
        TagSpec.from_names(answer_open="ans", answer_close="/ans")
    with pytest.raises(ValueError, match="non-empty"):
        TagSpec.from_names(think_open="")
    assert TagSpec.from_names("reasoning").think_close == "</reasoning>"


def _flexible_reference(tags: list[str], prefilled: bool = False) -> re.Pattern[str]:
    to, tc, ao, ac = (re.escape(t) for t in tags)
    no_tag = rf"(?:(?!{to}|{tc}|{ao}|{ac}).)*"
    head = rf"(?:\s*{to})?" if prefilled else rf"\s*{to}"
    return re.compile(rf"{head}{no_tag}{tc}\s*{ao}(?P<answer>{no_tag}){ac}\s*(?:<eos>)?\s*\Z", re.DOTALL)


# bracketed tags take the one-pass findall path, the others the find-based path
@pytest.mark.parametrize("prefilled", [False, True])
@pytest.mark.parametrize("tags", [THINK_TAGS, ["@think", "@/think", "@ans", "@/ans"]], ids=["bracketed", "plain"])
def test_flexible_grammar_equals_reference_regex(tags: list[str], prefilled: bool) -> None:
    """The flexible layout is this (slow, backtracking) regex plus a non-empty answer."""
    reference = _flexible_reference(tags, prefilled)
    spec = TagSpec(*tags)
    cases = near_layouts(tags, n=6000, seed=5)
    cases += [c + "<eos>" for c in cases[:2000]] + [c + " <eos>\n" for c in cases[2000:3000]]
    matched = 0
    for text in cases:
        m = reference.match(text)
        expected = bool(m) and bool(m.group("answer").strip())
        assert parse_think_answer(text, spec, eos_token="<eos>", prefilled=prefilled).ok == expected, repr(text)
        matched += expected
    assert matched > 300


def test_flexible_long_completion_uses_the_same_rules() -> None:
    filler = "x" * 100_000  # beyond the one-pass scan's size limit
    assert parse_think_answer(f"<think>{filler}</think><answer>1</answer>").ok
    assert parse_think_answer(f"<think>{filler}</think><answer>1</answer>x").rule == TEXT_AFTER
    assert parse_think_answer(f"<think>{filler}<think></think><answer>1</answer>").rule == REPEATED_TAG
    assert parse_think_answer(f"{filler}</think><answer>1</answer>", prefilled=True).ok
