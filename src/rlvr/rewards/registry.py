"""The reward registry: names -> reward classes and presets.

* ``@register("name")`` on a :class:`~rlvr.rewards.base.Reward` subclass, or on a plain TRL
  reward function, adds it; a second, different definition under the same name raises
  :class:`DuplicateRewardError`.
* ``@register_preset("name")`` on a function returning a :class:`~rlvr.rewards.stack.RewardStack`
  adds a preset (a reward stack reproducing a known recipe). Rewards and presets share one
  namespace.
* Built-in rewards are imported on the first lookup (so ``import rlvr`` stays light), and so
  are third-party plugins declared in the ``rlvr.rewards`` entry-point group::

      [project.entry-points."rlvr.rewards"]
      my_rewards = "my_package.rewards"      # a module whose import registers rewards

* ``get_reward(name, **params)`` validates ``params`` against the reward's pydantic model and
  returns a ready reward (or, for a preset, a ready stack).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from rlvr.rewards.base import Reward, RewardConfigError

if TYPE_CHECKING:
    from rlvr.rewards.stack import RewardStack

__all__ = [
    "DuplicateRewardError",
    "ENTRY_POINT_GROUP",
    "RewardInfo",
    "UnknownRewardError",
    "get_reward",
    "list_rewards",
    "register",
    "register_preset",
]

log = logging.getLogger("rlvr")

ENTRY_POINT_GROUP = "rlvr.rewards"

#: Modules whose import registers rlvr's own rewards and presets.
BUILTIN_MODULES: tuple[str, ...] = (
    "rlvr.rewards.format",
    "rlvr.rewards.math",
    "rlvr.rewards.countdown",
    "rlvr.rewards.length",
    "rlvr.rewards.repetition",
    "rlvr.rewards.language",
    "rlvr.rewards.code",
    "rlvr.rewards.ifeval",
)

class DuplicateRewardError(ValueError):
    """Two different rewards were registered under one name."""


class UnknownRewardError(KeyError):
    """No reward or preset has this name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class _Preset:
    factory: Callable[..., RewardStack]
    description: str
    module: str


@dataclass(frozen=True)
class RewardInfo:
    """What ``list_rewards()`` and ``rlvr list`` show about one registered name."""

    name: str
    kind: str  # "reward" or "preset"
    description: str
    params: dict[str, dict[str, Any]]  # name -> {"type", "default", "description"}
    module: str


_rewards: dict[str, Any] = {}  # name -> Reward subclass, or a FunctionReward (a registered function)
_presets: dict[str, _Preset] = {}
_lock = threading.RLock()
_loaded = False


def _first_line(text: str | None) -> str:
    """The docstring's first paragraph, joined into one line (a summary for ``rlvr list``)."""
    paragraph: list[str] = []
    for line in (text or "").strip().splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(paragraph)


def _same_definition(a: Any, b: Any) -> bool:
    # a module re-imported (importlib.reload, pytest rootdir quirks) re-registers "the same" object
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def register(name: str, *, description: str | None = None) -> Callable[[Any], Any]:
    """Decorator: register a Reward subclass, or a plain TRL reward function, under ``name``.

    On a class it returns the class. On a function (or a
    :class:`~rlvr.rewards.function.FunctionReward` from ``@reward_function(columns=...)``) it
    returns a :class:`~rlvr.rewards.function.FunctionReward` named ``name``, usable directly in
    stacks and by ``get_reward(name)`` / ``rlvr score -r name``.
    """

    def decorate(obj: Any) -> Any:
        if isinstance(obj, type) and issubclass(obj, Reward):
            definition: Any = obj
        elif callable(obj) and not isinstance(obj, type):
            from rlvr.rewards.function import FunctionReward

            if isinstance(obj, FunctionReward):
                obj = FunctionReward(obj.func, name=name, columns=obj.columns, none_as=obj.params.none_as)
            else:
                obj = FunctionReward(obj, name=name)
            definition = obj.func
        else:
            raise TypeError(f"@register({name!r}) expects a Reward subclass or a reward function, got {obj!r}")
        with _lock:
            existing = _rewards.get(name)
            if (existing is not None and not _same_definition(_definition(existing), definition)) or (
                name in _presets and not _same_definition(_presets[name].factory, definition)
            ):
                raise DuplicateRewardError(f"a reward or preset named {name!r} is already registered")
            if isinstance(obj, type):
                obj.name = name
                obj.description = description or _first_line(obj.__doc__)
            else:
                obj.description = description or _first_line(obj.func.__doc__)  # type: ignore[misc]
            _rewards[name] = obj
        return obj

    return decorate


