"""rlvr rewards under TRL: real GRPOTrainer/RLOOTrainer steps on a tiny local model (CPU, offline),
plus the call shapes of TRL 0.22-0.24 (what Unsloth pins) and of ``experimental.async_grpo``.

One module so the heavy imports (torch/transformers/trl: 10-20 s) are paid once.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import pickle
from typing import Any

import pytest

from rlvr import Reward, RewardStack, Sample, Score, Status, get_reward, register
from rlvr.adapters.trl import RewardSetupError, check_dataset_columns, check_reward_funcs, trl_reward_funcs
from rlvr.adapters.unsloth import default_none_as, for_unsloth, unsloth_reward_funcs

# Real built-in rewards used throughout (registered by rlvr.rewards.format / rlvr.rewards.math).
FORMAT, TAGS, ACCURACY = "format", "tag_count", "math_accuracy"


PROBLEMS = [("What is 2+2?", "4"), ("What is 3+5?", "8"), ("What is 9-6?", "3"), ("What is 2*3?", "6")]


# --------------------------------------------------------------------------- a probe reward
@register("_trl_probe")
class ProbeReward(Reward):
    """Records exactly what the trainer passed (in-process only); scores 1.0 when the completion
    contains the ``solution`` column's value."""

    calls: list[dict[str, Any]] = []

    def required_columns(self) -> tuple[str, ...]:
        return ("solution",)

    def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs):
        ProbeReward.calls.append({"prompts": prompts, "completions": completions, "completion_ids": completion_ids,
                                  "kwargs": dict(kwargs)})
        return super().__call__(prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs)

    def judge(self, sample: Sample) -> Score:
        return Score(float(str(sample.fields["solution"]) in sample.text), Status.OK)


def _stack() -> RewardStack:
    return RewardStack([(get_reward(ACCURACY), 1.0), (get_reward(FORMAT), 0.5), (get_reward(TAGS), 0.25)],
                       name="r1_stack")


# --------------------------------------------------------------------------- real trainers
def _trl_has_log_hooks() -> bool:
    """TRL >= 1.0 passes ``log_metric`` / ``log_extra`` to reward functions."""
    from importlib import metadata

    return int(metadata.version("trl").split(".")[0]) >= 1


@pytest.fixture(scope="module")
def trl_env():
    pytest.importorskip("trl")
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer, RLOOConfig, RLOOTrainer

    tok = build_tiny_tokenizer()
    return {"tok": tok, "model": lambda: build_tiny_model(tok), "Dataset": Dataset, "GRPOConfig": GRPOConfig,
            "GRPOTrainer": GRPOTrainer, "RLOOConfig": RLOOConfig, "RLOOTrainer": RLOOTrainer}


def _dataset(env, conversational: bool):
    rows = []
    for q, a in PROBLEMS:
        prompt = [{"role": "user", "content": q}] if conversational else f"Question: {q}\nAnswer:"
        rows.append({"prompt": prompt, "solution": a, "level": "easy"})
    return env["Dataset"].from_list(rows)


_COMMON_ARGS = dict(use_cpu=True, bf16=False, per_device_train_batch_size=4, num_generations=2,
                    max_completion_length=8, max_steps=1, learning_rate=1e-3, logging_steps=1,
                    save_strategy="no", report_to="none", gradient_checkpointing=False, seed=0,
                    disable_tqdm=True)


def _train(env, trainer_cls, config_cls, funcs, weights, ds, tmp_path, **extra):
    args = config_cls(output_dir=str(tmp_path), reward_weights=weights, **_COMMON_ARGS, **extra)
    trainer = trainer_cls(model=env["model"](), processing_class=env["tok"], args=args, train_dataset=ds,
                          reward_funcs=funcs)
    trainer.train()
    return {k: v for entry in trainer.state.log_history for k, v in entry.items()}


def _assert_probe_saw(call: dict[str, Any], *, conversational: bool) -> None:
    n = len(call["completions"])
    assert n == 4 and len(call["prompts"]) == n and len(call["completion_ids"]) == n
    assert all(isinstance(i, int) for ids in call["completion_ids"] for i in ids)
    kw = call["kwargs"]
    assert kw["solution"] and len(kw["solution"]) == n and set(kw["solution"]) <= {a for _, a in PROBLEMS}
    assert kw["level"] == ["easy"] * n  # every dataset column arrives, aligned
    assert "trainer_state" in kw
    if conversational:
        assert isinstance(call["prompts"][0], list) and call["prompts"][0][0]["role"] == "user"
        assert isinstance(call["completions"][0], list) and call["completions"][0][0]["role"] == "assistant"
    else:
        assert isinstance(call["prompts"][0], str) and isinstance(call["completions"][0], str)


