"""Use rlvr rewards with Unsloth's patched ``GRPOTrainer``.

Unsloth does not change TRL's reward call (``_calculate_rewards`` is never rewritten), so the
reward contract is the installed TRL's. Unsloth 2026.10.9 (its newest release) allows
``trl>=0.18.2,!=0.19.0,<=1.15.0`` and ``transformers>=4.52.4,<=5.17.0`` (package metadata,
``Requires-Dist``); its GRPO notebooks still install ``trl==0.22.2``. What differs across that
range, and what this module does about it:

* ``reward_funcs[i].__name__`` is read directly up to TRL 1.8: a ``functools.partial`` or a
  class instance without ``__name__`` raises ``AttributeError`` at trainer init (every rlvr
  reward and :class:`~rlvr.rewards.stack.RewardStack` has one; :func:`unsloth_reward_funcs`
  checks);
* no ``log_extra`` / ``log_metric`` before TRL 1.0 (rlvr rewards only use them when passed);
* synchronous functions only here (``reward.as_async()`` needs TRL >= 0.27 and is refused);
* **a row where every reward returned ``None``**: TRL < 1.6 scores it 0 and keeps it in the
  group baseline; TRL >= 1.6 (and Unsloth on it, which applies the same mask in its own
  advantage code) leaves it out of the baseline with advantage 0. rlvr returns ``None`` for
  "cannot judge" (gold unparseable, sandbox down), so :func:`for_unsloth` decides by the
  installed TRL (``none_as="auto"``): keep ``None`` on TRL >= 1.6, map it to ``0.0`` below
  (or when TRL's version cannot be read), which is what that TRL does to an all-None row
  anyway, but per reward and predictably;
* an assistant prefill in the prompt (e.g. a template that opens ``<think>``) is prepended
  to the completion text up to TRL 0.25, not from 0.26 on; ``get_reward("format",
  prefilled=True)`` accepts both shapes.

Never import ``unsloth`` through rlvr: it raises on machines without a GPU and must be
imported before ``trl``/``transformers``. This module imports neither (it reads TRL's
version from the installed package metadata).

Quick start (after ``from unsloth import FastLanguageModel, PatchFastRL``)::

    from rlvr import RewardStack, get_reward
    from rlvr.adapters.unsloth import unsloth_reward_funcs

    stack = RewardStack([(get_reward("math_accuracy"), 1.0), (get_reward("format"), 0.2)])
    funcs, weights = unsloth_reward_funcs(stack)   # None kept (TRL >= 1.6) or -> 0.0; names checked
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=funcs,
                          args=GRPOConfig(..., reward_weights=weights), train_dataset=ds)
"""

from __future__ import annotations

import copy
import re
from importlib import metadata
from typing import Any, Literal

from rlvr.adapters.trl import _as_stack, check_reward_funcs, trl_reward_funcs

__all__ = ["UNSCORABLE_MASK_SINCE", "default_none_as", "for_unsloth", "trl_masks_unscorable", "unsloth_reward_funcs"]

#: First TRL release that leaves an all-None row out of the group baseline (advantage 0).
UNSCORABLE_MASK_SINCE = (1, 6)

_KEEP = object()  # "leave each reward's own none_as alone"


def trl_masks_unscorable(trl_version: str | None = None) -> bool | None:
    """Whether TRL ``trl_version`` (default: the installed one) excludes all-None rows.

    Returns ``True`` for TRL >= 1.6 (pre-releases of 1.6 included), ``False`` below, and
    ``None`` when TRL is not installed or its version does not start with ``MAJOR.MINOR``.
    Reads package metadata only; never imports ``trl``.
    """
    if trl_version is None:
        try:
            trl_version = metadata.version("trl")
        except metadata.PackageNotFoundError:
            return None
    match = re.match(r"\s*v?(\d+)\.(\d+)", str(trl_version))
    if match is None:
        return None
    return (int(match.group(1)), int(match.group(2))) >= UNSCORABLE_MASK_SINCE


def default_none_as(trl_version: str | None = None) -> float | None:
    """What ``none_as="auto"`` means: ``None`` (keep "cannot judge") when TRL masks all-None rows
    (>= 1.6), else ``0.0`` (TRL < 1.6, or TRL's version unknown)."""
    return None if trl_masks_unscorable(trl_version) else 0.0


def for_unsloth(reward: Any, *, none_as: float | None | Literal["auto"] = "auto") -> Any:
    """A copy of ``reward`` whose trainer-facing ``None`` values follow ``none_as``.

    Args:
        reward: an rlvr reward (including :class:`~rlvr.rewards.stack.Gated`), a
            :class:`~rlvr.rewards.stack.RewardStack` (every member and the combined output are
            converted), or a list of either (converted element-wise).
        none_as: ``"auto"`` (default) decides by the installed TRL (:func:`default_none_as`):
            on TRL >= 1.6 the copy is unchanged (each reward keeps its own ``none_as``; TRL
            leaves a row every reward declined out of the baseline), below it ``None`` becomes
            ``0.0``, which reproduces what that TRL does to an all-None row anyway, but per
            reward and predictably. A float sets that value everywhere; ``None`` sets "keep
            ``None``" everywhere.

    Only the ``__call__`` output changes: ``score()`` / ``score_batch()`` still report
    ``Score(None, status)`` so diagnostics keep saying *why*. The original is not modified;
    ``__name__`` is kept.

    Raises:
        TypeError: ``reward`` is not an rlvr reward or stack (e.g. ``reward.as_async()``).
        ValueError: ``none_as`` is a string other than ``"auto"``.
    """
    if isinstance(none_as, str):
        if none_as != "auto":
            raise ValueError(f"none_as must be a number, None or 'auto', got {none_as!r}")
        value: Any = _KEEP if trl_masks_unscorable() else 0.0
    else:
        value = None if none_as is None else float(none_as)
    return _with_none_as(reward, value)


def _with_none_as(reward: Any, value: Any) -> Any:
    from rlvr.rewards.base import Reward
    from rlvr.rewards.stack import RewardStack, StackEntry

    if isinstance(reward, (list, tuple)):
        return type(reward)(_with_none_as(r, value) for r in reward)
    if isinstance(reward, RewardStack):
        out = copy.copy(reward)
        out.entries = [StackEntry(_with_none_as(e.reward, value), e.weight) for e in reward.entries]
        if value is not _KEEP:
            out.none_as = value
        return out
    if isinstance(reward, Reward):
        out = copy.copy(reward)
        if value is not _KEEP:
            out.params = reward.params.model_copy(update={"none_as": value})
        out.__name__ = reward.__name__
        return out
    raise TypeError(f"for_unsloth expects rlvr rewards or a RewardStack, got {reward!r}")


def unsloth_reward_funcs(
    rewards: Any, *, none_as: float | None | Literal["auto"] = "auto", combined: bool = False
) -> tuple[list[Any], list[float]]:
    """``(reward_funcs, reward_weights)`` ready for Unsloth on any TRL it allows (0.18.2-1.15).

    Same inputs as :func:`rlvr.adapters.trl.trl_reward_funcs`; every function passes through
    :func:`for_unsloth` (``none_as`` as there) and
    :func:`~rlvr.adapters.trl.check_reward_funcs` with async refused.
    """
    funcs, weights = trl_reward_funcs(for_unsloth(_as_stack(rewards), none_as=none_as), combined=combined)
    check_reward_funcs(funcs, weights, allow_async=False)
    return funcs, weights
