"""rlvr.parsing: one split of a completion into reasoning and answer, and the rewards that use it."""

from __future__ import annotations

import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlvr.completion import completion_text
from rlvr.parsing import DEFAULT_TAGS, Found, TagSpec, join, split
from rlvr.rewards.base import Reward, RewardConfigError, RewardParams, Sample
from rlvr.rewards.registry import get_reward
from rlvr.score import Score, Status

NO_ANSWER_TAGS = TagSpec.from_names("think", None)


def parts(text: str, spec: TagSpec = DEFAULT_TAGS, **options: str) -> tuple[str, str | None, str | None, str | None]:
    s = split(text, spec, **options)  # type: ignore[arg-type]
    return s.how.value, s.reasoning_text, s.region_text, s.answer_text


# ----------------------------------------------------------------------------- the cases
def test_closed():
    assert parts("<think>r</think> a <answer>x</answer>") == ("closed", "r", " a <answer>x</answer>", "x")


def test_text_before_the_opening_tag_is_not_reasoning():
    s = split("intro <think>r</think>a")
    assert (s.how, s.reasoning_text, s.region_text) == (Found.CLOSED, "r", "a")


def test_prefilled_template_leaves_only_the_closing_tag():
    assert parts("r</think>a") == ("prefilled", "r", "a", None)
    # the same text whether or not the spec says the template prefills: both read it as prefilled
    assert parts("r</think>a", TagSpec(prefilled=True)) == ("prefilled", "r", "a", None)
    # a trainer that prepends the prefill: an ordinary closed block
    assert parts("<think>r</think>a", TagSpec(prefilled=True)) == ("closed", "r", "a", None)


def test_unclosed_block_has_no_answer_region():
    assert parts("x<think>cut off <answer>1</answer>") == ("unclosed", "cut off <answer>1</answer>", None, None)
    # with a prefilling template a completion without the closing tag never left its reasoning
    assert parts("still thinking", TagSpec(prefilled=True)) == ("unclosed", "still thinking", None, None)
    # a reward that searches the whole text instead (countdown) says so
    assert parts("<think>cut <answer>1</answer>", unclosed="whole") == (
        "unclosed", "cut <answer>1</answer>", "<think>cut <answer>1</answer>", "1")


def test_no_tags_is_all_answer():
    assert parts("just 42") == ("none", None, "just 42", None)
    assert parts("") == ("none", None, "", None)
    assert split("just 42").blocks == ()


def test_repeated_blocks_answer_after_the_last_close():
    s = split("<think>a</think>b<think>c</think>d")
    assert (s.how, s.reasoning_text, s.region_text, s.chain_of_thought) == (Found.CLOSED, "a", "d", "a\nc")
    assert [s.text[i:j] for i, j in s.blocks] == ["a", "c"]
    # a repeated closing tag: the first one ends the block, the answer follows the last one
    s = split("<think>a</think>b</think>c")
    assert (s.reasoning_text, s.region_text, s.chain_of_thought) == ("a", "c", "a")
    # a prefilled first block followed by a closed one: both are reasoning, as in the closed case
    assert split("a</think>b<think>c</think>d").chain_of_thought == "a\nc"


def test_nested_opening_tags_are_not_tracked():
    s = split("<think>a<think>b</think>c</think>d")
    assert (s.how, s.reasoning_text, s.region_text) == (Found.CLOSED, "a<think>b", "d")


def test_reopened_after_the_last_close():
    s = split("<think>a</think>b<think>c")
    assert (s.how, s.reopened, s.reasoning_text, s.region_text) == (Found.CLOSED, True, "a", "b<think>c")
    assert split("<think>a</think>b<think>c", reopened="no_answer").region is None
    # mismatched: a closing tag first, then an opening tag never closed
    s = split("</think>a<think>b")
    assert (s.how, s.reopened, s.reasoning_text, s.region_text) == (Found.PREFILLED, True, "", "a<think>b")
    assert not split("<think>a</think>b").reopened


def test_answer_block_is_the_last_complete_one_after_the_reasoning():
    text = "<think>maybe <answer>1</answer></think><answer>2</answer> and <answer>3</answer>"
    assert split(text).answer_text == "3"
    assert split("<think><answer>1</answer></think> done").answer is None  # only inside the reasoning
    assert split("<think>t</think><answer>unclosed").answer is None
    assert split("<think>t</think></answer>x<answer>").answer is None  # closing before opening
    assert split("<think>t</think><answer></answer>").answer_text == ""
    assert split("<think>t</think><answer>x</answer>", NO_ANSWER_TAGS).answer is None


