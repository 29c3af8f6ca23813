"""Request bodies of ``/score`` and ``/get_reward``, checked and turned into one scoring batch.

``/score`` body (the TRL keyword contract as JSON)::

    {"completions": [str | [{"role": ..., "content": ...}], ...],   # required, n items
     "prompts": [...], "completion_ids": [[int, ...], ...],         # optional, n items each
     "<column>": [...], ...}                                        # dataset columns, n items each

``/get_reward`` body (OpenRLHF's remote reward model)::

    {"query": [prompt + response, ...], "prompts": [...], "labels": [...]}

Everything here raises :class:`RequestError` (an HTTP 400) naming the key at fault: a body that
is not a JSON object, a missing ``completions``/``query``, a column that is not a list or whose
length differs from n. What a completion *contains* is never checked here: bad model output is
the rewards' business (a value and a status), not a 400.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Batch", "RequestError", "parse_json", "parse_openrlhf", "parse_score", "split_query"]

#: keys TRL passes to reward functions that are not dataset columns (a client may forward them)
TRAINER_KEYS = frozenset({"trainer_state", "log_extra", "log_metric"})


class RequestError(ValueError):
    """A request the server cannot score (HTTP 400); the message names the problem."""


@dataclass
class Batch:
    """One request's rows, in the reward contract's keyword form."""

    completions: list[Any]
    prompts: list[Any] | None = None
    completion_ids: list[Any] | None = None
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.completions)

    def slice(self, start: int, stop: int) -> Batch:
        def cut(v: list[Any] | None) -> list[Any] | None:
            return None if v is None else v[start:stop]

        return Batch(self.completions[start:stop], cut(self.prompts), cut(self.completion_ids),
                     {k: v[start:stop] for k, v in self.columns.items()})

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``reward.score_batch`` / ``reward(...)``."""
        return {"completions": self.completions, "prompts": self.prompts, "completion_ids": self.completion_ids,
                **self.columns}


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or :class:`RequestError`."""
    if not body:
        raise RequestError("empty request body: send a JSON object")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestError(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise RequestError("request body nests JSON arrays/objects too deeply") from None
    if not isinstance(data, dict):
        raise RequestError(f"request body must be a JSON object, got a JSON {type(data).__name__}")
    return data


def _aligned(name: str, value: Any, n: int, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise RequestError(f"{name!r} must be a list with one item per {what}, got a {type(value).__name__}")
    if len(value) != n:
        raise RequestError(f"{name!r} has {len(value)} items for {n} {what}s: every column must align with "
                           f"{'completions' if what == 'completion' else 'query'}")
    return value


def parse_score(data: dict[str, Any]) -> Batch:
    """A ``/score`` body as a :class:`Batch`."""
    if "completions" not in data:
        raise RequestError("missing 'completions': a list of completions (strings or chat message lists)")
    completions = data["completions"]
    if not isinstance(completions, list):
        raise RequestError(f"'completions' must be a list, got a {type(completions).__name__}")
    n = len(completions)
    prompts = data.get("prompts")
    ids = data.get("completion_ids")
    batch = Batch(list(completions),
                  None if prompts is None else _aligned("prompts", prompts, n, "completion"),
                  None if ids is None else _aligned("completion_ids", ids, n, "completion"))
    for key, value in data.items():
        if key in ("completions", "prompts", "completion_ids") or key in TRAINER_KEYS:
            continue
        batch.columns[key] = _aligned(key, value, n, "completion")
    return batch


def split_query(query: str, prompt: Any, end_tokens: Sequence[str] = ()) -> str:
    """The response part of OpenRLHF's ``query`` (prompt + response, decoded with special tokens).

    The prompt is cut off when the query starts with it, else at its first occurrence (a
    tokenizer round trip may add a BOS); with no usable prompt the whole query is the response.
    Trailing ``end_tokens`` (EOS text) are stripped, repeatedly."""
    response = query
    if isinstance(prompt, str) and prompt:
        if query.startswith(prompt):
            response = query[len(prompt):]
        else:
            at = query.find(prompt)
            if at >= 0:
                response = query[at + len(prompt):]
    stripped = True
    while stripped:
        stripped = False
        tail = response.rstrip()
        for tok in end_tokens:
            if tok and tail.endswith(tok):
                response = tail[: -len(tok)]
                stripped = True
                break
    return response


def parse_openrlhf(data: dict[str, Any], *, label_column: str = "solution", end_tokens: Sequence[str] = ()) -> Batch:
    """A ``/get_reward`` body as a :class:`Batch`: responses split from ``query``, ``labels`` as
    the ``label_column`` column, other aligned lists as columns."""
    if "query" not in data:
        raise RequestError("missing 'query': OpenRLHF sends {'query': [prompt + response, ...], 'prompts': [...], "
                           "'labels': [...]}")
    queries = data["query"]
    if isinstance(queries, str):
        queries = [queries]
    if not isinstance(queries, list):
        raise RequestError(f"'query' must be a list of strings, got a {type(queries).__name__}")
    n = len(queries)
    prompts = data.get("prompts")
    prompts = None if prompts is None else _aligned("prompts", prompts, n, "query")
    responses = []
    for i, q in enumerate(queries):
        if not isinstance(q, str):
            raise RequestError(f"'query'[{i}] must be a string (prompt + response), got a {type(q).__name__}")
        responses.append(split_query(q, prompts[i] if prompts else None, end_tokens))
    batch = Batch(responses, prompts)
    for key, value in data.items():
        if key in ("query", "prompts"):
            continue
        column = label_column if key == "labels" else key
        batch.columns[column] = _aligned(key, value, n, "query")
    return batch
