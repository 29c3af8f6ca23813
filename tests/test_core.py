"""Core contracts: Score, completion normalisation, the Reward base class and the registry."""

from __future__ import annotations

import asyncio

import pytest

from rlvr import (
    DuplicateRewardError,
    MissingColumnError,
    Reward,
    RewardConfigError,
    RewardParams,
    Sample,
    Score,
    Status,
    UnknownRewardError,
    get_reward,
    list_rewards,
    register,
    register_preset,
)
from rlvr.completion import InvalidCompletion, completion_text, prompt_text
from rlvr.rewards.stack import RewardStack


# --------------------------------------------------------------------------- test-only rewards
class _NeedleParams(RewardParams):
    needle: str = "42"
    bonus: float = 1.0


@register("_core_needle")
class NeedleReward(Reward):
    """1.0 * bonus when the completion contains ``needle``, else 0.0."""

    Params = _NeedleParams

    def judge(self, sample: Sample) -> Score:
        found = self.params.needle in sample.text
        return Score(self.params.bonus if found else 0.0, Status.CORRECT if found else Status.WRONG)


@register("_core_answer")
class AnswerReward(Reward):
    """1.0 if the ``answer`` column occurs in the completion; None when the answer is 'skip'."""

    def required_columns(self) -> tuple[str, ...]:
        return ("answer",)

    def judge(self, sample: Sample) -> Score:
        answer = sample.fields["answer"]
        if answer == "skip":
            return Score(None, Status.GOLD_UNPARSEABLE, "gold says skip")
        return Score(float(str(answer) in sample.text), Status.OK)


@register("_core_nan")
class NanReward(Reward):
    """Builds a NaN score when the text says 'nan' (a buggy reward)."""

    def judge(self, sample: Sample) -> Score:
        return Score(float("nan") if "nan" in sample.text else 0.5, Status.OK)


@register("_core_boom")
class BoomBatchReward(Reward):
    """A judge_batch override that raises (a buggy batch reward)."""

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        raise RuntimeError("boom")


@register("_core_short")
class ShortBatchReward(Reward):
    """A judge_batch override that returns one score too few and plain floats."""

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        return [0.5] * len(samples)  # type: ignore[list-item]


@register_preset("_core_preset")
def _core_preset(bonus: float = 2.0) -> RewardStack:
    """A two-reward preset."""
    return RewardStack([(get_reward("_core_needle", bonus=bonus), 1.0), (get_reward("_core_answer"), 0.5)])


# --------------------------------------------------------------------------- Score
def test_score_coerces_numbers_and_rejects_non_finite():
    assert Score(True, Status.OK).value == 1.0 and type(Score(True, Status.OK).value) is float
    assert type(Score(3, Status.OK).value) is float
    assert Score(None, Status.TIMEOUT).value is None

    class MyFloat(float):  # e.g. numpy.float64 subclasses float: trainers must get a plain float
        pass

    assert type(Score(MyFloat(0.5), Status.OK).value) is float
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="finite"):
            Score(bad, Status.OK)
    s = Score(0.5, Status.PARTIAL, "half", {"k": 1})
    assert s.to_dict() == {"value": 0.5, "status": "partial", "reason": "half", "details": {"k": 1}}
    with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
        s.value = 1.0  # type: ignore[misc]  # frozen


# --------------------------------------------------------------------------- completion normalisation
@pytest.mark.parametrize(
    "completion, text",
    [
        ("plain", "plain"),
        (None, ""),
        (42, "42"),
        ({"role": "assistant", "content": "hi"}, "hi"),
        ([{"role": "assistant", "content": "answer"}], "answer"),
        ([{"role": "assistant", "content": "a1"}, {"role": "tool", "content": "t"},
          {"role": "assistant", "content": "a2"}], "a2"),
        ([{"role": "user", "content": "q"}], ""),  # no assistant turn
        ([{"content": "no roles"}], "no roles"),
        ([{"role": "assistant", "content": "X", "reasoning_content": "R"}], "<think>\nR\n</think>\nX"),
        ([{"role": "assistant", "content": "X", "thinking": "R"}], "<think>\nR\n</think>\nX"),
        ([{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "image"},
                                            {"type": "text", "text": "b"}]}], "ab"),
        ([], ""),
    ],
)
def test_completion_text_shapes(completion, text):
    assert completion_text(completion) == text


@pytest.mark.parametrize("bad", [{"role": "assistant"}, [["nested"]], b"bytes", [1, 2], {"content": 3},
                                 [{"role": "assistant", "content": [{"type": "text"}]}], object()])
def test_completion_text_rejects_unreadable(bad):
    with pytest.raises(InvalidCompletion):
        completion_text(bad)


