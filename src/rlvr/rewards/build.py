"""The one place that turns reward specs into rewards and stacks.

Used by :meth:`RewardStack.from_config <rlvr.rewards.stack.RewardStack.from_config>`,
:func:`~rlvr.rewards.stack.load_stack`, the TRL/Unsloth adapters, ``rlvr score`` (the scoring
plan) and the veRL data-source table. A *spec* is any of:

* a registered name ``"math_accuracy"``, optionally weighted ``"format=0.2"``;
* an importable ``"package.module:attr"`` (optionally ``"=weight"``) naming a reward, a stack, a
  :class:`~rlvr.rewards.base.Reward` subclass (built with its defaults) or a plain TRL reward
  function (wrapped in a :class:`~rlvr.rewards.function.FunctionReward`);
* a stack file path (``.json``, ``.toml``, ``.yaml``/``.yml``, the last with PyYAML installed);
* a ready reward, :class:`~rlvr.rewards.stack.RewardStack` or plain named function;
* a ``(spec, weight)`` pair;
* a config entry ``{"name", "weight", "params", "alias", "gate"}`` (``gate`` is itself an entry
  with ``threshold``/``otherwise``);
* a mapping ``{name: weight}`` or ``{name: {"weight", "params", "alias", "gate"}}``;
* a stack config ``{"rewards": [...], "name": ..., "none_as": ...}`` (what a stack file holds);
* a list of any of these.

:func:`build_reward` makes one reward (or a preset's stack); :func:`build_stack` makes a
:class:`~rlvr.rewards.stack.RewardStack`. Problems raise
:class:`~rlvr.rewards.base.RewardConfigError` (or its subclass :class:`RewardSpecError`)
naming the entry and the fix; unknown names raise
:class:`~rlvr.rewards.registry.UnknownRewardError`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlvr.rewards.base import Reward, RewardConfigError

if TYPE_CHECKING:
    from rlvr.rewards.stack import RewardStack

__all__ = ["RewardSpecError", "build_reward", "build_stack", "parse_reward_spec", "read_stack_file"]

STACK_FILE_SUFFIXES = (".json", ".toml", ".yaml", ".yml")
_ENTRY_KEYS = {"name", "weight", "params", "alias", "gate"}
_STACK_KEYS = {"rewards", "name", "none_as"}


class RewardSpecError(RewardConfigError, TypeError):
    """A spec that is not a reward (a lambda, a number, a malformed pair)."""


def parse_reward_spec(spec: str) -> dict[str, Any]:
    """``"name"`` or ``"name=weight"`` (the CLI's ``--reward`` syntax) as a config entry."""
    name, sep, weight = spec.partition("=")
    entry: dict[str, Any] = {"name": name.strip()}
    if sep:
        try:
            entry["weight"] = float(weight)
        except ValueError:
            raise RewardConfigError(f"bad reward spec {spec!r}: weight {weight!r} is not a number") from None
    return entry


def build_reward(spec: Any, *, params: Mapping[str, Any] | None = None, alias: str | None = None) -> Any:
    """One reward (or a preset/stack) from a name, ``module:attr``, ready reward or plain function.

    ``params`` and ``alias`` apply to registered names and importable ``Reward`` subclasses;
    giving them for a ready object raises :class:`RewardConfigError`."""
    from rlvr.rewards.stack import RewardStack

    params = dict(params or {})
    if isinstance(spec, str):
        if Path(spec).suffix.lower() in STACK_FILE_SUFFIXES and not params and not alias:
            return build_stack(spec)
        if ":" in spec:
            spec = _import_attr(spec)
        else:
            from rlvr.rewards.registry import get_reward

            return get_reward(spec, alias=alias, **params)
    if isinstance(spec, type) and issubclass(spec, Reward):
        return spec(alias=alias, **params)
    if isinstance(spec, (Reward, RewardStack)):
        if params or alias:
            raise RewardConfigError(f"params/alias apply to reward names, classes and functions, not to the ready "
                                    f"reward {spec!r}")
        return spec
    return _wrap_function(spec, alias, params)


def build_stack(spec: Any, *, name: str | None = None, none_as: float | None = None) -> RewardStack:
    """A :class:`~rlvr.rewards.stack.RewardStack` from any spec (see the module docstring).

    A ready stack is returned as it is (a copy when ``name``/``none_as`` change it); a stack
    config's own ``name``/``none_as`` apply unless overridden here."""
    import copy

    from rlvr.rewards.stack import RewardStack

    if isinstance(spec, RewardStack):
        if (name is None or name == spec.__name__) and (none_as is None or none_as == spec.none_as):
            return spec
        stack = copy.copy(spec)
        stack.__name__ = name or spec.__name__
        stack.none_as = spec.none_as if none_as is None else none_as
        return stack
    if isinstance(spec, Path) or (isinstance(spec, str) and Path(spec).suffix.lower() in STACK_FILE_SUFFIXES):
        path = Path(spec)
        try:
            return build_stack(read_stack_file(path), name=name, none_as=none_as)
        except RewardConfigError as exc:
            raise RewardConfigError(f"{path}: {exc}") from None
    if isinstance(spec, Mapping) and "rewards" in spec:
        unknown = set(spec) - _STACK_KEYS
        if unknown:
            raise RewardConfigError(f"stack config: unknown key(s) {sorted(unknown)}; expected rewards, name, none_as")
        items = spec.get("rewards")
        name = name or spec.get("name")
        none_as = spec.get("none_as") if none_as is None else none_as
        if isinstance(items, (str, Mapping)):
            items = [items]
        items = items or []
    elif isinstance(spec, Mapping) and "name" not in spec:
        items = list(spec.items())  # {name: weight} / {name: {weight, params, ...}}
    elif isinstance(spec, (str, Mapping, Reward)) or callable(spec) or _is_pair(spec):
        items = [spec]
    else:
        items = spec
    if not isinstance(items, Iterable) or isinstance(items, (bytes, Mapping)):
        raise RewardSpecError(f"cannot build a reward stack from {spec!r}")
    items = list(items)
    if not items:
        raise RewardConfigError("stack config: 'rewards' must list at least one reward")
    entries = [_entry(item, pos) for pos, item in enumerate(items)]
    return RewardStack(entries, name=name or "reward_stack", none_as=none_as)


def read_stack_file(path: str | Path) -> Any:
    """The plain data in a stack file (``.json``, ``.toml``, ``.yaml``/``.yml``)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        return tomllib.loads(text)
    if suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


# --------------------------------------------------------------------------- entries
def _entry(item: Any, pos: int) -> tuple[Any, float]:
    """``(reward, weight)`` for one list item."""
    if isinstance(item, tuple):
        if len(item) != 2:
            raise RewardSpecError(f"expected (reward, weight) pairs, got {item!r}")
        spec, weight = item
        if isinstance(weight, Mapping):  # {name: {weight, params, ...}} items
            return _config_entry({"name": spec, **weight}, pos)
        reward, _ = _entry(spec, pos)
        return reward, _weight(weight, spec)
    if isinstance(item, str):
        entry = parse_reward_spec(item)
        return build_reward(entry["name"]), entry.get("weight", 1.0)
    if isinstance(item, Mapping):
        return _config_entry(item, pos)
    return build_reward(item), 1.0


def _config_entry(item: Mapping[str, Any], pos: int) -> tuple[Any, float]:
    from rlvr.rewards.stack import Gated

    if "name" not in item:
        raise RewardConfigError(f"stack config: rewards[{pos}] needs a 'name', got {dict(item)!r}")
    unknown = set(item) - _ENTRY_KEYS
    if unknown:
        raise RewardConfigError(f"stack config: rewards[{pos}] ({item['name']}): unknown key(s) {sorted(unknown)}")
    reward = build_reward(item["name"], params=item.get("params"), alias=item.get("alias"))
    if item.get("gate"):
        g = dict(item["gate"])
        gate_reward = build_reward(g.pop("name"), alias=g.pop("alias", None), params=g.pop("params", None))
        reward = Gated(reward, gate_reward, **g)
    return reward, _weight(item.get("weight", 1.0), item["name"])


def _is_pair(spec: Any) -> bool:
    return isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], (int, float, Mapping))


def _weight(weight: Any, spec: Any) -> float:
    try:
        return float(weight)
    except (TypeError, ValueError):
        raise RewardSpecError(f"the weight of {spec!r} must be a number, got {weight!r}") from None


def _wrap_function(obj: Any, alias: str | None = None, params: Mapping[str, Any] | None = None) -> Reward:
    """A plain function as a :class:`FunctionReward` (``params``: only ``none_as``, validated)."""
    from rlvr.rewards.function import FunctionReward

    fname = getattr(obj, "__name__", None)
    if isinstance(obj, type) or not callable(obj) or not isinstance(fname, str) or fname == "<lambda>":
        raise RewardSpecError(
            f"{obj!r} is not an rlvr reward or a named reward function: entries must be rlvr rewards "
            "(get_reward(...)), RewardStacks, registered names, or functions defined with def "
            "(wrap a lambda as FunctionReward(f, name='...'))"
        )
    none_as = FunctionReward.validate_params(dict(params or {})).none_as
    return FunctionReward(obj, name=alias, none_as=none_as)


def _import_attr(spec: str) -> Any:
    """``"package.module:attr.sub"`` -> the object (``ImportError`` naming the spec when missing)."""
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name.strip())
    obj: Any = module
    for part in attr.strip().split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"{spec!r}: module {module_name!r} has no attribute {attr!r}") from None
    return obj
