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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.rewards.base import Reward, RewardParams, Sample, report_to_trainer, to_values
from rlvr.rewards.composite import Composite
from rlvr.score import Score, Status

__all__ = ["Gated", "RewardStack", "StackEntry", "gate", "load_stack", "report_member_means"]


@dataclass(frozen=True)
class StackEntry:
    reward: Any  # Reward | RewardStack
    weight: float


class GatedParams(RewardParams):
    threshold: float = 1.0
    otherwise: float = 0.0


class Gated(Composite, Reward):
    """``reward`` counts only when ``gate`` scores at least ``threshold``.

    Values: the inner reward's value when the gate passes; ``otherwise`` (default 0.0, status
    ``skipped``) when the gate's value is below the threshold; ``None`` (status of the gate)
    when the gate itself cannot judge the sample. Typical use: "length counts only when the
    answer is correct", "format counts only when correct". Both are scored on every sample
    (the ungated value is reported in ``details["ungated"]``).
    """

    name = "gated"
    Params = GatedParams

    def __init__(self, reward: Reward, gate: Reward, *, threshold: float = 1.0, otherwise: float = 0.0,
                 none_as: float | None = None, alias: str | None = None):
        from rlvr.rewards.build import build_reward

        self.reward = reward if isinstance(reward, Reward) else build_reward(reward)
        self.gate = gate if isinstance(gate, Reward) else build_reward(gate)
        reward, gate = self.reward, self.gate
        super().__init__(alias=alias or f"{reward.__name__}_if_{gate.__name__}", threshold=threshold,
                         otherwise=otherwise, none_as=none_as)

    def children(self) -> tuple[Any, ...]:
        return (self.reward, self.gate)

    def correct_at(self) -> float | None:
        """The inner reward's :meth:`~rlvr.rewards.base.Reward.correct_at` when it judges
        correctness and ``otherwise`` stays below it (then the gated value reaches it only when
        the gate passes and the answer is correct, e.g. "accuracy counts only when the format
        holds"); ``None`` otherwise (e.g. "length counts only when correct")."""
        at = self.reward.correct_at()
        return at if at is not None and self.params.otherwise < at else None

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        inner, gates = self.score_children(samples)
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


def gate(reward: Reward, *, when: Reward, threshold: float = 1.0, otherwise: float = 0.0) -> Gated:
    """``gate(length, when=accuracy)``: ``length`` counts only when ``accuracy >= threshold``."""
    return Gated(reward, when, threshold=threshold, otherwise=otherwise)



def report_member_means(name: str, members: Iterable[str], scores: Sequence[Score], log_metric: Any) -> None:
    """Log each stack member's mean value as ``rlvr/<name>/<member>`` through TRL's ``log_metric``
    (TRL only sees the weighted total). Members without a value (``None``, or a score without the
    stack's breakdown, e.g. a Ray pool that could not judge) are left out of the mean; 0.0 when
    none has one. Does nothing without ``log_metric`` or scores."""
    if log_metric is None or not scores:
        return
    for member in members:
        vals = [((s.details.get("rewards") or {}).get(member) or {}).get("value") for s in scores]
        vals = [v for v in vals if v is not None]
        log_metric(f"rlvr/{name}/{member}", sum(vals) / len(vals) if vals else 0.0)

class RewardStack(Composite):
    """Weighted rewards, usable as TRL ``reward_funcs`` + ``reward_weights`` or as one callable.

    Args:
        rewards: rlvr rewards, stacks or plain named TRL reward functions (wrapped in a
            :class:`~rlvr.rewards.function.FunctionReward`), or ``(reward, weight)`` pairs
            (weight defaults to 1.0). To build from names, dicts or files use
            :func:`rlvr.rewards.build.build_stack`.
        name: the combined callable's ``__name__``.
        none_as: value the combined callable returns instead of ``None``.

    Raises:
        TypeError: an entry is neither an rlvr reward nor a named function (e.g. a lambda).
    """

    additive = True

    def __init__(self, rewards: Iterable[Any], *, name: str = "reward_stack", none_as: float | None = None):
        from rlvr.rewards.build import build_reward

        entries = []
        for item in rewards:
            reward, weight = (item if isinstance(item, tuple) else (item, 1.0))
            if not isinstance(reward, (Reward, RewardStack)):
                reward = build_reward(reward)  # a plain function (or a registered name) -> a reward
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

    def children(self) -> tuple[Any, ...]:
        return tuple(e.reward for e in self.entries)

    def child_weights(self) -> tuple[float, ...]:
        return tuple(e.weight for e in self.entries)

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
        report_member_means(self.__name__, self.names, scores, log_metric)
        return to_values(scores, self.none_as)

    def __repr__(self) -> str:
        inner = ", ".join(f"{e.reward.__name__}×{e.weight:g}" for e in self.entries)
        return f"<RewardStack {self.__name__!r}: {inner}>"

    # --------------------------------------------------------------- configuration files
    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Sequence[Any]) -> RewardStack:
        """Build a stack from plain data (what a JSON/TOML/YAML stack file holds)::

            {"name": "my_stack",
             "rewards": [
               {"name": "math_accuracy", "weight": 1.0, "params": {"solution_column": "answer"}},
               {"name": "format", "weight": 0.5, "alias": "strict_format"},
               {"name": "thought_length", "weight": 0.2,
                "gate": {"name": "math_accuracy", "threshold": 1.0}}]}

        A bare list is read as the ``rewards`` list; an entry may also be a string
        ``"name"``, ``"name=weight"`` or ``"package.module:function"``. Same as
        :func:`rlvr.rewards.build.build_stack`, which accepts more shapes.
        """
        from rlvr.rewards.build import build_stack

        return build_stack({"rewards": None, **config} if isinstance(config, Mapping) else {"rewards": list(config)})


def load_stack(path: str | Path) -> RewardStack:
    """Read a stack file (``.json``, ``.toml``, or ``.yaml``/``.yml`` with PyYAML installed);
    see :func:`rlvr.rewards.build.build_stack` for what it may hold."""
    from rlvr.rewards.build import build_stack

    return build_stack(Path(path))
