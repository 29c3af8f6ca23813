"""FunctionReward / @reward_function: plain TRL reward functions as rlvr rewards, in stacks,
the TRL/Unsloth adapters, the registry, worker processes and the installed `rlvr score` command."""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rlvr import FunctionReward, MissingColumnError, RewardStack, Score, Status, get_reward, reward_function
from rlvr.rewards import registry


# --------------------------------------------------------------------------- module-level functions (picklable)
@reward_function(columns=("solution",))
def ends_with_solution(completions, solution, **kwargs):
    """1.0 when the completion ends with the solution."""
    return [1.0 if str(c).rstrip().endswith(str(s)) else 0.0 for c, s in zip(completions, solution)]


def mixed_values(completions, **kwargs):
    """One value per completion, of every shape a TRL function may return."""
    table = {"int": 1, "bool": True, "none": None, "nan": float("nan"), "inf": float("inf"), "str": "0.5",
             "score": Score(0.25, Status.PARTIAL, "kept"), "obj": object()}
    return [table.get(c, 0.75) for c in completions]


def seen_arguments(prompts, completions, completion_ids, **kwargs):
    """Echoes what it was called with (through a value per completion)."""
    seen_arguments.calls.append({"prompts": prompts, "completions": completions, "ids": completion_ids, **kwargs})
    return [0.0] * len(completions)


seen_arguments.calls = []  # type: ignore[attr-defined]


def wrong_length(completions, **kwargs):
    return [1.0] * (len(completions) + 1)


def raises(completions, **kwargs):
    raise ZeroDivisionError("bug in a user's reward")


def not_a_list(completions, **kwargs):
    return 3.0


def a_string(completions, **kwargs):
    return "ab"  # as long as the batch, but not values


async def async_reward(completions, **kwargs):
    await asyncio.sleep(0)
    return [float(len(c)) for c in completions]


# --------------------------------------------------------------------------- values
def test_values_become_scores_per_the_contract():
    r = FunctionReward(mixed_values)
    assert r.__name__ == "mixed_values"
    comps = ["int", "bool", "none", "nan", "inf", "str", "score", "obj", "other"]
    scores = r.score_batch(comps)
    assert [s.value for s in scores] == [1.0, 1.0, None, None, None, None, 0.25, None, 0.75]
    assert [s.status for s in scores] == [Status.OK, Status.OK, Status.SKIPPED, Status.SKIPPED, Status.ERROR,
                                          Status.ERROR, Status.PARTIAL, Status.ERROR, Status.OK]
    out = r(completions=comps)
    assert len(out) == len(comps) and all(v is None or (type(v) is float and math.isfinite(v)) for v in out)


@pytest.mark.parametrize("func, why", [(wrong_length, "returned 3 values for 2"), (raises, "ZeroDivisionError"),
                                       (not_a_list, "TypeError"), (a_string, "not a list of values")])
def test_broken_functions_give_error_scores_never_a_crash(func, why):
    r = FunctionReward(func)
    scores = r.score_batch(["a", "b"])
    assert [s.status for s in scores] == [Status.ERROR, Status.ERROR] and why in scores[0].reason
    assert r(completions=["a", "b"]) == [None, None]
    assert FunctionReward(func, none_as=0.0)(completions=["a", "b"]) == [0.0, 0.0]


def test_function_sees_raw_completions_prompts_ids_and_columns():
    r = FunctionReward(seen_arguments)
    chat = [{"role": "assistant", "content": "hi"}]
    seen_arguments.calls.clear()
    r(prompts=["p1", "p2"], completions=["text", chat], completion_ids=[[1], [2, 3]], solution=["a", "b"],
      trainer_state=object(), shared="s")
    call = seen_arguments.calls[-1]
    assert call["completions"] == ["text", chat]  # as the trainer passed them, not normalised text
    assert call["prompts"] == ["p1", "p2"] and call["ids"] == [[1], [2, 3]]
    assert call["solution"] == ["a", "b"] and call["shared"] == ["s", "s"] and "trainer_state" not in call


def test_required_columns_and_async_functions():
    assert ends_with_solution.required_columns() == ("solution",)
    with pytest.raises(MissingColumnError, match="solution"):
        ends_with_solution(completions=["x"])
    assert ends_with_solution(completions=["it is 7", "8"], solution=["7", "7"]) == [1.0, 0.0]
    assert FunctionReward(async_reward)(completions=["ab", "abc"]) == [2.0, 3.0]

    async def inside_a_running_loop():  # TRL >= 0.27 calls from a thread that may have a loop
        return FunctionReward(async_reward)(completions=["abcd"])

    assert asyncio.run(inside_a_running_loop()) == [4.0]


def test_names_and_refusals():
    assert ends_with_solution.__name__ == "ends_with_solution"
    assert FunctionReward(mixed_values, name="mine").__name__ == "mine"
    with pytest.raises(ValueError, match="no usable name"):
        FunctionReward(lambda completions, **kw: [0.0])
    assert FunctionReward(lambda completions, **kw: [0.0] * len(completions), name="ok")(completions=["a"]) == [0.0]
    with pytest.raises(TypeError, match="plain reward function"):
        FunctionReward(get_reward("format"))


