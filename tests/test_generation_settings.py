"""rlvr.generation: the GRPOConfig keywords are accepted by the installed TRL, and
enable_compiled_generation turns TRL's compile switch on and keeps one input-grad hook."""

from __future__ import annotations

import pytest

from rlvr.generation import enable_compiled_generation, grpo_generation_kwargs


def test_kwargs_per_backend():
    assert grpo_generation_kwargs(backend="unsloth", vllm=True, compile=True) == {}
    assert grpo_generation_kwargs(vllm=True, compile=True, max_cache_len=10)["vllm_mode"] == "colocate"
    assert grpo_generation_kwargs() == {"generation_kwargs": {"use_cache": True}}
    fast = grpo_generation_kwargs(compile=True, max_cache_len=1024)
    assert fast == {"cache_implementation": "static", "generation_kwargs": {"use_cache": True, "max_cache_len": 1024}}
    with pytest.raises(ValueError, match="max_cache_len"):
        grpo_generation_kwargs(compile=True)
    with pytest.raises(ValueError, match="backend"):
        grpo_generation_kwargs(backend="vllm")


@pytest.mark.trl
def test_compiled_generation_in_a_real_trainer(tmp_path):
    pytest.importorskip("trl")
    from rlvr import get_reward
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tok = build_tiny_tokenizer()
    ds = Dataset.from_list([{"prompt": f"Question: what is {a}+{a}?\nAnswer:", "solution": str(2 * a)}
                            for a in range(4)])
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=8, max_steps=1, learning_rate=1e-3,
                      save_strategy="no", report_to="none", seed=0, disable_tqdm=True,
                      **grpo_generation_kwargs(compile=True, max_cache_len=64))
    model = build_tiny_model(tok)
    trainer = GRPOTrainer(model=model, processing_class=tok, args=args, train_dataset=ds,
                          reward_funcs=[get_reward("math_accuracy")])
    assert trainer.generation_config.disable_compile is True  # TRL's default: why the helper exists
    assert trainer.generation_config.cache_implementation == "static"
    enable_compiled_generation(trainer)
    enable_compiled_generation(trainer)  # idempotent
    assert trainer.generation_config.disable_compile is False
    hooks = model.get_input_embeddings()._forward_hooks
    before = len(hooks)
    for _ in range(3):  # what TRL's gradient-checkpointing toggling does around each generation
        model.enable_input_require_grads()
    assert len(hooks) <= max(before, 1)  # without the fix, each call leaves one more hook on the embeddings
    trainer.train()  # a real step generates with the static cache
    assert trainer.state.global_step == 1
