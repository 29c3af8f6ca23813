"""OpenRLHF: rlvr rewards as its ``reward_func`` file and over its HTTP remote-RM protocol.

**File** (``--remote_rm_url /path/to/file.py``): OpenRLHF (checked against 0.11.2) loads the file
with ``importlib`` and calls ``reward_func(queries, prompts, labels)`` - ``queries`` are prompt +
response decoded with special tokens, one list item per sample (batches of 1 in 0.11) - from a
worker thread, and reads ``rewards`` (advantages), ``scores`` (dynamic filtering; falls back to
``rewards``) and ``extra_logs`` (logged per sample) from the returned dict. This module is such a
file: pass its path (``python -c "import rlvr.adapters.openrlhf as m; print(m.__file__)"``).

The stack it scores with comes from the environment of the OpenRLHF process:

* ``RLVR_OPENRLHF_STACK``: a stack file path (``.json``/``.toml``/``.yaml``) or comma-separated
  reward specs as ``rlvr serve -r`` takes them (``"math_accuracy,format=0.2"``); default
  ``math_accuracy``;
* ``RLVR_OPENRLHF_LABEL_COLUMN``: the column the labels become (default ``solution``, what
  ``math_accuracy`` reads);
* ``RLVR_OPENRLHF_NONE_AS``: the value for a sample no reward could judge (default ``0.0``;
  OpenRLHF puts rewards in tensors, which cannot hold ``None``; ``extra_logs["rlvr_unjudged"]``
  marks those samples).

Or write your own file: ``reward_func = make_reward_func("math_accuracy,format=0.2")``.

**HTTP** (``--remote_rm_url http://host:port/get_reward``): run ``rlvr serve`` (``docs/serve.md``);
its ``/get_reward`` speaks the same body and answer.

Return shape (both ways): ``{"rewards": [float] * n, "scores": [float] * n, "extra_logs":
{reward_name: [float] * n, "rlvr_unjudged": [0.0 | 1.0] * n}}`` - plain lists, as OpenRLHF's own
``serve_rm`` answers. Bad model output never raises: it scores (a value and a status).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["make_reward_func", "reward_func", "score_openrlhf"]

STACK_ENV = "RLVR_OPENRLHF_STACK"
LABEL_ENV = "RLVR_OPENRLHF_LABEL_COLUMN"
NONE_AS_ENV = "RLVR_OPENRLHF_NONE_AS"


def _stack_spec(spec: str) -> Any:
    from rlvr.rewards.build import STACK_FILE_SUFFIXES

    spec = spec.strip()
    if os.path.splitext(spec)[1].lower() in STACK_FILE_SUFFIXES:
        return spec
    return [part.strip() for part in spec.split(",") if part.strip()]


def score_openrlhf(stack: Any, queries: Sequence[str], prompts: Sequence[Any] | None, labels: Sequence[Any] | None,
                   *, label_column: str = "solution", none_as: float = 0.0, **columns: Any) -> dict[str, Any]:
    """Score an OpenRLHF batch with ``stack`` (a :class:`~rlvr.rewards.stack.RewardStack`) and answer
    in OpenRLHF's shape. Responses are split from ``queries`` as ``rlvr serve`` does
    (:func:`rlvr.serve.protocol.split_query`); ``labels`` become ``label_column``; extra aligned
    ``columns`` are passed on."""
    from rlvr.serve.protocol import parse_openrlhf
    from rlvr.serve.settings import DEFAULT_END_TOKENS

    body: dict[str, Any] = {"query": list(queries), **{k: list(v) for k, v in columns.items()}}
    if prompts is not None:
        body["prompts"] = list(prompts)
    if labels is not None:
        body["labels"] = list(labels)
    batch = parse_openrlhf(body, label_column=label_column, end_tokens=DEFAULT_END_TOKENS)
    scores = stack.score_batch(**batch.kwargs())
    def fill(v: float | None) -> float:
        return none_as if v is None else v

    rewards = [fill(s.value) for s in scores]
    logs: dict[str, list[float]] = {name: [fill(s.details["rewards"][name]["value"]) for s in scores]
                                    for name in stack.names}
    logs["rlvr_unjudged"] = [float(s.value is None) for s in scores]
    return {"rewards": rewards, "scores": list(rewards), "extra_logs": logs}


def make_reward_func(spec: Any = None, *, label_column: str | None = None,
                     none_as: float | None = None) -> Callable[..., dict[str, Any]]:
    """An OpenRLHF ``reward_func(queries, prompts, labels, **kwargs)`` scoring with the stack
    ``spec`` (anything :func:`rlvr.rewards.build.build_stack` reads, or a comma-separated string of
    specs). ``None`` arguments are read from the environment (see the module docstring) at the
    first call; the stack is built once per process."""
    state: dict[str, Any] = {}

    def reward_func(queries, prompts, labels, **kwargs: Any) -> dict[str, Any]:
        if "stack" not in state:
            from rlvr.rewards.build import build_stack

            chosen = spec if spec is not None else os.environ.get(STACK_ENV, "math_accuracy")
            state["stack"] = build_stack(_stack_spec(chosen) if isinstance(chosen, str) else chosen)
            state["label"] = label_column or os.environ.get(LABEL_ENV, "solution")
            state["none_as"] = none_as if none_as is not None else float(os.environ.get(NONE_AS_ENV, "0.0"))
        n = len(queries)
        columns = {k: v for k, v in kwargs.items() if isinstance(v, (list, tuple)) and len(v) == n}
        return score_openrlhf(state["stack"], queries, prompts, labels, label_column=state["label"],
                              none_as=state["none_as"], **columns)

    return reward_func


#: the function OpenRLHF looks up in a ``--remote_rm_url`` file (stack from ``RLVR_OPENRLHF_STACK``)
reward_func = make_reward_func()
