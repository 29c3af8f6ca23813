"""The TRL / Unsloth reward function backed by a :class:`~rlvr.adapters.ray.pool.RayRewardPool`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from rlvr.adapters.ray.pool import RayRewardPool
from rlvr.async_reward import AsyncReward
from rlvr.rewards.base import report_to_trainer, to_values
from rlvr.rewards.stack import report_member_means

__all__ = ["RayReward", "ray_reward", "ray_reward_funcs"]


class RayReward:
    """A TRL / Unsloth reward function backed by a :class:`RayRewardPool` (see :func:`ray_reward`).

    Calling it returns exactly ``len(completions)`` values (``float``, or ``None`` for "cannot
    judge"), the weighted total of the stack, like calling the stack in-process. ``log_extra`` /
    ``log_metric`` (TRL >= 1.0) get the statuses, the unjudged fraction and each member's mean
    (``rlvr/<name>/<reward>``), as the in-process stack reports them.
    """

    def __init__(self, pool: RayRewardPool, *, name: str | None = None, none_as: float | None = None):
        self.pool = pool
        self.__name__ = name or pool.reward_name
        self.none_as = none_as

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 completion_ids: Sequence[Any] | None = None, **kwargs: Any) -> list[float | None]:
        scores = self.pool.score_batch(completions if completions is not None else [], prompts=prompts,
                                       completion_ids=completion_ids, **kwargs)
        log_metric = kwargs.get("log_metric")
        report_to_trainer(self.__name__, scores, kwargs.get("log_extra"), log_metric)
        if self.pool.stack is not None:
            report_member_means(self.__name__, self.pool.stack.names, scores, log_metric)
        none_as = self.none_as if self.none_as is not None else getattr(self.pool.stack, "none_as", None)
        return to_values(scores, none_as)

    def as_async(self) -> AsyncReward:
        """The same reward with a coroutine ``__call__`` (TRL >= 0.27 awaits it concurrently)."""
        return AsyncReward(self)

    def shutdown(self) -> None:
        """Kill the pool's actors."""
        self.pool.shutdown()

    def __repr__(self) -> str:
        return f"<RayReward {self.__name__!r} on {self.pool!r}>"


def ray_reward(rewards: Any, *, name: str | None = None, none_as: float | None | Literal["auto"] = None,
               **pool_options: Any) -> RayReward:
    """A TRL/Unsloth reward function that scores each batch on a pool of Ray actors.

    Args:
        rewards: any spec :func:`rlvr.rewards.build.build_stack` accepts (``"math_accuracy"``,
            ``["math_accuracy", "format=0.2"]``, ``"r1_math"`` presets, ``"pkg.mod:func"``, a stack file,
            a ready :class:`~rlvr.rewards.stack.RewardStack`).
        name: ``__name__`` (TRL logs ``rewards/<name>/mean``); default: the stack's name.
        none_as: value returned instead of ``None``: a number, ``None`` (keep the stack's own rule),
            or ``"auto"`` (Unsloth's rule, :func:`rlvr.adapters.unsloth.default_none_as`: keep ``None``
            on TRL >= 1.6, ``0.0`` below).
        **pool_options: :class:`RayRewardPool` knobs (``num_actors``, ``num_cpus``, ``resources``,
            ``address``, ``shard_size``, ``shard_timeout``, ...).

    The pool starts at the first call (or ``reward.pool.start()``); ``reward.shutdown()`` kills it.
    """
    if isinstance(none_as, str):
        if none_as != "auto":
            raise ValueError(f"none_as must be a number, None or 'auto', got {none_as!r}")
        from rlvr.adapters.unsloth import default_none_as

        none_as = default_none_as()
    return RayReward(RayRewardPool(rewards, **pool_options), name=name,
                     none_as=None if none_as is None else float(none_as))


def ray_reward_funcs(rewards: Any, *, name: str | None = None, none_as: float | None | Literal["auto"] = None,
                     **pool_options: Any) -> tuple[list[Any], list[float]]:
    """``([ray_reward(...)], [1.0])``, shaped like :func:`rlvr.adapters.trl.trl_reward_funcs` for
    ``GRPOTrainer(reward_funcs=...)`` / ``GRPOConfig(reward_weights=...)``.

    One callable returns the weighted total (one fan-out per batch instead of one per reward);
    each member's mean is logged as ``rlvr/<name>/<reward>`` where TRL passes ``log_metric``.
    Unsloth: pass ``none_as="auto"``.
    """
    from rlvr.adapters.trl import check_reward_funcs

    funcs, weights = [ray_reward(rewards, name=name, none_as=none_as, **pool_options)], [1.0]
    check_reward_funcs(funcs, weights, allow_async=False)
    return funcs, weights
