"""The composite protocol: rewards built from other rewards.

:class:`~rlvr.rewards.stack.RewardStack` (a weighted sum), :class:`~rlvr.rewards.stack.Gated`
(a reward that counts only when a gate passes) and the accuracy-shaped length rewards
(``cosine_length``, ``kimi_length``: an inner correctness reward decides the sign) all share
:class:`Composite`:

* :meth:`Composite.children` lists the inner rewards (rewards, stacks, other composites);
* :meth:`Composite.required_columns` is derived from them (the union, in order);
* pickling needs nothing special: a composite pickles exactly when its children do (a
  :class:`~rlvr.rewards.function.FunctionReward` around a lambda does not, and says so);
* ``additive`` says how the scoring plan treats it: ``True`` (a stack) means the value is a
  weighted sum of the children, so ``rlvr score`` gives each child its own column; ``False``
  means the children only feed this reward's own value, which stays one column.

A composite that is a :class:`~rlvr.rewards.base.Reward` overrides ``judge_batch`` and calls
its children through :meth:`Composite.score_children` (their public ``score_batch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rlvr.score import Score

__all__ = ["Composite", "batch_columns"]


class Composite:
    """Mixin of rewards whose value is computed from inner rewards (see the module docstring)."""

    #: True when the value is the weighted sum of the children (each may be reported on its own).
    additive: ClassVar[bool] = False

    def children(self) -> tuple[Any, ...]:
        """The inner rewards, in the order they are scored."""
        raise NotImplementedError(f"{type(self).__name__} must list its children()")

    def child_weights(self) -> tuple[float, ...]:
        """The weight of each child in the total (meaningful when ``additive``)."""
        return (1.0,) * len(self.children())

    def required_columns(self) -> tuple[str, ...]:
        """The union of the children's required columns, first occurrence first."""
        cols: dict[str, None] = {}
        for child in self.children():
            cols.update(dict.fromkeys(child.required_columns()))
        return tuple(cols)

    def score_children(self, samples: Sequence[Any]) -> list[list[Score]]:
        """Each child's :class:`Score` list for ``samples`` (rlvr ``Sample`` objects), in child order.

        The children see the samples' original completions, prompts, token ids and columns, so
        each normalises and judges them its own way."""
        batch = batch_columns(samples)
        return [child.score_batch(**batch) for child in self.children()]


def batch_columns(samples: Sequence[Any]) -> dict[str, Any]:
    """The ``score_batch`` keywords that reproduce ``samples``: ``completions`` (as the caller
    passed them), ``prompts`` / ``completion_ids`` (``None`` when no sample has one) and every
    column as a list aligned with the samples."""
    names: dict[str, None] = {}
    for s in samples:
        names.update(dict.fromkeys(s.fields))
    prompts = [s.prompt for s in samples]
    ids = [s.completion_ids for s in samples]
    return {
        "completions": [s.completion for s in samples],
        "prompts": prompts if any(p is not None for p in prompts) else None,
        "completion_ids": ids if any(i is not None for i in ids) else None,
        **{k: [s.fields.get(k) for s in samples] for k in names},
    }