# --------------------------------------------------------------------------- stacks, adapters, registry
def test_stack_and_trl_adapters_accept_plain_functions():
    from rlvr.adapters.trl import trl_reward_funcs
    from rlvr.adapters.unsloth import unsloth_reward_funcs

    stack = RewardStack([(get_reward("format"), 0.5), (mixed_values, 2.0), ends_with_solution])
    assert stack.names == ["format", "mixed_values", "ends_with_solution"]
    assert stack.required_columns() == ("solution",)
    assert stack(completions=["other"], solution=["other"]) == [pytest.approx(0.0 + 2 * 0.75 + 1.0)]
    funcs, weights = trl_reward_funcs(["format=0.2", mixed_values, (ends_with_solution, 3.0)])
    assert [f.__name__ for f in funcs] == ["format", "mixed_values", "ends_with_solution"]
    assert weights == [0.2, 1.0, 3.0] and isinstance(funcs[1], FunctionReward)
    funcs, _ = unsloth_reward_funcs([mixed_values, FunctionReward(lambda completions, **kw: [None], name="anon")],
                                    none_as=0.0)  # what none_as="auto" picks on TRL < 1.6
    assert funcs[0](completions=["none", "int"]) == [0.0, 1.0]  # None -> 0.0 for Unsloth
    assert funcs[1](completions=["x"]) == [0.0]  # copied, not pickled: a lambda with a name works too
    assert mixed_values(["none"]) == [None]  # the original function is untouched


def test_register_a_plain_function_by_name():
    def only_digits(completions, **kwargs):
        """1.0 when the completion is all digits."""
        return [float(str(c).isdigit()) for c in completions]

    try:
        wrapped = registry.register("_fn_only_digits")(only_digits)
        assert isinstance(wrapped, FunctionReward) and wrapped.__name__ == "_fn_only_digits"
        r = get_reward("_fn_only_digits", none_as=-1.0, alias="digits")
        assert r.__name__ == "digits" and r.params.none_as == -1.0
        assert r(completions=["123", "12a"]) == [1.0, 0.0]
        info = {i.name: i for i in registry.list_rewards()}["_fn_only_digits"]
        assert info.kind == "reward" and info.description == "1.0 when the completion is all digits."
        assert "none_as" in info.params
        with pytest.raises(ValueError, match="reward '_fn_only_digits': unknown parameter 'bonus'"):
            get_reward("_fn_only_digits", bonus=1)
        with pytest.raises(registry.DuplicateRewardError):
            registry.register("_fn_only_digits")(mixed_values)
    finally:
        registry._rewards.pop("_fn_only_digits", None)


# --------------------------------------------------------------------------- pickling
def _score_in_child(reward, queue):
    queue.put(reward(completions=["it is 7", "8"], solution=["7", "7"]))


def test_pickles_by_reference_and_runs_in_a_spawned_process():
    for r in (ends_with_solution, FunctionReward(mixed_values, name="mv", none_as=0.5)):
        clone = pickle.loads(pickle.dumps(r))
        assert clone.__name__ == r.__name__ and clone.params == r.params and clone.required_columns() == r.required_columns()
    assert pickle.loads(pickle.dumps(ends_with_solution)).func is ends_with_solution.func
    stack = RewardStack([ends_with_solution, (FunctionReward(wrong_length), 0.0)], name="fn_stack")
    ctx = multiprocessing.get_context("spawn")  # TRL's async GRPO and `rlvr score -j N` start workers this way
    queue = ctx.Queue()
    proc = ctx.Process(target=_score_in_child, args=(stack, queue))
    proc.start()
    values = queue.get(timeout=120)
    proc.join(timeout=30)
    assert proc.exitcode == 0 and values == [1.0, 0.0]


def test_unpicklable_functions_say_why():
    with pytest.raises(pickle.PicklingError, match="define it at module level"):
        pickle.dumps(FunctionReward(lambda completions, **kw: [], name="anon"))

    def nested(completions, **kwargs):
        return [0.0] * len(completions)

    with pytest.raises(pickle.PicklingError, match="nested"):
        pickle.dumps(RewardStack([FunctionReward(nested)]))


# --------------------------------------------------------------------------- the installed `rlvr score` command
PLUGIN = textwrap.dedent('''
    from rlvr import register, reward_function

    @reward_function(columns=("solution",))
    def ends_with_solution(completions, solution, **kwargs):
        return [1.0 if str(c).rstrip().endswith(s) else 0.0 for c, s in zip(completions, solution)]

    @register("fn_cli_short")
    def short_answer(completions, **kwargs):
        """1.0 for completions under 10 characters."""
        return [float(len(str(c)) < 10) for c in completions]
''')


def test_rlvr_score_runs_importable_and_registered_functions(tmp_path):
    (tmp_path / "fn_cli_plugin.py").write_text(PLUGIN)
    rows = [{"id": "a", "completion": "x = 42", "solution": "42"}, {"id": "b", "completion": "a long answer 7",
                                                                    "solution": "8"}]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    exe = Path(sys.executable).parent / "rlvr"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([str(exe) if exe.exists() else "rlvr", "score", str(data), "-j", "2", "--plugin", "fn_cli_plugin",
                           "-r", "fn_cli_plugin:ends_with_solution", "-r", "fn_cli_short=0.5"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["rewards"]["ends_with_solution"]["value"] for r in out] == [1.0, 0.0]
    assert [r["rewards"]["fn_cli_short"]["value"] for r in out] == [1.0, 0.0]
    assert [r["total"] for r in out] == [1.5, 0.0]
    bad = subprocess.run([str(exe) if exe.exists() else "rlvr", "score", str(data), "-r", "fn_cli_plugin:missing"],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert bad.returncode == 2 and "missing" in bad.stderr
