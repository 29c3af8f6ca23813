"""Turn a stage's ``rewards:`` entry into an rlvr :class:`~rlvr.RewardStack`.

Accepted forms::

    rewards: open_r1_math                       # a preset (or a single reward) by name
    rewards: {preset: countdown_r1, params: {prefilled: false}}
    rewards: [format=0.5, math_accuracy]        # "name" / "name=weight" specs
    rewards:                                    # a full stack (RewardStack.from_config)
      name: my_stack
      rewards:
        - {name: math_accuracy, weight: 1.0}
        - {name: format, weight: 0.5}

The stack is handed to TRL as separate reward functions plus ``reward_weights`` so that every
reward is logged on its own (``rewards/<name>/mean``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["build_reward_stack", "check_columns", "set_reward_param"]


def build_reward_stack(spec: Any) -> Any:
    from rlvr import RewardStack, get_reward

    if isinstance(spec, str):
        reward = get_reward(spec)
        return reward if isinstance(reward, RewardStack) else RewardStack([(reward, 1.0)], name=spec)
    if isinstance(spec, Mapping) and "preset" in spec:
        unknown = set(spec) - {"preset", "params", "alias"}
        if unknown:
            raise ValueError(f"rewards: unknown key(s) {sorted(unknown)} next to 'preset' (expected params, alias)")
        stack = get_reward(spec["preset"], alias=spec.get("alias"), **dict(spec.get("params") or {}))
        return stack if isinstance(stack, RewardStack) else RewardStack([(stack, 1.0)], name=spec["preset"])
    return RewardStack.from_config(spec)


def check_columns(stack: Any, columns: list[str], stage: str) -> None:
    """Fail before training when a reward needs a column the dataset lacks."""
    missing = [c for c in stack.required_columns() if c not in columns]
    if missing:
        raise ValueError(
            f"stage {stage!r}: the rewards {stack.names} need column(s) {missing}, but the dataset has {columns}. "
            "Use a layout that produces them or set the reward's *_column parameter."
        )


def set_reward_param(spec: Any, reward_names: set[str], key: str, value: Any, preset_key: str | None = None) -> Any:
    """Copy of a ``rewards:`` spec with ``params[key] = value`` on every entry named in
    ``reward_names`` (and ``params[preset_key]`` on a preset entry when given)."""
    import copy

    spec = copy.deepcopy(spec)
    if isinstance(spec, str):
        spec = {"preset": spec}
    if isinstance(spec, Mapping) and "preset" in spec:
        if preset_key:
            spec = dict(spec)
            spec["params"] = {**dict(spec.get("params") or {}), preset_key: value}
        return spec
    items = spec.get("rewards") if isinstance(spec, Mapping) else spec
    for i, item in enumerate(items or []):
        if isinstance(item, str):
            from rlvr.rewards.stack import parse_reward_spec

            item = items[i] = parse_reward_spec(item)
        if item.get("name") in reward_names:
            item["params"] = {**dict(item.get("params") or {}), key: value}
    return spec
