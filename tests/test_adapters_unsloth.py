"""rlvr.adapters.unsloth: the ``none_as`` default decided by the installed TRL, and a real GRPO step
showing what TRL does with rlvr's "cannot judge" on the TRL installed here.

Unsloth itself cannot run on CPU (it raises at import without a GPU) and never rewrites TRL's
reward call, so its reward contract is tested through TRL: here on the installed TRL, and by
tests/test_adapters_trl_versions.py on the oldest TRL rlvr claims and the newest Unsloth allows.
"""

from __future__ import annotations

import math
from importlib import metadata

import pytest

from rlvr import Reward, RewardStack, Sample, Score, Status, get_reward, register
from rlvr.adapters import unsloth as unsloth_adapter
from rlvr.adapters.unsloth import (
    default_none_as,
    for_unsloth,
    trl_masks_unscorable,
    unsloth_reward_funcs,
)


@register("_unsloth_probe")
class SkipProbe(Reward):
    """1.0 when the completion contains the ``solution`` column, 0.0 when not, and ``None``
    ("cannot judge") for rows whose solution is ``"skip"``."""

    def required_columns(self) -> tuple[str, ...]:
        return ("solution",)

    def judge(self, sample: Sample) -> Score:
        gold = str(sample.fields["solution"])
        if gold == "skip":
            return Score(None, Status.GOLD_UNPARSEABLE)
        return Score(float(gold in sample.text), Status.OK)


COMPLETIONS = ["answer: 4", "answer: 5"]
SOLUTIONS = ["4", "skip"]


def _installed_trl(monkeypatch, version: str | None) -> None:
    """Make the adapter see ``version`` as the installed TRL (None: TRL not installed)."""

    def fake_version(name: str) -> str:
        assert name == "trl"
        if version is None:
            raise metadata.PackageNotFoundError(name)
        return version

    monkeypatch.setattr(unsloth_adapter.metadata, "version", fake_version)


@pytest.mark.parametrize(
    ("version", "masks"),
    [("1.6.0", True), ("1.15.0", True), ("1.6.0.dev0", True), ("2.0", True), ("10.1.3", True),
     ("1.5.1", False), ("1.0.0", False), ("0.22.2", False), ("0.24.0", False), ("0.9.6", False),
     ("garbage", None), ("", None)],
)
def test_trl_masks_unscorable_by_version(version, masks):
    assert trl_masks_unscorable(version) is masks
    assert default_none_as(version) == (None if masks else 0.0)


def test_trl_masks_unscorable_reads_the_installed_trl(monkeypatch):
    installed = metadata.version("trl") if _has_trl() else None
    assert trl_masks_unscorable() == (trl_masks_unscorable(installed) if installed else None)
    _installed_trl(monkeypatch, None)
    assert trl_masks_unscorable() is None and default_none_as() == 0.0


def _has_trl() -> bool:
    try:
        metadata.version("trl")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.parametrize(("version", "expected"), [("1.15.0", [1.0, None]), ("1.6.0", [1.0, None]),
                                                    ("1.5.1", [1.0, 0.0]), ("0.22.2", [1.0, 0.0]),
                                                    (None, [1.0, 0.0])])
def test_auto_none_as_follows_the_installed_trl(monkeypatch, version, expected):
    _installed_trl(monkeypatch, version)
    reward = for_unsloth(get_reward("_unsloth_probe"))
    assert reward(completions=COMPLETIONS, solution=SOLUTIONS) == expected
    funcs, weights = unsloth_reward_funcs(["_unsloth_probe", (get_reward("format"), 0.5)])
    assert [f.__name__ for f in funcs] == ["_unsloth_probe", "format"] and weights == [1.0, 0.5]
    assert funcs[0](completions=COMPLETIONS, solution=SOLUTIONS) == expected
    combined, _ = unsloth_reward_funcs(RewardStack(["_unsloth_probe"], name="total"), combined=True)
    assert combined[0](completions=COMPLETIONS, solution=SOLUTIONS) == expected


def test_auto_on_masking_trl_keeps_each_rewards_own_none_as(monkeypatch):
    _installed_trl(monkeypatch, "1.15.0")
    own = get_reward("_unsloth_probe", none_as=-1.0)
    assert for_unsloth(own)(completions=COMPLETIONS, solution=SOLUTIONS) == [1.0, -1.0]
    stack = for_unsloth(RewardStack([own], none_as=-2.0))
    assert stack.none_as == -2.0 and stack.entries[0].reward.params.none_as == -1.0
    _installed_trl(monkeypatch, "0.24.0")  # below 1.6 auto means 0.0 everywhere, as before
    stack = for_unsloth(RewardStack([own], none_as=-2.0))
    assert stack.none_as == 0.0 and stack.entries[0].reward.params.none_as == 0.0


def test_explicit_none_as_wins_over_the_version(monkeypatch):
    _installed_trl(monkeypatch, "0.22.2")
    assert for_unsloth(get_reward("_unsloth_probe"), none_as=None)(completions=COMPLETIONS,
                                                                   solution=SOLUTIONS) == [1.0, None]
    _installed_trl(monkeypatch, "1.15.0")
    original = get_reward("_unsloth_probe", none_as=-1.0)
    assert for_unsloth(original, none_as=0.25)(completions=COMPLETIONS, solution=SOLUTIONS) == [1.0, 0.25]
    assert for_unsloth(original, none_as=None)(completions=COMPLETIONS, solution=SOLUTIONS) == [1.0, None]
    assert original.params.none_as == -1.0  # the original is untouched
    funcs, _ = unsloth_reward_funcs("_unsloth_probe", none_as=0.0)
    assert funcs[0](completions=COMPLETIONS, solution=SOLUTIONS) == [1.0, 0.0]
    with pytest.raises(ValueError, match="'auto'"):
        for_unsloth(original, none_as="zero")


# --------------------------------------------------------------------------- a real GRPO step
@pytest.mark.trl
def test_grpo_step_cannot_judge_rows_on_the_installed_trl(tmp_path):
    """Two prompts x two generations; the "skip" prompt's completions cannot be judged. With the
    default ``none_as="auto"`` TRL >= 1.6 leaves them out of the reward statistics (mean over the
    judged rows only); below 1.6 they count as 0. The probe scores every judged row 1.0, so the
    logged mean tells which happened."""
    pytest.importorskip("trl")
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    # an empty solution is in every completion (judged: 1.0); "skip" cannot be judged
    ds = Dataset.from_list([{"prompt": "Question: 2+2?\nAnswer:", "solution": ""},
                            {"prompt": "Question: 3+5?\nAnswer:", "solution": "skip"}])
    funcs, weights = unsloth_reward_funcs(["_unsloth_probe"])
    tok = build_tiny_tokenizer()
    args = GRPOConfig(output_dir=str(tmp_path), reward_weights=weights, use_cpu=True, bf16=False,
                      per_device_train_batch_size=4, num_generations=2, max_completion_length=4, max_steps=1,
                      learning_rate=1e-3, logging_steps=1, save_strategy="no", report_to="none",
                      gradient_checkpointing=False, seed=0, disable_tqdm=True)
    trainer = GRPOTrainer(model=build_tiny_model(tok), processing_class=tok, args=args, train_dataset=ds,
                          reward_funcs=funcs)
    trainer.train()
    logs = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    masks = trl_masks_unscorable()
    assert masks is not None
    expected = 1.0 if masks else 0.5  # TRL >= 1.6: the 2 unjudged rows are out; else they are 0
    assert math.isclose(logs["rewards/_unsloth_probe/mean"], expected), logs
    assert math.isclose(logs["reward"], expected), logs