def test_completion_text_custom_think_tag():
    msg = [{"role": "assistant", "content": "X", "reasoning_content": "R"}]
    assert completion_text(msg, think_tag="reasoning") == "<reasoning>\nR\n</reasoning>\nX"


def test_reasoning_content_rebuilt_in_the_open_r1_layout():
    # transformers' response parsing strips both parts; the open-r1 regex needs one newline per tag side
    from rlvr import get_reward

    parsed = [{"role": "assistant", "reasoning_content": "2 + 2 = 4", "content": "<answer>\n4\n</answer>"}]
    assert completion_text(parsed) == "<think>\n2 + 2 = 4\n</think>\n<answer>\n4\n</answer>"
    unstripped = [{"role": "assistant", "reasoning_content": "\n2 + 2 = 4\n", "content": "\n<answer>\n4\n</answer>"}]
    assert completion_text(unstripped) == completion_text(parsed)
    assert get_reward("format", layout="open_r1").score(parsed).value == 1.0


def test_prompt_text_takes_last_user_message_and_never_raises():
    conv = [{"role": "system", "content": "s"}, {"role": "user", "content": "u1"},
            {"role": "assistant", "content": "a"}, {"role": "user", "content": "u2"}]
    assert prompt_text(conv) == "u2"
    assert prompt_text("p") == "p"
    assert prompt_text([[1]]) == "" and prompt_text(None) == "" and prompt_text(3) == ""


# --------------------------------------------------------------------------- Reward base: TRL call contract
def test_call_returns_n_plain_values_and_ignores_unknown_keywords():
    r = get_reward("_core_answer")
    out = r(prompts=["p"] * 3, completions=["x 42", "nothing", "y"], completion_ids=[[1], [2], [3]],
            answer=["42", "7", "skip"], trainer_state=object(), some_other_column=[1, 2, 3], environments=None)
    assert out == [1.0, 0.0, None]
    assert all(type(v) is float for v in out[:2])


def test_call_accepts_conversational_completions_and_scalar_columns():
    r = get_reward("_core_answer")
    comps = [[{"role": "assistant", "content": "it is 7"}], [{"role": "assistant", "content": "it is 8"}]]
    assert r(completions=comps, answer="7") == [1.0, 0.0]  # a scalar column is shared by all samples
    assert r(completions=comps, answer=("7", "8")) == [1.0, 1.0]


def test_missing_column_error_names_the_column_and_the_fix():
    r = get_reward("_core_answer")
    with pytest.raises(MissingColumnError) as info:
        r(prompts=["p"], completions=["c"], solution=["1"], trainer_state=None)
    msg = str(info.value)
    assert "'answer'" in msg and "solution" in msg and "trainer_state" not in msg


def test_misaligned_columns_raise():
    r = get_reward("_core_answer")
    with pytest.raises(ValueError, match="column 'answer' has 1 values for 2 completions"):
        r(completions=["a", "b"], answer=["x"])
    with pytest.raises(ValueError, match="prompts"):
        r(prompts=["p"], completions=["a", "b"], answer=["x", "y"])
    # misaligned completion_ids are dropped, not fatal
    assert r(completions=["a", "b"], completion_ids=[[1]], answer=["a", "z"]) == [1.0, 0.0]


def test_unreadable_completion_is_invalid_input_not_a_crash():
    r = get_reward("_core_needle")
    scores = r.score_batch(["42", {"role": "assistant"}, [["x"]], None])
    assert [s.status for s in scores] == [Status.CORRECT, Status.INVALID_INPUT, Status.INVALID_INPUT, Status.WRONG]
    assert [s.value for s in scores] == [1.0, None, None, 0.0]


def test_nan_from_a_reward_becomes_an_error_score():
    r = get_reward("_core_nan")
    scores = r.score_batch(["nan here", "fine"])
    assert scores[0].value is None and scores[0].status is Status.ERROR and "finite" in scores[0].reason
    assert scores[1].value == 0.5
    assert r(completions=["nan", "ok"]) == [None, 0.5]


def test_batch_override_bugs_never_escape_the_training_step():
    boom = get_reward("_core_boom")
    scores = boom.score_batch(["a", "b", "c"])
    assert [s.status for s in scores] == [Status.ERROR] * 3 and "boom" in scores[0].reason
    assert boom(completions=["a", "b"]) == [None, None]
    short = get_reward("_core_short")
    assert short(completions=["a", "b"]) == [None, None]  # floats instead of Scores: flagged, not passed on


