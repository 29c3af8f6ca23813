"""Composition: :class:`RewardStack` (weighted rewards) and :class:`Gated` (conditional rewards).

A stack is used two ways:

* **Separate TRL reward functions** (per-reward logging)::

      stack = RewardStack([(get_reward("math_accuracy"), 1.0), (get_reward("format"), 0.2)])
      GRPOConfig(..., reward_weights=stack.reward_weights)
      GRPOTrainer(..., reward_funcs=stack.reward_funcs)

* **One combined callable** for trainers without multi-reward support: ``stack`` itself
  follows the same TRL contract as a single reward and returns the weighted total.

Combining (same rule as TRL's weighted ``nansum``): total = sum of ``weight * value`` over the
rewards that could judge the sample; ``None`` when none of the weighted rewards could.
Weight-0 rewards are computed and reported in ``Score.details`` but never counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from rlvr.rewards.base import (
    Reward,
    RewardConfigError,
    RewardParams,
    Sample,
    report_to_trainer,
    to_values,
)
from rlvr.score import Score, Status

__all__ = ["Gated", "RewardStack", "StackEntry", "gate", "load_stack"]


@dataclass(frozen=True)
class StackEntry:
    reward: Any  # Reward | RewardStack | anything with score_batch + __name__
    weight: float


class GatedParams(RewardParams):
    threshold: float = 1.0
    otherwise: float = 0.0


class Gated(Reward):
    """``reward`` counts only when ``gate`` scores at least ``threshold``.

    Values: the inner reward's value when the gate passes; ``otherwise`` (default 0.0, status
    ``skipped``) when the gate's value is below the threshold; ``None`` (status of the gate)
    when the gate itself cannot judge the sample. Typical use: "length counts only when the
    answer is correct", "format counts only when correct".
    """

    name = "gated"
    Params = GatedParams

    def __init__(self, reward: Reward, gate: Reward, *, threshold: float = 1.0, otherwise: float = 0.0,
                 none_as: float | None = None, alias: str | None = None):
        self.reward = reward
        self.gate = gate
        super().__init__(alias=alias or f"{reward.__name__}_if_{gate.__name__}", threshold=threshold,
                         otherwise=otherwise, none_as=none_as)

    def required_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.reward.required_columns() + self.gate.required_columns()))

    def score_batch(self, completions, *, prompts=None, completion_ids=None, **columns) -> list[Score]:
        gates = self.gate.score_batch(completions, prompts=prompts, completion_ids=completion_ids, **columns)
        inner = self.reward.score_batch(completions, prompts=prompts, completion_ids=completion_ids, **columns)
        threshold, otherwise = self.params.threshold, self.params.otherwise
        out = []
        for g, r in zip(gates, inner):
            if g.value is None:
                out.append(Score(None, g.status, f"gate {self.gate.__name__} could not judge: {g.reason}",
                                 {"gate": g.to_dict()}))
            elif g.value >= threshold:
                out.append(Score(r.value, r.status, r.reason, {**r.details, "gate": g.to_dict()}))
            else:
                out.append(Score(otherwise, Status.SKIPPED,
                                 f"gate {self.gate.__name__} = {g.value:g} < {threshold:g}",
                                 {"gate": g.to_dict(), "ungated": r.to_dict()}))
        return out

    def judge(self, sample: Sample) -> Score:  # pragma: no cover - score_batch is overridden
        raise NotImplementedError

    def __reduce__(self):
        p = self.params
        return (_rebuild_gated, (self.reward, self.gate, p.threshold, p.otherwise, p.none_as, self.__name__))


def _rebuild_gated(reward, gate_, threshold, otherwise, none_as, alias):
    return Gated(reward, gate_, threshold=threshold, otherwise=otherwise, none_as=none_as, alias=alias)


def gate(reward: Reward, *, when: Reward, threshold: float = 1.0, otherwise: float = 0.0) -> Gated:
    """``gate(length, when=accuracy)``: ``length`` counts only when ``accuracy >= threshold``."""
    return Gated(reward, when, threshold=threshold, otherwise=otherwise)


class RewardStack:
    """Weighted rewards, usable as TRL ``reward_funcs`` + ``reward_weights`` or as one callable.

    Args:
        rewards: rewards, or ``(reward, weight)`` pairs (weight defaults to 1.0).
        name: the combined callable's ``__name__``.
        none_as: value the combined callable returns instead of ``None``.
    """

    def __init__(self, rewards: Iterable[Any], *, name: str = "reward_stack", none_as: float | None = None):
        entries = []
        for item in rewards:
            reward, weight = (item if isinstance(item, tuple) else (item, 1.0))
            if not hasattr(reward, "score_batch"):
                raise TypeError(f"RewardStack entries must be rlvr rewards, got {reward!r}")
            entries.append(StackEntry(reward, float(weight)))
        if not entries:
            raise ValueError("RewardStack needs at least one reward")
        names = [e.reward.__name__ for e in entries]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"RewardStack has several rewards named {dupes}: give them distinct alias= names "
                             "(TRL logs each reward under its name)")
        self.entries: list[StackEntry] = entries
        self.__name__ = name
        self.none_as = none_as

    # --------------------------------------------------------------- TRL separate-functions use
    @property
    def reward_funcs(self) -> list[Any]:
        """The rewards, for ``GRPOTrainer(reward_funcs=...)``."""
        return [e.reward for e in self.entries]

    @property
    def reward_weights(self) -> list[float]:
        """The weights, for ``GRPOConfig(reward_weights=...)``."""
        return [e.weight for e in self.entries]

    @property
    def names(self) -> list[str]:
        return [e.reward.__name__ for e in self.entries]

    def required_columns(self) -> tuple[str, ...]:
        cols: dict[str, None] = {}
        for e in self.entries:
            cols.update(dict.fromkeys(e.reward.required_columns()))
        return tuple(cols)

    # --------------------------------------------------------------- combined use
    def score_batch(self, completions: Sequence[Any], *, prompts=None, completion_ids=None, **columns: Any) -> list[Score]:
        """One combined :class:`Score` per completion; ``details["rewards"]`` holds each
        reward's value, weight, status and reason."""
        per_reward = [
            e.reward.score_batch(completions, prompts=prompts, completion_ids=completion_ids, **columns)
            for e in self.entries
        ]
        return [self._combine([scores[i] for scores in per_reward]) for i in range(len(per_reward[0]))]

    def _combine(self, scores: list[Score]) -> Score:
        total = 0.0
        judged = False
        first_unjudged: Score | None = None
        breakdown = {}
        for entry, s in zip(self.entries, scores):
            breakdown[entry.reward.__name__] = {"value": s.value, "weight": entry.weight,
                                                "status": s.status.value, "reason": s.reason}
            if entry.weight == 0:
                continue
            if s.value is None:
                first_unjudged = first_unjudged or s
            else:
                total += entry.weight * s.value
                judged = True
        if not judged:
            status = first_unjudged.status if first_unjudged else Status.SKIPPED
            return Score(None, status, "no weighted reward could judge this sample", {"rewards": breakdown})
        return Score(total, Status.OK, "", {"rewards": breakdown})

    def score(self, completion: Any, *, prompt: Any = None, completion_ids=None, **fields: Any) -> Score:
        return self.score_batch([completion], prompts=[prompt], completion_ids=[completion_ids],
                                **{k: [v] for k, v in fields.items()})[0]

    def __call__(self, prompts=None, completions=None, completion_ids=None, **kwargs: Any) -> list[float | None]:
        scores = self.score_batch(completions, prompts=prompts, completion_ids=completion_ids, **kwargs)
        log_metric = kwargs.get("log_metric")
        report_to_trainer(self.__name__, scores, kwargs.get("log_extra"), log_metric)
        if log_metric is not None and scores:
            for name in self.names:  # per-reward means, since TRL only sees the total
                vals = [s.details["rewards"][name]["value"] for s in scores]
                vals = [v for v in vals if v is not None]
                log_metric(f"rlvr/{self.__name__}/{name}", sum(vals) / len(vals) if vals else 0.0)
        return to_values(scores, self.none_as)

    def __repr__(self) -> str:
        inner = ", ".join(f"{e.reward.__name__}×{e.weight:g}" for e in self.entries)
        return f"<RewardStack {self.__name__!r}: {inner}>"

    # --------------------------------------------------------------- configuration files
    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Sequence[Any]) -> "RewardStack":
        """Build a stack from plain data (what a JSON/TOML/YAML stack file holds)::

            {"name": "my_stack",
             "rewards": [
               {"name": "math_accuracy", "weight": 1.0, "params": {"solution_column": "answer"}},
               {"name": "format", "weight": 0.5, "alias": "strict_format"},
               {"name": "thought_length", "weight": 0.2,
                "gate": {"name": "math_accuracy", "threshold": 1.0}}]}

        A bare list is read as the ``rewards`` list; an entry may also be a string
        ``"name"`` or ``"name=weight"``.
        """
        from rlvr.rewards.registry import get_reward

        if isinstance(config, Mapping):
            items = config.get("rewards")
            name = config.get("name", "reward_stack")
            unknown = set(config) - {"rewards", "name", "none_as"}
            if unknown:
                raise RewardConfigError(f"stack config: unknown key(s) {sorted(unknown)}; expected rewards, name, none_as")
            none_as = config.get("none_as")
        else:
            items, name, none_as = config, "reward_stack", None
        if not items:
            raise RewardConfigError("stack config: 'rewards' must list at least one reward")
        entries = []
        for pos, item in enumerate(items):
            if isinstance(item, str):
                item = parse_reward_spec(item)
            if not isinstance(item, Mapping) or "name" not in item:
                raise RewardConfigError(f"stack config: rewards[{pos}] needs a 'name', got {item!r}")
            unknown = set(item) - {"name", "weight", "params", "alias", "gate"}
            if unknown:
                raise RewardConfigError(f"stack config: rewards[{pos}] ({item['name']}): unknown key(s) {sorted(unknown)}")
            reward = get_reward(item["name"], alias=item.get("alias"), **dict(item.get("params") or {}))
            if item.get("gate"):
                g = dict(item["gate"])
                gate_reward = get_reward(g.pop("name"), alias=g.pop("alias", None), **dict(g.pop("params", None) or {}))
                reward = Gated(reward, gate_reward, **g)
            entries.append((reward, float(item.get("weight", 1.0))))
        return cls(entries, name=name, none_as=none_as)


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


def load_stack(path: str | Path) -> RewardStack:
    """Read a stack file (``.json``, ``.toml``, or ``.yaml``/``.yml`` with PyYAML installed)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        data = tomllib.loads(text)
    elif suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    try:
        return RewardStack.from_config(data)
    except RewardConfigError as exc:
        raise RewardConfigError(f"{path}: {exc}") from None
