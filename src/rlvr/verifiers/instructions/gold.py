"""Read a row's constraints from the two public data layouts into :class:`Constraint` objects.

* **google/IFEval** (and allenai/IFBench_test): columns ``instruction_id_list`` (list of ids) and
  ``kwargs`` (a list aligned with it; each item a dict, ``None`` or ``{}``; in the Hugging Face
  copy every dict carries every key with ``None`` where unused, which is ignored).
* **allenai RLVR data** (column ``ground_truth``), in any of the shapes the public sets hold:

  - RLVR-IFeval (Tulu 3): a JSON object ``{"func_name": "verify_keywords", "keyword_list": [...],
    "N": null, ...}`` -> one constraint ``rlvr_ifeval:<func_name>``;
  - IF_multi_constraints / IFBench training sets: the Python repr (or JSON) of a list holding
    ``{"instruction_id": [...], "kwargs": [...]}`` (items may themselves be JSON strings);
  - a bare ``{"instruction_id": ..., "kwargs": ...}`` object, or a dict/list instead of a string.

Anything else raises :class:`GoldError` (the reward reports ``gold_unparseable``).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rlvr.verifiers.instructions.rlvr_ifeval import PREFIX as FUNC_PREFIX

__all__ = ["Constraint", "GoldError", "MAX_GOLD_CHARS", "constraints_from_ground_truth", "constraints_from_ifeval"]

#: Longest ``ground_truth`` string parsed (a reference is a few hundred characters).
MAX_GOLD_CHARS = 1_000_000


class GoldError(ValueError):
    """The row's constraint columns cannot be read."""


@dataclass(frozen=True)
class Constraint:
    """One instruction to check: its id and its keyword arguments (``None`` values dropped)."""

    instruction_id: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def _as_list(value: Any, what: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes, dict)):  # numpy / pandas
        return list(value.tolist())
    raise GoldError(f"{what} must be a list, got {type(value).__name__}")


def _kwargs_item(item: Any, pos: int) -> dict[str, Any]:
    if item is None:
        return {}
    if isinstance(item, str):
        item = _parse_text(item, f"kwargs[{pos}]") if item.strip() else {}
    if not isinstance(item, Mapping):
        raise GoldError(f"kwargs[{pos}] must be a dict or null, got {type(item).__name__}")
    return {str(k): v for k, v in item.items() if v is not None}


def constraints_from_ifeval(instruction_ids: Any, kwargs: Any = None) -> list[Constraint]:
    """Constraints from the google/IFEval columns (see the module docstring)."""
    if isinstance(instruction_ids, str):
        instruction_ids = [instruction_ids]
    ids = _as_list(instruction_ids, "instruction_id_list")
    if not ids:
        raise GoldError("instruction_id_list is empty")
    if kwargs is None:
        items: list[Any] = [None] * len(ids)
    else:
        if isinstance(kwargs, Mapping):
            kwargs = [kwargs]
        elif isinstance(kwargs, str):
            kwargs = _parse_text(kwargs, "kwargs")
            if isinstance(kwargs, Mapping):
                kwargs = [kwargs]
        items = _as_list(kwargs, "kwargs")
        if not items:
            items = [None] * len(ids)
    if len(items) != len(ids):
        raise GoldError(f"{len(ids)} instruction id(s) but {len(items)} kwargs entr(ies)")
    out = []
    for pos, (iid, item) in enumerate(zip(ids, items)):
        if not isinstance(iid, str) or not iid.strip():
            raise GoldError(f"instruction_id_list[{pos}] is not a non-empty string: {iid!r}")
        out.append(Constraint(iid.strip(), _kwargs_item(item, pos)))
    return out


def _parse_text(text: str, what: str) -> Any:
    if len(text) > MAX_GOLD_CHARS:
        raise GoldError(f"{what} is {len(text)} characters long (limit {MAX_GOLD_CHARS})")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise GoldError(f"{what} is neither JSON nor a Python literal: {type(exc).__name__}") from None


def constraints_from_ground_truth(value: Any) -> list[Constraint]:
    """Constraints from an allenai ``ground_truth`` value (see the module docstring)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        if not value.strip():
            raise GoldError("ground_truth is empty")
        value = _parse_text(value, "ground_truth")
    if isinstance(value, Mapping):
        if "func_name" in value:
            name = value["func_name"]
            if not isinstance(name, str) or not name.strip():
                raise GoldError(f"func_name must be a string, got {name!r}")
            args = {str(k): v for k, v in value.items() if k != "func_name" and v is not None}
            return [Constraint(FUNC_PREFIX + name.strip(), args)]
        if "instruction_id" in value or "instruction_id_list" in value:
            ids = value.get("instruction_id", value.get("instruction_id_list"))
            return constraints_from_ifeval(ids, value.get("kwargs"))
        raise GoldError(f"ground_truth object has neither 'func_name' nor 'instruction_id' (keys: {sorted(value)[:8]})")
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = _as_list(value, "ground_truth")
        if not items:
            raise GoldError("ground_truth is an empty list")
        out: list[Constraint] = []
        for item in items:
            out.extend(constraints_from_ground_truth(item))
        return out
    raise GoldError(f"ground_truth of type {type(value).__name__} is not a constraint")