def test_custom_tag_strings():
    unsloth = TagSpec.from_names(think_open="<start_working_out>", think_close="<end_working_out>",
                                 answer_open="<SOLUTION>", answer_close="</SOLUTION>", prefilled=True)
    s = split("work<end_working_out><SOLUTION>7</SOLUTION>", unsloth)
    assert (s.how, s.reasoning_text, s.answer_text) == (Found.PREFILLED, "work", "7")
    # the default tags mean nothing under another spec
    assert parts("<think>t</think>x", TagSpec.from_names("r", None)) == ("none", None, "<think>t</think>x", None)


def test_spans_index_the_text():
    text = "<think>abc</think>xy<answer>z</answer>"
    s = split(text)
    assert s.reasoning == (7, 10) and s.region == (18, len(text)) and s.answer == (28, 29)


# ----------------------------------------------------------------------------- TagSpec, join
def test_tag_spec_from_names_and_validation():
    assert TagSpec.from_names("reasoning", "sol").tags == ("<reasoning>", "</reasoning>", "<sol>", "</sol>")
    assert TagSpec.from_names(answer_tag=None).answer_open is None
    assert TagSpec.from_names(prefilled=True).prefilled
    with pytest.raises(ValueError, match="no answer tags"):
        _ = NO_ANSWER_TAGS.tags
    with pytest.raises(ValueError, match="both"):
        TagSpec("<t>", "</t>", "<a>", None).check()
    with pytest.raises(ValueError, match="both"):  # never a made-up "</None>"
        TagSpec.from_names("t", None, answer_open="<S>")
    assert TagSpec.from_names("t", None, answer_open="<S>", answer_close="</S>").tags[2:] == ("<S>", "</S>")
    with pytest.raises(ValueError, match="overlap"):
        TagSpec.from_names("x", "x")
    with pytest.raises(ValueError, match="non-empty"):
        TagSpec.from_names(think_close=" ")


def test_tag_spec_is_hashable_and_picklable():
    spec = TagSpec.from_names("r", "a", prefilled=True)
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert len({spec, TagSpec.from_names("r", "a", prefilled=True)}) == 1


def test_join_is_split_back():
    text = join("\n  two plus two\n", "\n<answer>4</answer>")
    assert text == "<think>\ntwo plus two\n</think>\n<answer>4</answer>"
    s = split(text)
    assert (s.how, s.reasoning_text, s.answer_text) == (Found.CLOSED, "\ntwo plus two\n", "4")
    assert join("r", "c", TagSpec.from_names("reasoning")) == "<reasoning>\nr\n</reasoning>\nc"


# ----------------------------------------------------------------------------- invariants, size
tag_soup = st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "a", " ", "\n", "<", ">"]),
                    max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(tag_soup, st.booleans())
def test_split_invariants(text, prefilled):
    spec = TagSpec(prefilled=prefilled)
    s = split(text, spec)
    assert (s.region is None) == (s.how is Found.UNCLOSED)
    if s.region is not None:
        region = s.region_text
        assert "</think>" not in region and text.endswith(region)
    if s.how is Found.NONE:
        assert "<think>" not in text and "</think>" not in text and not prefilled
    for start, end in s.blocks:
        assert "</think>" not in text[start:end] and text[end:].startswith("</think>")
    if s.answer is not None:
        lo, hi = s.region
        assert lo <= s.answer[0] <= s.answer[1] <= hi and "<answer>" not in s.answer_text
        assert text[s.answer[1]:].startswith("</answer>") and "</answer>" not in text[s.answer[1] + 9:hi]
    assert (s.reasoning is None) == (s.how is Found.NONE)


MEGABYTE = {
    "opening tags": lambda: "<think>" * 150_000,
    "closing tags": lambda: "</think>" * 130_000,
    "closed blocks": lambda: "<think></think>" * 70_000,
    "opens then answer opens": lambda: "<think>" * 70_000 + "</think>" + "<answer>" * 70_000,
    "mismatched pairs": lambda: "</think><think>" * 40_000 + "</answer><answer>" * 30_000,
    "no tags": lambda: "x" * 1_000_000,
}


@pytest.mark.parametrize("kind", sorted(MEGABYTE))
def test_megabyte_inputs_split_in_linear_time(kind):
    text = MEGABYTE[kind]()
    assert len(text) >= 1_000_000
    start = time.perf_counter()
    for spec in (DEFAULT_TAGS, TagSpec(prefilled=True)):
        for unclosed in ("no_answer", "whole"):
            split(text, spec, unclosed=unclosed).chain_of_thought  # noqa: B018 (forces the join)
    assert time.perf_counter() - start < 2.0  # milliseconds when linear; a quadratic scan takes minutes


