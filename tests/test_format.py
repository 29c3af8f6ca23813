"""Format-family rewards: ported open-r1 / TRL / Unsloth / GSM8K-recipe vectors, rlvr's own
rules, configuration errors, malformed and hostile input."""

from __future__ import annotations

import pickle
import random
import re
import time

import pytest

from rlvr import Status, get_reward
from rlvr.rewards.base import RewardConfigError

FAMILY = ["format", "format_approx", "think_format", "tag_count", "xml_count", "reasoning_steps"]


def conv(texts: list[str]) -> list[list[dict[str, str]]]:
    """open-r1 / TRL test shape: each completion is ``[{"content": s}]``."""
    return [[{"content": t}] for t in texts]


# ----------------------------------------------------------------------------- open-r1 vectors
OPEN_R1_CORRECT = "<think>\nSome reasoning\n</think>\n<answer>\nThe answer\n</answer>"
OPEN_R1_INCORRECT = [
    "<think>Only thinking</think>",
    "<answer>Only answer</answer>",
    "No tags at all",
    "<think>Missing closing</think><answer>Missing closing",
    "<think>Wrong order</answer><answer>Wrong order</think>",
]
OPEN_R1_MULTILINE = (
    "<think>\nI will count each distinct object in the image:\n1. Purple scooter\n2. Red bicycle\n"
    "3. Green motorcycle\n4. Gray sedan\n5. Yellow school bus\n6. Small green double-decker bus\n"
    "7. Small red car\n8. Small purple car\n9. Small gray dirt bike\n\nThere are 9 distinct objects in total.\n"
    "</think>\n<answer>\n9\n</answer>"
)


@pytest.mark.parametrize("layout", ["open_r1", "flexible"])
def test_open_r1_format_vectors(layout: str) -> None:
    reward = get_reward("format", layout=layout)
    assert reward(completions=conv([OPEN_R1_CORRECT])) == [1.0]
    assert reward(completions=conv(OPEN_R1_INCORRECT)) == [0.0] * 5
    assert reward(completions=conv([OPEN_R1_MULTILINE])) == [1.0]


def test_open_r1_layout_keeps_its_quirks_flexible_fixes_them() -> None:
    junk = OPEN_R1_CORRECT + "\nJUNK after the answer"
    twice = OPEN_R1_CORRECT + "\n" + OPEN_R1_CORRECT
    one_line = "<think>r</think><answer>4</answer>"
    open_r1, flexible = get_reward("format", layout="open_r1"), get_reward("format")
    assert open_r1(completions=[junk, twice, one_line]) == [1.0, 1.0, 0.0]
    assert flexible(completions=[junk, twice, one_line]) == [0.0, 0.0, 1.0]
    assert flexible.score(junk).details["rule"] == "text_after"
    assert flexible.score(twice).details["rule"] == "repeated_tag"


def test_open_r1_tag_count_vectors() -> None:
    reward = get_reward("tag_count")
    assert reward(completions=conv([OPEN_R1_CORRECT])) == [1.0]
    partial = [
        "Some reasoning\n</think>\n<answer>\nThe answer\n</answer>",
        "<think>\nSome reasoning\n<answer>\nThe answer\n</answer>",
        "<think>\nSome reasoning\n</think>\nThe answer\n</answer>",
        "<think>\nSome reasoning\n</think>\n<answer>\nThe answer",
    ]
    assert reward(completions=conv(partial)) == [0.75] * 4
    assert reward(completions=conv(["Some reasoning\nThe answer"])) == [0.0]
    score = reward.score(partial[3])
    assert score.status is Status.BAD_FORMAT and "</answer>" in score.reason


def test_open_r1_reasoning_steps_vectors() -> None:
    for multiline in (True, False):
        reward = get_reward("reasoning_steps", multiline=multiline)
        got = reward(completions=conv([
            "Step 1: First step\nStep 2: Second step\nStep 3: Third step",
            "First, we do this.\nSecond, we do that.\nFinally, we conclude.",
            "Step 1: Only step",
            "First, we do this.\nFinally, we conclude.",
            "Just plain text without any clear steps",
        ]))
        assert got[:2] == [1.0, 1.0]
        assert got[2] == pytest.approx(1 / 3) and got[3] == pytest.approx(2 / 3) and got[4] == 0.0


