"""Hand rlvr rewards to TRL's ``GRPOTrainer`` / ``RLOOTrainer`` (and anything with the same contract).

Every rlvr reward already *is* a TRL reward function (see :mod:`rlvr.rewards.base`), so a
single reward goes straight into ``reward_funcs``. This module adds what a training script
needs around that:

* :func:`trl_reward_funcs` turns a :class:`~rlvr.rewards.stack.RewardStack`, one reward, registry
  names (``"math_accuracy"`` / ``"format=0.2"``), plain TRL reward functions (wrapped in a
  :class:`~rlvr.rewards.function.FunctionReward`) or ``(reward, weight)`` pairs into the
  ``(reward_funcs, reward_weights)`` pair for ``GRPOTrainer(reward_funcs=...)`` and
  ``GRPOConfig(reward_weights=...)``. TRL then logs every reward as ``rewards/<name>/mean``.
  With ``combined=True`` it returns one weighted-sum callable instead (for trainers without
  ``reward_weights``, e.g. ``experimental.online_dpo``/``a2po``, or to log one number).
* :func:`check_reward_funcs` fails early, with a message saying what to change, on the
  mistakes TRL reports late or not at all: a callable without ``__name__`` (TRL <= 1.8 and
  Unsloth crash at init), two rewards with the same name (their metrics silently collide),
  an ``async`` reward under a trainer that cannot await it.
* :func:`check_dataset_columns` verifies, before training starts, that the dataset carries
  every column the rewards read (TRL passes every dataset column to every reward; a
  missing one would only surface at the first reward call, after model loading and generation).

Nothing here imports ``trl``: the module is safe to import anywhere.

Quick start::

    from rlvr import RewardStack, get_reward
    from rlvr.adapters.trl import trl_reward_funcs

    stack = RewardStack([(get_reward("math_accuracy"), 1.0), (get_reward("format"), 0.2)])
    funcs, weights = trl_reward_funcs(stack)
    args = GRPOConfig(..., reward_weights=weights)
    trainer = GRPOTrainer(model=..., args=args, reward_funcs=funcs, train_dataset=ds)
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "RewardSetupError",
    "check_dataset_columns",
    "check_reward_funcs",
    "trl_reward_funcs",
]


class RewardSetupError(ValueError):
    """The reward functions handed to a trainer would fail or mislog: the message says how to fix it."""


def _as_stack(rewards: Any) -> Any:
    """A :class:`RewardStack` from any spec :func:`rlvr.rewards.build.build_stack` accepts."""
    from rlvr.rewards.build import RewardSpecError, build_stack

    try:
        return build_stack(rewards)
    except RewardSpecError as exc:
        raise RewardSetupError(str(exc)) from None


def trl_reward_funcs(
    rewards: Any, *, combined: bool = False, name: str | None = None
) -> tuple[list[Any], list[float]]:
    """``(reward_funcs, reward_weights)`` for ``GRPOTrainer`` / ``GRPOConfig``.

    Args:
        rewards: a :class:`~rlvr.rewards.stack.RewardStack`; one rlvr reward or plain named TRL
            reward function (wrapped in a :class:`~rlvr.rewards.function.FunctionReward`); or
            anything else :func:`rlvr.rewards.build.build_stack` accepts: iterables of rewards,
            functions, ``(reward, weight)`` pairs, registry specs ``"name"`` / ``"name=weight"``,
            ``"package.module:function"``, ``{name: weight}`` dicts, a stack file path.
        combined: return ``([stack], [1.0])``: one callable returning the weighted sum (TRL
            then logs only ``rewards/<stack name>/mean``; the stack itself logs each member's
            mean through ``log_metric`` as ``rlvr/<stack name>/<reward>`` where TRL >= 1.0
            passes it).
        name: ``__name__`` of the combined callable (default: the stack's name).

    Returns:
        Plain lists (TRL wants ``list``; ``reward_weights`` must have one float per function).

    Raises:
        RewardSetupError: duplicate names, or an entry that is neither an rlvr reward nor a
            named function (a lambda: wrap it as ``FunctionReward(f, name=...)``).
    """
    stack = _as_stack(rewards)
    if combined:
        from rlvr.rewards.build import build_stack

        funcs, weights = [build_stack(stack, name=name)], [1.0]
    else:
        funcs, weights = list(stack.reward_funcs), list(stack.reward_weights)
    check_reward_funcs(funcs, weights)
    return funcs, weights


def check_reward_funcs(
    reward_funcs: Any, reward_weights: Sequence[float] | None = None, *, allow_async: bool = True
) -> list[str]:
    """Check reward functions the way the strictest supported trainer will use them.

    Works for any callables, not only rlvr rewards. Returns the names TRL will log under
    (``rewards/<name>/mean``).

    Raises:
        RewardSetupError: a function has no string ``__name__`` (TRL <= 1.8, Unsloth:
            ``AttributeError`` at init; ``functools.partial`` and plain class instances lack it);
            two functions share a name (TRL logs both under one key); the number of weights
            differs from the number of functions; ``allow_async=False`` and a function is a
            coroutine function (TRL <= 0.26 and Unsloth would get a coroutine instead of a list).
    """
    funcs = list(reward_funcs) if isinstance(reward_funcs, (list, tuple)) else [reward_funcs]
    names: list[str] = []
    for pos, func in enumerate(funcs):
        if not callable(func):
            raise RewardSetupError(f"reward_funcs[{pos}] = {func!r} is not callable")
        fname = getattr(func, "__name__", None)
        if not isinstance(fname, str) or not fname:
            raise RewardSetupError(
                f"reward_funcs[{pos}] = {func!r} has no __name__. TRL <= 1.8 and Unsloth read "
                "reward_funcs[i].__name__ directly and crash. Use a module-level function, set a "
                "class attribute __name__ = '...', or use an rlvr reward (get_reward(...))."
            )
        if not allow_async and _is_async(func):
            raise RewardSetupError(
                f"reward {fname!r} is async; TRL <= 0.26 and Unsloth call reward functions synchronously. "
                "Pass the plain rlvr reward (not reward.as_async())."
            )
        names.append(fname)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RewardSetupError(
            f"several reward functions are named {dupes}: TRL logs rewards/<name>/mean per name, so their "
            "metrics would collide. Give them distinct names (get_reward(..., alias='...'))."
        )
    if reward_weights is not None and len(list(reward_weights)) != len(funcs):
        raise RewardSetupError(
            f"{len(list(reward_weights))} reward_weights for {len(funcs)} reward_funcs: pass one weight per function"
        )
    return names


def check_dataset_columns(rewards: Any, dataset: Any) -> None:
    """Fail before training when ``dataset`` lacks a column some reward needs.

    ``dataset`` is a ``datasets.Dataset`` (anything with ``column_names``), a ``DatasetDict``
    (every split is checked), a list of row dicts, or an iterable of column names.

    Raises:
        RewardSetupError: naming each reward, the columns it needs and the columns present.
    """
    columns = _column_names(dataset)
    funcs = rewards if isinstance(rewards, (list, tuple)) else [rewards]
    problems = []
    for func in funcs:
        needed = func.required_columns() if hasattr(func, "required_columns") else ()
        missing = [c for c in needed if c not in columns]
        if missing:
            problems.append(f"{getattr(func, '__name__', func)!r} needs {missing}")
    if problems:
        raise RewardSetupError(
            "the dataset lacks reward columns: " + "; ".join(problems) + f". Dataset columns: {sorted(columns)}. "
            "Rename the dataset column (dataset.rename_column) or point the reward at yours "
            "(e.g. get_reward('math_accuracy', solution_column='answer'))."
        )


def _column_names(dataset: Any) -> set[str]:
    names = getattr(dataset, "column_names", None)
    if isinstance(names, dict):  # DatasetDict: {split: [columns]}; a column must exist in every split
        splits = [set(v) for v in names.values()]
        return set.intersection(*splits) if splits else set()
    if names is not None:
        return set(names)
    if isinstance(dataset, (list, tuple)) and dataset and isinstance(dataset[0], dict):
        return set.intersection(*(set(row) for row in dataset))
    if isinstance(dataset, Iterable) and not isinstance(dataset, (str, bytes, dict)):
        return {str(c) for c in dataset}
    raise TypeError(f"cannot read column names from {type(dataset).__name__}")


def _is_async(func: Any) -> bool:
    # like trl.trainer.utils.is_async_callable, without importing trl
    while hasattr(func, "func") and hasattr(func, "args"):  # functools.partial
        func = func.func
    return inspect.iscoroutinefunction(func) or (callable(func) and inspect.iscoroutinefunction(type(func).__call__))