# ----------------------------------------------------------------------------- each reward's policy
CUT_OFF = "<think>reasoning <answer>(25-3)*4+7</answer> cut off"
REOPENED = "<think>r</think>\n<answer>(25-3)*4+7</answer>\n<think>more"


def test_each_reward_states_its_policy_for_unclosed_and_reopened_blocks():
    countdown = get_reward("countdown")
    cols = dict(target=95, nums=[25, 3, 4, 7])
    assert countdown.score(CUT_OFF, **cols).value == 1.0  # countdown: unclosed="whole"
    assert countdown.score(REOPENED, **cols).value == 1.0
    ifeval = get_reward("ifeval", answer_tag="answer")
    icol = dict(instruction_id_list=["punctuation:no_comma"], kwargs=[None])
    assert ifeval.score(CUT_OFF, **icol).status is Status.NO_ANSWER  # ifeval: no answer either way
    assert ifeval.score(REOPENED, **icol).status is Status.NO_ANSWER
    length = get_reward("thought_length", mode="ramp", target=4, unit="chars")
    assert length.score(CUT_OFF).status is Status.BAD_FORMAT  # no closed block to measure
    assert length.score(REOPENED).value == 0.25
    assert get_reward("thought_length", prefilled=False).score("r</think>a").status is Status.BAD_FORMAT
    language = get_reward("language_consistency", language="en")
    assert language.score("<think>plain english words here").details["cot"] == "unterminated"


# ----------------------------------------------------------------------------- reasoning_content rebuilding
class _NamedThinkTagParams(RewardParams):
    think_tag: str = "reasoning"


class _EchoText(Reward):
    """Scores 1.0 and reports the normalised text: shows what build_samples rebuilt."""

    name = "echo_text"
    Params = _NamedThinkTagParams

    def judge(self, sample: Sample) -> Score:
        return Score(1.0, Status.OK, sample.text)


class _DeclaresTags(_EchoText):
    def tag_spec(self) -> TagSpec:
        return TagSpec.from_names(self.params.think_tag, None)


MESSAGE = [{"role": "assistant", "reasoning_content": "R", "content": "A"}]


def test_reasoning_content_is_rebuilt_with_the_tags_a_reward_declares():
    # a parameter that happens to be called think_tag changes nothing by itself ...
    assert _EchoText().score(MESSAGE).reason == "<think>\nR\n</think>\nA"
    # ... the reward declares its tags explicitly
    assert _DeclaresTags().score(MESSAGE).reason == "<reasoning>\nR\n</reasoning>\nA"
    assert completion_text(MESSAGE, tags=TagSpec.from_names("r")) == "<r>\nR\n</r>\nA"


def test_format_rewards_rebuild_reasoning_content_with_their_exact_tag_strings():
    # Unsloth's tags: the parsed-out reasoning must come back inside <start_working_out> ...
    reward = get_reward("think_format", think_open="<start_working_out>", think_close="<end_working_out>")
    assert reward.score(MESSAGE).value == 1.0
    assert get_reward("think_format", think_tag="reasoning").score(MESSAGE).value == 1.0


def test_code_in_a_parsed_out_reasoning_is_not_the_answer():
    message = [{"role": "assistant", "reasoning_content": "```python\nx = 1\n```", "content": "no code here"}]
    assert get_reward("code_format").score(message).value == 0.0
    assert get_reward("code_format", think_tag="reasoning").score(message).value == 0.0


@pytest.mark.parametrize("name,params", [
    ("countdown", dict(think_tag="reasoning")),
    ("ifeval", dict(think_tag="reasoning")),
    ("thought_length", dict(think_tag="reasoning")),
    ("language_consistency", dict(think_tag="reasoning")),
    ("format", dict(think_tag="reasoning")),
    ("code_tests", dict(think_tag="reasoning")),
    ("code_format", dict(think_tag="reasoning")),
    ("math_accuracy", dict(think_tag="reasoning")),
])
def test_rewards_with_tag_parameters_declare_them(name, params):
    assert get_reward(name, **params).tag_spec().think_open == "<reasoning>"


def test_unusable_tags_are_config_errors():
    with pytest.raises(RewardConfigError, match="overlap"):
        get_reward("countdown", think_tag="x", answer_tag="x")
    with pytest.raises(RewardConfigError, match="overlap"):
        get_reward("ifeval", think_tag="x", answer_tag="x")