def test_reasoning_steps_counts_numbered_lines_everywhere() -> None:
    text = "Let me list:\n1. a\n2. b\n3. c"
    assert get_reward("reasoning_steps").score(text).value == 1.0
    assert get_reward("reasoning_steps", multiline=False).score(text).value == 0.0  # open-r1's bug
    assert get_reward("reasoning_steps", multiline=False).score("1. a").value == pytest.approx(1 / 3)


OPEN_R1_STEPS = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)")


def _random_step_texts(n: int = 3000) -> list[str]:
    rng = random.Random(7)
    pieces = ["Step 1:", "Step ", "12", "3.", "1.", "\n", "\n-", "-", "\n*", "*", "First,", "First", "Second,",
              "Next,", "Finally,", " ", "x", ".", ":"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(n)]


@pytest.mark.parametrize("target", [1, 3, 50])
def test_reasoning_steps_equals_open_r1_regex(target: int) -> None:
    exact = get_reward("reasoning_steps", multiline=False, target_count=target)
    fixed = get_reward("reasoning_steps", target_count=target)
    fixed_regex = re.compile(OPEN_R1_STEPS.pattern, re.MULTILINE)
    for text in _random_step_texts():
        assert exact.score(text).value == pytest.approx(min(1.0, len(OPEN_R1_STEPS.findall(text)) / target)), repr(text)
        assert fixed.score(text).value == pytest.approx(min(1.0, len(fixed_regex.findall(text)) / target)), repr(text)


def test_reasoning_steps_custom_cues() -> None:
    regex = get_reward("reasoning_steps", cues=[r"Therefore", r"\bso\b"], target_count=2)
    assert regex.score("so... Therefore").value == 1.0
    assert regex.score("also").value == 0.0
    literal = get_reward("reasoning_steps", cues=["(a)", "(b)"], literal=True, target_count=4, value=2.0)
    assert literal.score("(a) (b) (a)").value == pytest.approx(1.5)
    with pytest.raises(RewardConfigError, match="literal=True"):
        get_reward("reasoning_steps", cues=["(unclosed"])
    with pytest.raises(RewardConfigError):
        get_reward("reasoning_steps", target_count=0)


# ----------------------------------------------------------------------------- TRL vectors
TRL_VALID = [
    "<think>This is my reasoning.</think>This is my answer.",
    "<think>\nThis is my reasoning.\n</think>\nThis is my answer.",
    "<think>\nThis is\nmy reasoning.\n</think>\nThis is my answer.",
    "<think>\nThis is <some tag> my reasoning.</think>\nThis is my answer.",
    "<think></think>\nThis is my answer.",
]
TRL_INVALID = [
    "<think>\nThis is my reasoning.\nThis is my answer.",
    "<think>This is my reasoning.\nThis is my answer.",
    "This is my reasoning. This is my answer.",
    "This is my reasoning.\nThis is my answer.",
    "This is my reasoning.</think>\nThis is my answer.",
    "This is my reasoning.</think>This is my answer.",
    "This<think>is my reasoning.</think>\nThis is my answer.",
    "<think>This is<think>my reasoning.</think></think>This is my answer.",
    "<think>This is</think>\nmy\n<think>reasoning.</think>\nThis is my answer.",
]


def test_trl_think_format_vectors() -> None:
    reward = get_reward("think_format")
    assert reward(completions=conv(TRL_VALID)) == [1.0] * 5
    assert reward(completions=conv(TRL_INVALID)) == [0.0] * 9
    assert reward(completions=conv(TRL_VALID[:2] + TRL_INVALID[1:3])) == [1.0, 1.0, 0.0, 0.0]
    assert reward.score(TRL_INVALID[7]).reason.startswith("a second")


