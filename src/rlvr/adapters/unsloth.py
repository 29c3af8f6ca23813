"""Use rlvr rewards with Unsloth's patched ``GRPOTrainer``.

Unsloth does not change TRL's reward call (``_calculate_rewards`` is never rewritten); it pins
TRL to 0.18.2-0.24 (the GRPO notebooks install ``trl==0.22.2``), so the contract is TRL
0.22-0.24's:

* keywords ``prompts``, ``completions``, ``completion_ids``, ``trainer_state`` and every
  dataset column; no ``log_extra`` / ``log_metric`` (rlvr rewards only use them when passed);
* ``reward_funcs[i].__name__`` is read directly: a ``functools.partial`` or a class instance
  without ``__name__`` raises ``AttributeError`` at trainer init (every rlvr reward and
  :class:`~rlvr.rewards.stack.RewardStack` has one; :func:`unsloth_reward_funcs` checks);
* synchronous functions only (``reward.as_async()`` would hand TRL a coroutine);
* **a row where every reward returned ``None`` scores 0 and stays in the group baseline**
  (TRL >= 1.6 excludes it instead). rlvr returns ``None`` for "cannot judge" (gold
  unparseable, sandbox down), so :func:`for_unsloth` sets ``none_as`` (default ``0.0``) to
  make that 0 explicit and identical across TRL versions;
* an assistant prefill in the prompt (e.g. a template that opens ``<think>``) is prepended
  to the completion text, so format rewards see the opening tag.

Never import ``unsloth`` through rlvr: it raises on machines without a GPU and must be
imported before ``trl``/``transformers``. This module does not import it.

Quick start (after ``from unsloth import FastLanguageModel, PatchFastRL``)::

    from rlvr import RewardStack, get_reward
    from rlvr.adapters.unsloth import unsloth_reward_funcs

    stack = RewardStack([(get_reward("math_accuracy"), 1.0), (get_reward("format"), 0.2)])
    funcs, weights = unsloth_reward_funcs(stack)          # None -> 0.0, names checked
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=funcs,
                          args=GRPOConfig(..., reward_weights=weights), train_dataset=ds)
"""

from __future__ import annotations

import copy
from typing import Any

from rlvr.adapters.trl import _as_stack, check_reward_funcs, trl_reward_funcs

__all__ = ["for_unsloth", "unsloth_reward_funcs"]


def for_unsloth(reward: Any, *, none_as: float = 0.0) -> Any:
    """A copy of ``reward`` whose trainer-facing ``None`` values become ``none_as``.

    Args:
        reward: an rlvr reward (including :class:`~rlvr.rewards.stack.Gated`), a
            :class:`~rlvr.rewards.stack.RewardStack` (every member and the combined output are
            converted), or a list of either (converted element-wise).
        none_as: the value for "cannot judge"; 0.0 reproduces what TRL < 1.6 does to an
            all-None row anyway, but per reward and predictably.

    Only the ``__call__`` output changes: ``score()`` / ``score_batch()`` still report
    ``Score(None, status)`` so diagnostics keep saying *why*. The original is not modified;
    ``__name__`` is kept.
    """
    from rlvr.rewards.base import Reward
    from rlvr.rewards.stack import RewardStack, StackEntry

    none_as = float(none_as)
    if isinstance(reward, (list, tuple)):
        return type(reward)(for_unsloth(r, none_as=none_as) for r in reward)
    if isinstance(reward, RewardStack):
        out = copy.copy(reward)
        out.entries = [StackEntry(for_unsloth(e.reward, none_as=none_as), e.weight) for e in reward.entries]
        out.none_as = none_as
        return out
    if isinstance(reward, Reward):
        out = copy.copy(reward)
        out.params = reward.params.model_copy(update={"none_as": none_as})
        out.__name__ = reward.__name__
        return out
    raise TypeError(f"for_unsloth expects rlvr rewards or a RewardStack, got {reward!r}")


def unsloth_reward_funcs(
    rewards: Any, *, none_as: float = 0.0, combined: bool = False
) -> tuple[list[Any], list[float]]:
    """``(reward_funcs, reward_weights)`` ready for Unsloth / TRL 0.22-0.24.

    Same inputs as :func:`rlvr.adapters.trl.trl_reward_funcs`; every function passes through
    :func:`for_unsloth` and :func:`~rlvr.adapters.trl.check_reward_funcs` with async refused.
    """
    funcs, weights = trl_reward_funcs(for_unsloth(_as_stack(rewards), none_as=none_as), combined=combined)
    check_reward_funcs(funcs, weights, allow_async=False)
    return funcs, weights
