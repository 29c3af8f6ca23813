"""Which rewards ``rlvr score`` runs: ``--reward``, ``--config`` and ``--param`` into a :class:`ScoringPlan`.

``--reward`` takes a registered name or an importable ``package.module:function`` (a plain TRL
reward function), both built by :mod:`rlvr.rewards.build`, like ``--config`` stack files.
Every reward gets its own output column. A preset (or a stack file) is *expanded* into its
component rewards, each weighted by ``preset weight x component weight``; nested stacks are
expanded recursively (any additive :class:`~rlvr.rewards.composite.Composite`). Gated and
accuracy-shaped rewards stay one column (their children are part of the reward).

The weighted total follows :class:`~rlvr.rewards.stack.RewardStack` (and TRL's weighted
``nansum``): the sum of ``weight * value`` over rewards that judged the sample; weight-0
rewards are reported but never counted; ``None`` when no weighted reward could judge it.
A reward's ``none_as`` is a trainer-facing setting and is not applied here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Component", "PlanError", "ScoringPlan", "build_plan", "parse_param"]


class PlanError(ValueError):
    """The reward configuration cannot be built (usage error: exit code 2)."""


@dataclass(frozen=True)
class Component:
    """One output column: a ready reward and its weight in the total."""

    name: str
    weight: float
    reward: Any
    required: tuple[str, ...]


@dataclass(frozen=True)
class ScoringPlan:
    """Everything a worker needs to score chunks (picklable)."""

    components: tuple[Component, ...]
    #: what *passes* for group pass@k: a reward name, several names (each must reach its
    #: threshold), ``"total"``, or ``None`` (no correctness reward: pass@k is not computed)
    pass_metric: str | tuple[str, ...] | None = "total"
    #: the value the pass metric must reach (one per name when ``pass_metric`` is a tuple)
    pass_threshold: float | tuple[float, ...] = 1.0
    id_column: str = "id"
    keep_columns: tuple[str, ...] = ()
    details: bool = False
    #: the input field holding the completion(s) (``--completion-column``); None: completion/completions/generations
    completion_column: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.components]

    @property
    def weights(self) -> dict[str, float]:
        return {c.name: c.weight for c in self.components}


def parse_param(text: str) -> tuple[str, str, Any]:
    """``NAME.KEY=VALUE`` -> ``(NAME, KEY, value)``; VALUE is read as JSON when it parses
    (``3``, ``true``, ``[1,2]``, ``"x"``), else as a plain string."""
    target, sep, raw = text.partition("=")
    name, dot, key = target.partition(".")
    if not sep or not dot or not name.strip() or not key.strip():
        raise PlanError(f"bad --param {text!r}: expected REWARD.KEY=VALUE, e.g. math_accuracy.solution_column=answer")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    except RecursionError:
        raise PlanError(f"bad --param {target}: its JSON value is nested too deeply") from None
    return name.strip(), key.strip(), value


def _expand(obj: Any, weight: float, out: list[Component]) -> None:
    from rlvr.rewards.composite import Composite

    if isinstance(obj, Composite) and obj.additive:  # a stack (preset, stack file): one column per child
        for child, child_weight in zip(obj.children(), obj.child_weights()):
            _expand(child, weight * child_weight, out)
        return
    out.append(Component(obj.__name__, float(weight), obj, tuple(obj.required_columns())))


def _correct_at(reward: Any) -> float | None:
    method = getattr(reward, "correct_at", None)  # rlvr rewards; Gated passes its inner reward's on
    at = method() if callable(method) else None
    return None if at is None else float(at)


def _pass_rule(components: Sequence[Component], metric: str | None,
               threshold: float | None) -> tuple[str | tuple[str, ...] | None, float | tuple[float, ...]]:
    """``(pass_metric, pass_threshold)`` for the plan.

    Default (no ``--pass-reward``): the stack's correctness rewards, those whose
    ``correct_at()`` is not ``None`` (math_accuracy, numeric_answer, countdown, code_tests,
    ifeval, the Unsloth answer checks, a Gated around one of them), each at its own correct
    value; with several, a completion passes when every one of them says correct; with none,
    there is no pass metric (never ``total >= 1``: a stack of format rewards would "pass"
    wrong answers). ``threshold`` (``--pass-threshold``) replaces the correct values."""
    if metric is None:
        correct = [(c.name, at) for c in components if (at := _correct_at(c.reward)) is not None]
        if not correct:
            return None, 1.0 if threshold is None else float(threshold)
        values = tuple(float(at if threshold is None else threshold) for _, at in correct)
        if len(correct) == 1:
            return correct[0][0], values[0]
        return tuple(name for name, _ in correct), values
    names = [c.name for c in components]
    if metric != "total" and metric not in names:
        raise PlanError(f"--pass-reward {metric!r} is not one of the rewards {names} (or 'total')")
    if threshold is None:
        at = _correct_at(components[names.index(metric)].reward) if metric != "total" else None
        threshold = 1.0 if at is None else at
    return metric, float(threshold)


def build_plan(
    reward_specs: Sequence[str] = (),
    *,
    config: str | None = None,
    params: Sequence[str] = (),
    plugins: Sequence[str] = (),
    pass_metric: str | None = None,
    pass_threshold: float | None = None,
    id_column: str = "id",
    keep_columns: Sequence[str] = (),
    details: bool = False,
    completion_column: str | None = None,
) -> ScoringPlan:
    """Build the plan; every problem the user can fix raises :class:`PlanError` with the fix."""
    import importlib

    from rlvr.rewards.base import RewardConfigError
    from rlvr.rewards.build import build_stack, parse_reward_spec
    from rlvr.rewards.registry import UnknownRewardError

    for module in plugins:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - reported as a usage error
            raise PlanError(f"--plugin {module}: cannot import it ({type(exc).__name__}: {exc})") from None
    if not reward_specs and not config:
        raise PlanError("nothing to score with: give at least one --reward NAME (see `rlvr list`) or --config STACK_FILE")

    by_name: dict[str, dict[str, Any]] = {}
    for text in params:
        name, key, value = parse_param(text)
        by_name.setdefault(name, {})[key] = value

    components: list[Component] = []
    try:
        if config:
            try:
                stack = build_stack(Path(config))
            except (OSError, ValueError) as exc:
                raise PlanError(f"--config {config}: {exc}") from None
            except RecursionError:
                raise PlanError(f"--config {config}: nested too deeply to read") from None
            except Exception as exc:  # PyYAML's errors are not ValueErrors
                if isinstance(exc, (UnknownRewardError, ImportError)) or not type(exc).__module__.startswith("yaml"):
                    raise
                raise PlanError(f"--config {config}: invalid YAML: {exc}") from None
            _expand(stack, 1.0, components)
        for spec in reward_specs:  # a name, "name=weight", "package.module:function[=weight]"
            entry = parse_reward_spec(spec)
            entry["params"] = by_name.pop(entry["name"], None)
            _expand(build_stack([entry]), 1.0, components)
    except (UnknownRewardError, RewardConfigError) as exc:
        raise PlanError(str(exc)) from None
    except ImportError as exc:
        raise PlanError(f"a reward module could not be imported: {exc}") from None
    if by_name:
        raise PlanError(
            f"--param given for {sorted(by_name)}, which is not a --reward name; "
            "parameters of stack-file rewards go in the stack file"
        )
    names = [c.name for c in components]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PlanError(
            f"several rewards are named {dupes} (a preset and a reward overlap?); each column needs a distinct "
            "name: use a stack file with 'alias' for the second one"
        )
    rule, threshold = _pass_rule(components, pass_metric, pass_threshold)
    return ScoringPlan(tuple(components), rule, threshold, id_column, tuple(keep_columns), details,
                       completion_column or None)


def plan_summary(plan: ScoringPlan) -> Mapping[str, Any]:
    """The plan as plain data (for the summary JSON)."""
    return {
        "rewards": [{"name": c.name, "weight": c.weight, "required_columns": list(c.required)} for c in plan.components],
        "pass_metric": list(plan.pass_metric) if isinstance(plan.pass_metric, tuple) else plan.pass_metric,
        "pass_threshold": list(plan.pass_threshold) if isinstance(plan.pass_threshold, tuple) else plan.pass_threshold,
    }