@pytest.mark.trl
def test_grpo_standard_dataset_separate_reward_funcs(trl_env, tmp_path):
    ProbeReward.calls.clear()
    stack = RewardStack([*[(e.reward, e.weight) for e in _stack().entries], (get_reward("_trl_probe"), 0.1)])
    funcs, weights = trl_reward_funcs(stack)
    ds = _dataset(trl_env, conversational=False)
    check_dataset_columns(funcs, ds)
    logs = _train(trl_env, trl_env["GRPOTrainer"], trl_env["GRPOConfig"], funcs, weights, ds, tmp_path)
    for name in (ACCURACY, FORMAT, TAGS, "_trl_probe"):
        assert math.isfinite(logs[f"rewards/{name}/mean"]), name
        assert f"rewards/{name}/std" in logs
    assert "reward" in logs
    assert ProbeReward.calls, "the probe reward was never called"
    _assert_probe_saw(ProbeReward.calls[0], conversational=False)
    if _trl_has_log_hooks():  # rlvr's own metrics went through TRL's log_metric (TRL >= 1.0)
        assert f"rlvr/{ACCURACY}/unjudged_frac" in logs
        assert callable(ProbeReward.calls[0]["kwargs"]["log_metric"])
    else:  # TRL < 1.0 passes no log hooks: the rewards ran without them
        assert "log_metric" not in ProbeReward.calls[0]["kwargs"]
        assert not any(k.startswith("rlvr/") for k in logs)


@pytest.mark.trl
def test_grpo_conversational_dataset_combined_stack(trl_env, tmp_path):
    ProbeReward.calls.clear()
    stack_funcs, _ = trl_reward_funcs(_stack(), combined=True)
    funcs = [*stack_funcs, get_reward("_trl_probe")]
    ds = _dataset(trl_env, conversational=True)
    logs = _train(trl_env, trl_env["GRPOTrainer"], trl_env["GRPOConfig"], funcs, [1.0, 0.0], ds, tmp_path)
    assert math.isfinite(logs["rewards/r1_stack/mean"]) and math.isfinite(logs["rewards/_trl_probe/mean"])
    for name in (ACCURACY, FORMAT, TAGS):  # per-member means logged by the combined stack itself (TRL >= 1.0)
        assert (f"rlvr/r1_stack/{name}" in logs) == _trl_has_log_hooks(), sorted(logs)
    _assert_probe_saw(ProbeReward.calls[0], conversational=True)


@pytest.mark.trl
def test_rloo_with_unsloth_style_rewards(trl_env, tmp_path):
    ProbeReward.calls.clear()
    funcs, weights = unsloth_reward_funcs([*[(e.reward, e.weight) for e in _stack().entries], "_trl_probe"])
    assert all(f.params.none_as == default_none_as() for f in funcs)  # None on TRL >= 1.6, else 0.0
    ds = _dataset(trl_env, conversational=False)
    logs = _train(trl_env, trl_env["RLOOTrainer"], trl_env["RLOOConfig"], funcs, weights, ds, tmp_path, beta=0.0)
    for name in (ACCURACY, FORMAT, TAGS, "_trl_probe"):
        assert math.isfinite(logs[f"rewards/{name}/mean"]), name
    _assert_probe_saw(ProbeReward.calls[0], conversational=False)


def test_tiny_tokenizer_emits_only_input_ids_and_attention_mask(tmp_path):
    """transformers 4.x's PreTrainedTokenizerFast also emits ``token_type_ids`` by default, which
    TRL 0.22's GRPOTrainer forwards to Qwen2's forward (TypeError); the tiny tokenizer declares
    its inputs, also after a save/load round trip (the examples' ``--smoke`` path)."""
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from rlvr.testing import build_tiny_tokenizer, save_tiny_model

    tok = build_tiny_tokenizer()
    assert tok.init_kwargs["model_input_names"] == ["input_ids", "attention_mask"]
    assert set(tok("ab")) == {"input_ids", "attention_mask"}
    assert set(tok(["ab", "c"], padding=True)) == {"input_ids", "attention_mask"}
    loaded = AutoTokenizer.from_pretrained(save_tiny_model(tmp_path / "tiny"))
    assert list(loaded.model_input_names) == ["input_ids", "attention_mask"]
    assert set(loaded("ab")) == {"input_ids", "attention_mask"}


