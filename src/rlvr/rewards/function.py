"""Plain TRL-style reward functions as rlvr rewards: :class:`FunctionReward` and :func:`reward_function`.

A TRL reward function is ``func(prompts, completions, completion_ids, **columns) -> list[float | None]``.
Wrapped, it joins a :class:`~rlvr.rewards.stack.RewardStack`, ``trl_reward_funcs``, a preset or
``rlvr score`` like any rlvr reward::

    @reward_function(columns=("solution",))
    def ends_with_solution(completions, solution, **kwargs):
        return [1.0 if c.rstrip().endswith(s) else 0.0 for c, s in zip(completions, solution)]

    RewardStack([get_reward("math_accuracy"), (ends_with_solution, 0.5)])

What the function returns becomes one :class:`~rlvr.score.Score` per completion:

* a number (int, float, bool, NumPy/torch scalar) -> that value, status ``ok``;
* ``None`` or NaN (TRL's "does not apply to this sample") -> ``None``, status ``skipped``;
* a :class:`~rlvr.score.Score` -> kept as it is;
* anything else (a string, inf) -> ``None``, status ``error`` for that sample;
* a list of the wrong length, a non-list, or an exception -> ``None``, status ``error`` for
  every sample (logged; never a crash and never a silent 0).

The function receives the completions as the trainer passed them (strings or chat message
lists), the prompts, ``completion_ids`` and every dataset column as aligned lists. Trainer hooks
(``trainer_state``, ``log_extra``, ``log_metric``) are not forwarded. A coroutine function is
run to completion (on a private event loop in a worker thread when one is already running).

A ``FunctionReward`` pickles when its function is importable (defined at module level); a
lambda or a nested function raises :class:`pickle.PicklingError` saying so.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import math
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rlvr.rewards.base import Reward, RewardConfigError, Sample
from rlvr.score import Score, Status

__all__ = ["FunctionReward", "reward_function"]


class FunctionReward(Reward):
    """An rlvr reward around a plain TRL reward function (see the module docstring).

    Args:
        func: ``func(prompts=, completions=, completion_ids=, **columns) -> list``.
        name: the ``__name__`` TRL logs it under (default: ``func.__name__``; a lambda needs one).
        columns: dataset columns the function needs (checked like any reward's required columns).
        none_as: the trainer-facing value for ``None`` (see :class:`~rlvr.rewards.base.RewardParams`).
        alias: same as ``name`` (the keyword every rlvr reward accepts).
    """

    name = "function"

    def __init__(self, func: Callable[..., Any], *, name: str | None = None, columns: Sequence[str] = (),
                 none_as: float | None = None, alias: str | None = None):
        if not callable(func) or isinstance(func, Reward):
            raise TypeError(f"FunctionReward wraps a plain reward function, got {func!r}")
        label = alias or name or getattr(func, "__name__", None)
        if not isinstance(label, str) or not label or label == "<lambda>":
            raise RewardConfigError(
                f"{func!r} has no usable name (TRL logs each reward as rewards/<name>/mean): define it with "
                "def, or pass name='...'"
            )
        self.func = func
        self.columns = tuple(columns)
        super().__init__(alias=label, none_as=none_as)
        self.__doc__ = inspect.getdoc(func) or None

    def required_columns(self) -> tuple[str, ...]:
        return self.columns

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        from rlvr.rewards.composite import batch_columns

        n = len(samples)
        try:
            values = _run(self.func, batch_columns(samples))
            if isinstance(values, (str, bytes, dict)):
                raise TypeError(f"{self.__name__} returned {type(values).__name__}, not a list of values")
            values = list(values)
        except Exception as exc:  # a user's function must not kill the training step
            return [self._internal_error(exc)] * n
        if len(values) != n:
            bug = ValueError(f"{self.__name__} returned {len(values)} values for {n} completions")
            return [self._internal_error(bug)] * n
        return [_as_score(v) for v in values]

    def __reduce__(self) -> tuple[Any, ...]:
        func = self.func
        module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", None)
        state = (self.__name__, self.columns, self.params.none_as)
        if isinstance(qualname, str) and "<" in qualname:
            raise pickle.PicklingError(
                f"reward function {self.__name__!r} ({module}.{qualname}) cannot be pickled: define it at module "
                "level so worker processes can import it (lambdas and nested functions cannot)"
            )
        found = _lookup(module, qualname) if isinstance(qualname, str) else None
        if found is func or (isinstance(found, FunctionReward) and found.func is func):
            return (_rebuild_by_name, (module, qualname, *state))  # decorated or not: import it by name
        return (_rebuild, (func, *state))  # e.g. a callable object: pickled as it is

    def __copy__(self) -> FunctionReward:  # a plain copy, also of a lambda's wrapper (pickling refuses those)
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __repr__(self) -> str:
        return f"<FunctionReward {self.__name__!r} ({getattr(self.func, '__qualname__', self.func)!r})>"


def reward_function(func: Callable[..., Any] | None = None, *, name: str | None = None, columns: Sequence[str] = (),
                    none_as: float | None = None) -> Any:
    """Decorator: ``@reward_function`` or ``@reward_function(name=..., columns=(...))`` turns a plain
    TRL reward function into a :class:`FunctionReward` (keeping its ``__name__`` unless ``name``
    is given). The result is still called like the function by TRL, and pickles by reference."""

    def wrap(f: Callable[..., Any]) -> FunctionReward:
        return FunctionReward(f, name=name, columns=columns, none_as=none_as)

    return wrap(func) if func is not None else wrap


def _rebuild(func: Callable[..., Any], name: str, columns: tuple[str, ...], none_as: float | None) -> FunctionReward:
    return FunctionReward(func, name=name, columns=columns, none_as=none_as)


def _rebuild_by_name(module: str, qualname: str, name: str, columns: tuple[str, ...],
                     none_as: float | None) -> FunctionReward:
    found = _lookup(module, qualname)
    if found is None:
        raise pickle.UnpicklingError(f"reward function {module}.{qualname} is not importable here")
    return _rebuild(found.func if isinstance(found, FunctionReward) else found, name, columns, none_as)


def _lookup(module: str | None, qualname: str) -> Any:
    if not module or not qualname or "<" in qualname:
        return None
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj


def _run(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    result = func(**kwargs)
    if not inspect.isawaitable(result):
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(result))
    with ThreadPoolExecutor(max_workers=1) as pool:  # this thread's loop is busy: use a private one
        return pool.submit(asyncio.run, _await(result)).result()


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _as_score(value: Any) -> Score:
    if isinstance(value, Score):
        return value
    if value is None:
        return Score(None, Status.SKIPPED, "the reward function returned None (does not apply)")
    if isinstance(value, (str, bytes)):
        return Score(None, Status.ERROR, f"the reward function returned {type(value).__name__}, not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return Score(None, Status.ERROR, f"the reward function returned {type(value).__name__}, not a number")
    if math.isnan(number):
        return Score(None, Status.SKIPPED, "the reward function returned NaN (does not apply)")
    if math.isinf(number):
        return Score(None, Status.ERROR, f"the reward function returned a non-finite value ({number})")
    return Score(number, Status.OK)
