"""Generated countdown tasks + the countdown/length/repetition rewards in a real TRL GRPO step
(tiny local model, CPU, offline)."""

from __future__ import annotations

import math

import pytest

from rlvr import get_reward
from rlvr.tasks import countdown_rows

pytestmark = pytest.mark.trl


class _Recorder:
    """Wraps a reward to record the values TRL received (keeps ``__name__``)."""

    def __init__(self, reward):
        self.reward = reward
        self.__name__ = reward.__name__
        self.values: list[list[float | None]] = []

    def __call__(self, **kwargs):
        values = self.reward(**kwargs)
        self.values.append(values)
        return values


@pytest.mark.parametrize("prefill", [False, True])
def test_grpo_step_with_countdown_rewards(tmp_path, prefill):
    pytest.importorskip("trl")
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tok = build_tiny_tokenizer()
    rows = list(countdown_rows(4, seed=0, prefill_think=prefill))
    for row in rows:
        row.pop("id")
    ds = Dataset.from_list(rows)
    stack = get_reward("countdown_r1")
    extra = [get_reward("soft_overlong", max_completion_len=8, soft_punish_cache=4),
             get_reward("cosine_length", max_len=8, accuracy="countdown"),
             get_reward("kimi_length", accuracy="countdown", expected_group_size=2)]
    funcs = [_Recorder(f) for f in stack.reward_funcs + extra]
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=8, max_steps=1, learning_rate=1e-3, logging_steps=1,
                      save_strategy="no", report_to="none", gradient_checkpointing=False, seed=0, disable_tqdm=True,
                      reward_weights=stack.reward_weights + [0.1, 0.1, 0.1])
    trainer = GRPOTrainer(model=build_tiny_model(tok), processing_class=tok, args=args, train_dataset=ds,
                          reward_funcs=funcs)
    trainer.train()
    logged = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    for f in funcs:
        assert f.values, f"{f.__name__} was never called"
        for values in f.values:
            assert len(values) == 4
            assert all(v is None or (type(v) is float and math.isfinite(v)) for v in values)
        assert f"rewards/{f.__name__}/mean" in logged
    # a random tiny model writes no valid equation: countdown is 0, and so is the gated length
    assert all(v == 0.0 for values in funcs[0].values for v in values)
    assert all(v == 0.0 for values in funcs[2].values for v in values)
