"""rlvr: verifiable reward functions for RL of reasoning LLMs (GRPO, the DeepSeek-R1 recipe).

Public API (imported lazily so ``import rlvr`` stays light)::

    from rlvr import get_reward, list_rewards, RewardStack, Score, Status

    accuracy = get_reward("math_accuracy")           # a TRL/Unsloth-ready reward function
    accuracy.score("<think>...</think> \\boxed{2}", solution="2")   # -> Score(value=1.0, ...)

Your own rewards: subclass :class:`Reward` (override ``judge`` or ``judge_batch``), or wrap a
plain TRL reward function with :func:`reward_function`; see ``docs/extending.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Score": "rlvr.score",
    "Status": "rlvr.score",
    "Reward": "rlvr.rewards.base",
    "RewardParams": "rlvr.rewards.base",
    "Sample": "rlvr.rewards.base",
    "RewardConfigError": "rlvr.rewards.base",
    "MissingColumnError": "rlvr.rewards.base",
    "register": "rlvr.rewards.registry",
    "register_preset": "rlvr.rewards.registry",
    "get_reward": "rlvr.rewards.registry",
    "list_rewards": "rlvr.rewards.registry",
    "UnknownRewardError": "rlvr.rewards.registry",
    "DuplicateRewardError": "rlvr.rewards.registry",
    "FunctionReward": "rlvr.rewards.function",
    "reward_function": "rlvr.rewards.function",
    "build_stack": "rlvr.rewards.build",
    "RewardStack": "rlvr.rewards.stack",
    "Gated": "rlvr.rewards.stack",
    "gate": "rlvr.rewards.stack",
    "load_stack": "rlvr.rewards.stack",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:
    from rlvr.rewards.base import MissingColumnError, Reward, RewardConfigError, RewardParams, Sample
    from rlvr.rewards.build import build_stack
    from rlvr.rewards.function import FunctionReward, reward_function
    from rlvr.rewards.registry import (
        DuplicateRewardError,
        UnknownRewardError,
        get_reward,
        list_rewards,
        register,
        register_preset,
    )
    from rlvr.rewards.stack import Gated, RewardStack, gate, load_stack
    from rlvr.score import Score, Status


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rlvr' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