def test_think_format_same_as_installed_trl() -> None:
    trl_rewards = pytest.importorskip("trl.rewards")
    texts = TRL_VALID + TRL_INVALID + ["", "<think>", "</think>", "<think></think></think>", " <think>a</think>"]
    assert get_reward("think_format")(completions=conv(texts)) == trl_rewards.think_format_reward(conv(texts))


def test_think_format_extensions() -> None:
    prefilled = get_reward("think_format", prefilled=True)
    assert prefilled(completions=["reasoning</think>answer", "<think>r</think>a", "r<think>x</think>a", "no close"]) == [1.0, 1.0, 0.0, 0.0]
    needs_answer = get_reward("think_format", require_answer=True, value=0.5)
    assert needs_answer(completions=["<think>r</think>42", "<think>r</think>\n  "]) == [0.5, 0.0]
    custom = get_reward("think_format", think_open="<start_working_out>", think_close="<end_working_out>")
    assert custom(completions=["<start_working_out>r<end_working_out>x"]) == [1.0]


# ----------------------------------------------------------------------------- Unsloth
UNSLOTH_TAGS = {"think_open": "<start_working_out>", "think_close": "<end_working_out>", "answer_open": "<SOLUTION>", "answer_close": "</SOLUTION>"}


def _unsloth_approx(text: str) -> float:
    """The notebook's match_format_approximately, as specified."""
    return sum(0.5 if text.count(t) == 1 else -1.0 for t in ("<end_working_out>", "<SOLUTION>", "</SOLUTION>"))


def test_format_approx_unsloth() -> None:
    reward = get_reward("format_approx", prefilled=True, **UNSLOTH_TAGS)
    texts = [
        "Let me think<end_working_out><SOLUTION>2</SOLUTION>",
        "<start_working_out>x<end_working_out><SOLUTION>2</SOLUTION>",
        "no tags",
        "<SOLUTION>1</SOLUTION><SOLUTION>2</SOLUTION><end_working_out>",
        "<end_working_out><end_working_out><SOLUTION>",
    ]
    assert reward(completions=texts) == [_unsloth_approx(t) for t in texts] == [1.5, 1.5, -3.0, -1.5, -1.5]
    assert reward.score(texts[0]).status is Status.OK
    assert reward.score(texts[3]).status is Status.BAD_FORMAT


def test_format_approx_defaults_and_explicit_tags() -> None:
    default = get_reward("format_approx")  # <think>, </think>, <answer>, </answer>
    assert default.score("<think>a</think><answer>b</answer>").value == 2.0
    assert default.score("").value == -4.0
    explicit = get_reward("format_approx", tags=["<a>", "<b>"], once_value=1.0, otherwise_value=0.0)
    assert explicit.score("<a><a><b>").value == 1.0
    with pytest.raises(RewardConfigError):
        get_reward("format_approx", tags=[])


def test_format_unsloth_exact() -> None:
    reward = get_reward("format", prefilled=True, value=3.0, eos_token="<|endoftext|>", **UNSLOTH_TAGS)
    good = "Let me think\n<end_working_out>\n<SOLUTION>42</SOLUTION><|endoftext|>"
    assert reward(completions=[good]) == [3.0]
    assert reward(completions=["<start_working_out>" + good]) == [3.0]  # prefill included by the trainer
    assert reward(completions=[good + " more"]) == [0.0]
    assert reward(completions=["x<end_working_out>text<SOLUTION>42</SOLUTION>"]) == [0.0]
    relaxed = get_reward("format", prefilled=True, allow_text_between=True, **UNSLOTH_TAGS)
    assert relaxed(completions=["x<end_working_out>text<SOLUTION>42</SOLUTION>"]) == [1.0]


def test_format_open_thoughts_tags() -> None:
    reward = get_reward("format", think_open="<|begin_of_thought|>", think_close="<|end_of_thought|>",
                        answer_open="<|begin_of_solution|>", answer_close="<|end_of_solution|>")
    text = "<|begin_of_thought|>\n\nr\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n42\n\n<|end_of_solution|>"
    assert reward(completions=[text]) == [1.0]
    assert reward(completions=[text.replace("<|end_of_solution|>", "")]) == [0.0]