# --------------------------------------------------------------------------- TRL 0.22-0.24 / Unsloth call shape
def call_like_trl_0_22(reward_funcs, reward_weights, inputs, completions_text, completion_ids, trainer_state):
    """The reward step of TRL 0.22-0.24's GRPOTrainer, reproduced without torch:
    names read as ``reward_func.__name__``; a final assistant prompt message (prefill) is popped
    and prepended to the completion; columns + ``trainer_state`` passed; no ``log_*``; sync
    calls only; None -> NaN; weighted nansum (an all-None row sums to 0)."""
    names = [f.__name__ for f in reward_funcs]  # AttributeError here is what Unsloth users see
    prompts = [x["prompt"] for x in inputs]
    if isinstance(prompts[0], list):
        completions = []
        for prompt, text in zip(prompts, completions_text):
            bootstrap = prompt.pop()["content"] if prompt[-1]["role"] == "assistant" else ""
            completions.append([{"role": "assistant", "content": bootstrap + text}])
    else:
        completions = completions_text
    keys = [k for k in inputs[0] if k not in ("prompt", "completion", "completion_ids")]
    reward_kwargs = {k: [x[k] for x in inputs] for k in keys}
    reward_kwargs["trainer_state"] = trainer_state
    per_func = []
    for func in reward_funcs:
        out = func(prompts=prompts, completions=completions, completion_ids=completion_ids, **reward_kwargs)
        assert not asyncio.iscoroutine(out), "TRL 0.22 cannot await"
        per_func.append([math.nan if r is None else float(r) for r in out])
    totals = [sum(w * v for w, v in zip(reward_weights, col) if not math.isnan(v)) for col in zip(*per_func)]
    return names, per_func, totals


class _State:
    global_step = 3
    max_steps = 10


def test_trl_0_22_call_shape_with_prefill_columns_and_no_log_hooks():
    # what none_as="auto" resolves to on TRL 0.22-0.24 (whatever TRL this process has)
    funcs, weights = unsloth_reward_funcs(_stack(), none_as=0.0)
    probe = for_unsloth(get_reward("_trl_probe"), none_as=0.0)
    funcs, weights = funcs + [probe], weights + [1.0]
    # conversational prompts whose template prefills "<think>" as an assistant message
    inputs = [{"prompt": [{"role": "user", "content": q}, {"role": "assistant", "content": "<think>"}],
               "solution": a, "answer": a} for q, a in PROBLEMS]
    texts = [f"reasoning</think>\n<answer>\\boxed{{{a}}}</answer>" for _, a in PROBLEMS]
    texts[1] = "no tags, wrong: 99"
    ProbeReward.calls.clear()
    names, per_func, totals = call_like_trl_0_22(funcs, weights, inputs, texts, [[1, 2]] * 4, _State())
    assert names == [ACCURACY, FORMAT, TAGS, "_trl_probe"]
    call = ProbeReward.calls[0]
    assert set(call["kwargs"]) == {"solution", "answer", "trainer_state"}  # no log_extra / log_metric
    assert call["completions"][0][0]["content"].startswith("<think>reasoning</think>")  # prefill prepended
    assert all(len(col) == 4 and all(math.isfinite(v) for v in col) for col in per_func)  # none_as=0.0
    acc, fmt = per_func[0], per_func[1]
    assert acc[0] == acc[2] == acc[3] == 1.0 and acc[1] == 0.0
    assert fmt == [1.0, 0.0, 1.0, 1.0]  # the prepended "<think>" completes the layout
    assert totals[0] > totals[1]


def test_trl_0_22_requires_name_and_sync():
    import functools

    def plain(completions, **kw):
        return [0.0] * len(completions)

    with pytest.raises(RewardSetupError, match="__name__"):
        check_reward_funcs([functools.partial(plain)])
    with pytest.raises(RewardSetupError, match="async"):
        check_reward_funcs([get_reward(FORMAT).as_async()], allow_async=False)
    with pytest.raises(RewardSetupError, match="collide"):
        check_reward_funcs([get_reward(FORMAT), get_reward(FORMAT)])
    with pytest.raises(RewardSetupError, match="2 reward_weights for 1"):
        check_reward_funcs([get_reward(FORMAT)], [1.0, 2.0])
    assert check_reward_funcs([plain, get_reward(FORMAT).as_async()]) == ["plain", FORMAT]