def test_log_extra_and_log_metric_only_when_passed():
    r = get_reward("_core_answer")
    extra, metrics = [], []
    out = r(completions=["1", "2", "3"], answer=["1", "x", "skip"],
            log_extra=lambda col, vals: extra.append((col, vals)),
            log_metric=lambda name, val: metrics.append((name, val)))
    assert out == [1.0, 0.0, None]
    assert extra == [("_core_answer_status", ["ok", "ok", "gold_unparseable"])]
    assert metrics == [("rlvr/_core_answer/unjudged_frac", pytest.approx(1 / 3))]
    # absent or None: not called, no error
    assert r(completions=["1"], answer=["1"], log_extra=None, log_metric=None) == [1.0]


def test_none_as_and_alias():
    r = get_reward("_core_answer", none_as=-1.0, alias="exact")
    assert r.__name__ == "exact" and r.name == "_core_answer"
    assert r(completions=["a"], answer=["skip"]) == [-1.0]
    assert r.score("a", answer="skip").value is None  # diagnostics keep the truth


def test_score_single_sample():
    r = get_reward("_core_needle", needle="ab")
    s = r.score("xxabxx", prompt="q")
    assert s == Score(1.0, Status.CORRECT)
    with pytest.raises(MissingColumnError):
        get_reward("_core_answer").score("x")


def test_async_view_keeps_name_and_values():
    r = get_reward("_core_needle")
    a = r.as_async()
    assert a.__name__ == r.__name__
    assert asyncio.run(a(prompts=None, completions=["42", "0"])) == [1.0, 0.0]
    assert asyncio.run(a(completions=["42"])) == [1.0]  # keywords only, like TRL's async call
    assert not hasattr(r, "acall")  # one async entry point: as_async()


def test_completions_none_is_a_clear_error():
    with pytest.raises(ValueError, match="without completions"):
        get_reward("_core_needle")(prompts=["p"])


# --------------------------------------------------------------------------- params validation
def test_param_validation_messages():
    with pytest.raises(RewardConfigError) as info:
        get_reward("_core_needle", needel="x")
    msg = str(info.value)
    assert "unknown parameter 'needel'" in msg and "Known parameters: bonus, needle, none_as" in msg
    with pytest.raises(RewardConfigError, match=r"bonus: .*got 'lots'"):
        get_reward("_core_needle", bonus="lots")
    with pytest.raises(RewardConfigError, match="either a Params object or keywords"):
        NeedleReward(_NeedleParams(), needle="x")
    with pytest.raises(RewardConfigError, match="expected _NeedleParams"):
        NeedleReward(RewardParams())
    assert NeedleReward(_NeedleParams(needle="z")).params.needle == "z"
    with pytest.raises(ValueError):  # pydantic's ValidationError: the params are frozen
        get_reward("_core_needle").params.needle = "y"  # frozen params


# --------------------------------------------------------------------------- registry
def test_duplicate_names_raise_but_reimport_of_same_class_is_fine():
    with pytest.raises(DuplicateRewardError, match="_core_needle"):

        @register("_core_needle")
        class Other(Reward):  # noqa: F811
            pass

    register("_core_needle")(NeedleReward)  # same definition (module reload): accepted
    with pytest.raises(DuplicateRewardError):
        register_preset("_core_needle")(lambda: None)
    with pytest.raises(TypeError, match="Reward subclass"):
        register("_core_not_a_reward")(dict)  # type: ignore[arg-type]


def test_unknown_name_lists_known_and_suggests():
    with pytest.raises(UnknownRewardError) as info:
        get_reward("_core_neddle")
    msg = str(info.value)
    assert "Did you mean '_core_needle'" in msg
    assert "_core_answer" in msg and "_core_preset" in msg  # lists what exists


def test_presets_and_listing():
    stack = get_reward("_core_preset", bonus=3.0)
    assert isinstance(stack, RewardStack)
    assert stack(completions=["42"], answer=["42"]) == [3.0 + 0.5]
    assert get_reward("_core_preset", alias="mine").__name__ == "mine"
    with pytest.raises(RewardConfigError, match="_core_preset"):
        get_reward("_core_preset", nope=1)
    infos = {i.name: i for i in list_rewards()}
    assert infos["_core_needle"].kind == "reward"
    assert infos["_core_needle"].description.startswith("1.0 * bonus")
    assert infos["_core_needle"].params["needle"]["default"] == "42"
    assert infos["_core_preset"].kind == "preset" and infos["_core_preset"].params["bonus"]["default"] == 2.0
    assert [i.name for i in list_rewards()] == sorted(infos)


def test_every_registered_reward_has_consistent_metadata():
    for info in list_rewards():
        if info.kind != "reward":
            continue
        r = get_reward(info.name)
        assert r.__name__ == info.name
        assert isinstance(r.required_columns(), tuple)
        assert "none_as" in info.params, info.name
        assert info.name in repr(r)