def test_format_reasoning_tag() -> None:
    reward = get_reward("format", think_tag="reasoning")
    assert reward(completions=["<reasoning>r</reasoning><answer>4</answer>", "<think>r</think><answer>4</answer>"]) == [1.0, 0.0]


# ----------------------------------------------------------------------------- GSM8K recipe
def _count_xml_reference(text: str) -> float:
    """willccbb's count_xml, as specified (see XmlCountReward's docstring)."""
    total = 0.0
    if text.count("<reasoning>\n") == 1:
        total += 0.125
    if text.count("\n</reasoning>\n") == 1:
        total += 0.125
    if text.count("\n<answer>\n") == 1:
        total += 0.125
        total -= len(text.split("\n</answer>\n")[-1]) * 0.001
    if text.count("\n</answer>") == 1:
        total += 0.125
        total -= (len(text.split("\n</answer>")[-1]) - 1) * 0.001
    return total


def _xml_texts(n: int = 3000) -> list[str]:
    rng = random.Random(3)
    tags = ["<reasoning>", "</reasoning>", "<answer>", "</answer>"]
    pieces = tags + [t + "\n" for t in tags] + ["\n" + t for t in tags] + ["\n" + t + "\n" for t in tags]
    pieces += ["\n", "x", "yz", " "]
    valid = ["<reasoning>\n", "r", "\n</reasoning>\n", "<answer>\n", "4", "\n</answer>\n"]
    out = []
    for _ in range(n):
        seq = list(valid) if rng.random() < 0.5 else []
        for _ in range(rng.randint(0, 6)):
            seq.insert(rng.randint(0, len(seq)), rng.choice(pieces))
        out.append("".join(seq))
    return out


def test_xml_count_equals_recipe() -> None:
    reward = get_reward("xml_count", think_tag="reasoning")
    texts = _xml_texts()
    texts += ["<reasoning>\nr\n</reasoning>\n<answer>\n4\n</answer>\n", "x\n<answer>\n4\n</answer>\n</answer>\ntail"]
    got = reward(completions=texts)
    for text, value in zip(texts, got):
        assert value == _count_xml_reference(text), repr(text)  # bit-for-bit
    assert got[-2] == 0.5
    assert sum(v >= 0.375 for v in got) > 300  # well-formed layouts are covered too


def test_xml_count_default_tag_is_think() -> None:
    assert get_reward("xml_count").score("<think>\nr\n</think>\n<answer>\n4\n</answer>\n").value == 0.5
    assert get_reward("xml_count", prefilled=True).score("r\n</think>\n<answer>\n4\n</answer>\n").value == 0.5
    assert get_reward("xml_count").score("r\n</think>\n<answer>\n4\n</answer>\n").status is Status.BAD_FORMAT


def test_gsm8k_layouts() -> None:
    strict = get_reward("format", layout="gsm8k_strict", think_tag="reasoning", value=0.5)
    soft = get_reward("format", layout="gsm8k_soft", think_tag="reasoning", value=0.5)
    one_line = "<reasoning>\n2+2=4\n</reasoning>\n<answer>\n4\n</answer>\n"
    multi_line = "<reasoning>\n2+2\n=4\n</reasoning>\n<answer>\n4\n</answer>\n"
    assert strict(completions=[one_line, multi_line, one_line.rstrip("\n")]) == [0.5, 0.0, 0.0]
    assert soft(completions=["<reasoning>r</reasoning>\n\n<answer>4</answer> anything", one_line]) == [0.5, 0.0]
    prefilled = get_reward("format", layout="gsm8k_strict", think_tag="reasoning", prefilled=True)
    assert prefilled(completions=["2+2=4\n</reasoning>\n<answer>\n4\n</answer>\n", one_line]) == [1.0, 1.0]