def test_trl_reward_funcs_shapes():
    funcs, weights = trl_reward_funcs([FORMAT, f"{TAGS}=0.5", (get_reward(ACCURACY), 2.0)])
    assert [f.__name__ for f in funcs] == [FORMAT, TAGS, ACCURACY] and weights == [1.0, 0.5, 2.0]
    funcs, weights = trl_reward_funcs(get_reward(FORMAT))
    assert len(funcs) == 1 and weights == [1.0]
    funcs, weights = trl_reward_funcs(_stack(), combined=True, name="total")
    assert [f.__name__ for f in funcs] == ["total"] and weights == [1.0]
    with pytest.raises(RewardSetupError, match="not an rlvr reward"):
        trl_reward_funcs([lambda **kw: []])
    with pytest.raises(RewardSetupError, match=r"needs \['solution'\].*Dataset columns: \['prompt'\]"):
        check_dataset_columns([get_reward("_trl_probe")], [{"prompt": "p"}])
    check_dataset_columns(_stack(), [{"prompt": "p", "solution": "1"}])


def test_for_unsloth_converts_none_without_touching_the_original():
    reward = get_reward("_trl_probe")
    converted = for_unsloth(reward, none_as=-0.5)
    assert converted.__name__ == reward.__name__ and reward.params.none_as is None
    comps = ["x", [{"role": "assistant"}]]  # the second one is unreadable: None
    assert reward(completions=comps, solution=["x", "y"]) == [1.0, None]
    assert converted(completions=comps, solution=["x", "y"]) == [1.0, -0.5]
    assert converted.score("x", solution="x").value == 1.0
    from rlvr import gate

    gated = for_unsloth(gate(get_reward("_trl_probe"), when=get_reward(FORMAT)), none_as=0.0)
    assert gated.__name__ == f"_trl_probe_if_{FORMAT}" and gated.params.threshold == 1.0
    assert gated(completions=comps, solution=["x", "y"]) == [0.0, 0.0]  # format fails: otherwise=0; unreadable: 0.0
    with pytest.raises(TypeError, match="rlvr rewards"):
        for_unsloth(get_reward(FORMAT).as_async())
    stack = for_unsloth(_stack(), none_as=0.0)
    assert stack.none_as == 0.0 and all(e.reward.params.none_as == 0.0 for e in stack.entries)
    assert pickle.loads(pickle.dumps(stack)).names == stack.names


def test_rloo_style_call_text_completions_without_log_hooks():
    """RLOOTrainer (and experimental.online_dpo: doubled prompts) pass decoded text only."""
    funcs, _ = trl_reward_funcs(_stack())
    prompts = [q for q, _ in PROBLEMS] * 2
    completions = [f"<think>x</think><answer>\\boxed{{{a}}}</answer>" for _, a in PROBLEMS] * 2
    for func in funcs:
        out = func(prompts=prompts, completions=completions, completion_ids=[[5]] * 8,
                   solution=[a for _, a in PROBLEMS] * 2, trainer_state=_State())
        assert len(out) == 8 and all(v is None or (type(v) is float and math.isfinite(v)) for v in out)
    # experimental.a2po passes no completion_ids at all
    out = funcs[0](prompts=prompts, completions=completions, solution=[a for _, a in PROBLEMS] * 2)
    assert out[:4] == [1.0, 1.0, 1.0, 1.0]


# --------------------------------------------------------------------------- experimental.async_grpo call shape
def _async_grpo_child(funcs, groups, queue):
    """What async_grpo's spawned rollout loop does per group: asyncio.to_thread(f, **kwargs) for each func."""

    async def score_group(kwargs):
        return await asyncio.gather(*[asyncio.to_thread(f, **kwargs) for f in funcs])

    queue.put([asyncio.run(score_group(kwargs)) for kwargs in groups])


def test_async_grpo_style_per_group_in_spawned_process():
    funcs, _ = trl_reward_funcs(_stack())
    pickle.dumps(funcs)  # async_grpo checks this up front
    groups = []
    for q, a in PROBLEMS[:2]:
        n = 3  # num_generations: one call per group, row columns repeated
        groups.append({"completions": [f"<think>t</think><answer>\\boxed{{{a}}}</answer>", "garbage", ""],
                       "prompts": [[{"role": "user", "content": q}]] * n, "completion_ids": [[1]] * n,
                       "solution": [a] * n})
    expected = [[f(**kwargs) for f in funcs] for kwargs in groups]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_async_grpo_child, args=(funcs, groups, queue))
    proc.start()
    got = queue.get(timeout=180)
    proc.join(timeout=60)
    assert proc.exitcode == 0
    assert got == expected
    assert all(len(vals) == 3 for per_group in got for vals in per_group)
    assert got[0][0][0] == 1.0  # the correct answer scored by the accuracy reward in the child