def _definition(entry: Any) -> Any:
    """What a registry entry was defined from (a class, or a function reward's function)."""
    return entry if isinstance(entry, type) else entry.func


def register_preset(name: str, *, description: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Function decorator: register a factory returning a RewardStack under ``name``."""

    def decorate(factory: Callable[..., Any]) -> Callable[..., Any]:
        with _lock:
            existing = _presets.get(name)
            if (existing is not None and not _same_definition(existing.factory, factory)) or name in _rewards:
                raise DuplicateRewardError(f"a reward or preset named {name!r} is already registered")
            _presets[name] = _Preset(factory, description or _first_line(factory.__doc__), factory.__module__)
        return factory

    return decorate


def load_plugins() -> None:
    """Import built-in reward modules and entry-point plugins (once; thread-safe)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin must not take the built-ins down
                log.warning("rlvr: could not load reward plugin %s (%s): %s", ep.name, ep.value, exc)
        _loaded = True


def _unknown(name: str) -> UnknownRewardError:
    known = sorted(set(_rewards) | set(_presets))
    import difflib

    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return UnknownRewardError(f"unknown reward {name!r}.{hint} Known rewards and presets: {', '.join(known)}")


def get_reward(name: str, /, *, alias: str | None = None, **params: Any) -> Reward | RewardStack:
    """A ready reward (or preset stack) by registered name.

    Args:
        name: a name from :func:`list_rewards`.
        alias: the ``__name__`` TRL logs this reward under (default: ``name``); use it when
            one stack holds the same reward twice with different parameters.
        **params: the reward's parameters, validated (unknown or ill-typed ones raise
            :class:`~rlvr.rewards.base.RewardConfigError` naming the known parameters).
    """
    load_plugins()
    entry = _rewards.get(name)
    if isinstance(entry, type):
        return entry(alias=alias, **params)
    if entry is not None:  # a registered function reward: a fresh copy (only none_as is configurable)
        try:
            checked = entry.validate_params(params)
        except RewardConfigError as exc:  # the message names the class ("function"): name the reward
            raise RewardConfigError(f"reward {name!r}: {str(exc).partition(': ')[2]}") from None
        return type(entry)(entry.func, name=alias or name, columns=entry.columns, none_as=checked.none_as)
    if name in _presets:
        try:
            stack = _presets[name].factory(**params)
        except TypeError as exc:
            raise RewardConfigError(f"preset {name!r}: {exc}") from None
        if alias or stack.__name__ == "reward_stack":  # every preset's stack carries a name
            stack.__name__ = alias or name
        return stack
    raise _unknown(name)


def _param_table(cls: type[Reward]) -> dict[str, dict[str, Any]]:
    table = {}
    for pname, finfo in cls.Params.model_fields.items():
        ann = finfo.annotation
        type_name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
        default = None if finfo.is_required() else finfo.get_default(call_default_factory=True)
        table[pname] = {"type": type_name, "default": default, "description": finfo.description or ""}
    return table


def list_rewards() -> list[RewardInfo]:
    """Every registered reward and preset, sorted by name."""
    load_plugins()
    infos = [RewardInfo(n, "reward", c.description, _param_table(type(c) if not isinstance(c, type) else c),
                        _definition(c).__module__) for n, c in _rewards.items()]
    for n, p in _presets.items():
        import inspect

        params = {
            k: {"type": "", "default": None if v.default is inspect.Parameter.empty else v.default, "description": ""}
            for k, v in inspect.signature(p.factory).parameters.items()
            if v.kind in (v.KEYWORD_ONLY, v.POSITIONAL_OR_KEYWORD)
        }
        infos.append(RewardInfo(n, "preset", p.description, params, p.module))
    return sorted(infos, key=lambda i: i.name)