def test_recipe_layouts_refuse_flexible_options() -> None:
    for option in ({"eos_token": "</s>"}, {"allow_empty_answer": True}, {"allow_text_between": False}):
        with pytest.raises(RewardConfigError, match="layout='flexible'"):
            get_reward("format", layout="open_r1", **option)
    with pytest.raises(RewardConfigError, match="layout"):
        get_reward("format", layout="nope")
    with pytest.raises(RewardConfigError, match="overlap"):
        get_reward("tag_count", think_open="<x>", answer_open="<x>")


# ----------------------------------------------------------------------------- contract & hostile input
def test_family_trl_contract_and_pickle() -> None:
    for name in FAMILY:
        reward = get_reward(name)
        assert reward.__name__ == name
        clone = pickle.loads(pickle.dumps(reward))
        texts = [OPEN_R1_CORRECT, "junk"]
        out = clone(prompts=["p", "p"], completions=conv(texts), completion_ids=[[1], [2]], solution=["a", "b"], trainer_state=None)
        assert out == reward(completions=texts) and len(out) == 2
        assert all(isinstance(v, float) for v in out)


BAD_INPUTS = [None, 7, 3.5, {"content": "<think>a</think><answer>b</answer>"}, {"no": "content"}, [], [[1, 2]],
              [{"role": "assistant", "content": None}], "\ud800<think>\udfff</think><answer>\ud800</answer>", b"bytes",
              [{"role": "assistant", "content": [{"type": "text", "text": "<think>"}]}]]


@pytest.mark.parametrize("name", FAMILY)
def test_bad_inputs_return_n_values(name: str) -> None:
    reward = get_reward(name)
    out = reward(completions=BAD_INPUTS + ["x" * 10_000_000])
    assert len(out) == len(BAD_INPUTS) + 1
    assert all(v is None or isinstance(v, float) for v in out)
    scores = reward.score_batch(BAD_INPUTS)
    assert scores[4].status is Status.INVALID_INPUT and scores[4].value is None


def _hostile() -> dict[str, str]:
    mb = 1_000_000
    return {
        "open_think": "<think>" * (mb // 7),
        "close_answer_lines": "\n</answer>" * (mb // 10),
        "open_r1_near_miss": "<think>\n" + "\n</think>\n<answer>\n" * (mb // 19) + "\n</answer>x" * 1000,
        "soft_near_miss": "<think>" + "</think> <answer>" * (mb // 17),
        "unbalanced": "<think><answer></think></answer>\n" * (mb // 34),
        "newlines": "\n" * mb,
        "numbered": "\n1" * (mb // 2),
        "spaces_then_tag": "<think>a</think>" + " " * mb + "<answer>",
    }


@pytest.mark.parametrize("name, params", [(n, {}) for n in FAMILY] + [
    ("format", {"layout": "open_r1"}), ("format", {"layout": "gsm8k_strict"}), ("format", {"layout": "gsm8k_soft"}),
    ("format", {"prefilled": True}), ("reasoning_steps", {"cues": ["a+b", "c"]}),
])
def test_hostile_megabyte_is_fast(name: str, params: dict) -> None:
    reward = get_reward(name, **params)
    for label, text in _hostile().items():
        start = time.perf_counter()
        reward.score(text)
        elapsed = time.perf_counter() - start
        assert elapsed < 1.0, f"{name} {params} took {elapsed:.3f}s on {label}"  # target 50 ms (benchmark)


def test_count_numbered_lines_both_strategies_equal_regex() -> None:
    from rlvr.rewards.format import count_numbered_lines

    regex = re.compile(r"^\d+\.", re.MULTILINE)
    rng = random.Random(11)
    dense = ["\n", "1", "23", ".", "x", " ", "\u0663"]  # U+0663: an Arabic-Indic digit is \d too
    sparse = ["\n", "\n", "\n", "1", "7", "x", "\n\n"]
    for pieces, dot_rate in ((dense, 0.0), (sparse, 0.02)):
        for _ in range(3000):
            text = "".join(rng.choice(pieces) if rng.random() > dot_rate else "." for _ in range(rng.randint(0, 40)))
            expected = len(regex.findall(text))
            assert count_numbered_lines(text, 1000) == expected, repr(text)
            assert count_numbered_lines(text, 2) == min(2, expected), repr(text)
