"""Reading one JSONL input line into an :class:`InputRow` (or a :class:`LineError`).

Accepted row shapes (any other keys are *columns*, handed to the rewards)::

    {"completion": "<think>..</think> 42", "prompt": "...", "solution": "42", "id": "q1"}
    {"completion": [{"role": "assistant", "content": "..."}], ...}        # chat messages
    {"completions": ["...", "...", "..."], "prompt": "...", "solution": "42"}  # a GRPO group

* ``completion``: one completion (a string, a message list, or a message dict).
* ``completions``: a non-empty list of completions sampled for one prompt (a GRPO group); the
  row's columns apply to every member. Optional ``completion_ids`` (a list of token-id lists,
  one per member; or one list for a ``completion`` row) is passed on for token-based lengths.
* ``prompt``: optional, a string or a message list.
* The id column (``id`` unless ``--id-column`` says otherwise) is copied to every output row.

A line is *malformed* (one error record, the run goes on) when it is not valid UTF-8 JSON,
is nested more than 128 levels deep (``[[[...``), is not an object, has neither or both of ``completion``/``completions``, or has a
``completions`` value that is not a non-empty list. Blank lines are skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlvr.scoring.jsonl import MAX_READ_DEPTH, fast_loads, loads, too_deep

__all__ = ["RESERVED_KEYS", "InputRow", "LineError", "parse_line"]

#: Keys with a meaning of their own; never passed to rewards as columns (``prompts`` and
#: ``self`` would collide with ``Reward.score_batch``'s own arguments).
RESERVED_KEYS = frozenset({"completion", "completions", "prompt", "prompts", "completion_ids", "self"})


@dataclass(slots=True)
class InputRow:
    """One readable input line."""

    line: int
    row_id: Any
    completions: list[Any]
    is_group: bool
    prompt: Any
    completion_ids: list[Any] | None
    columns: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LineError:
    """A malformed line: where and what is wrong."""

    line: int
    message: str
    row_id: Any = None


_MISSING = object()


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_line(raw: bytes, line: int, id_column: str = "id") -> InputRow | LineError | None:
    """Parse one raw line (without caring about the trailing newline). ``None`` for blank lines."""
    try:
        obj = fast_loads(raw)
    except Exception:  # noqa: BLE001 - orjson/json errors differ; the slow path decides
        if not raw.strip():
            return None
        try:
            obj = loads(raw.rstrip(b"\r\n"))
        except (ValueError, UnicodeDecodeError) as exc:
            return LineError(line, f"invalid JSON: {_short(str(exc))}")
    if too_deep(raw, obj):
        return LineError(line, f"invalid JSON: nested too deeply (more than {MAX_READ_DEPTH} levels)")
    if not isinstance(obj, dict):
        return LineError(line, f"expected a JSON object, got a JSON {type(obj).__name__}")
    row_id = obj.get(id_column)
    one = obj.pop("completion", _MISSING)
    group = obj.pop("completions", _MISSING)
    if one is not _MISSING and group is not _MISSING:
        return LineError(line, "row has both 'completion' and 'completions'; keep one", row_id)
    if one is _MISSING and group is _MISSING:
        keys = ", ".join(sorted(obj)[:12]) or "none"
        return LineError(
            line, f"row has no 'completion' (one completion) or 'completions' (a group) field; its fields: {keys}", row_id
        )
    prompt = obj.pop("prompt", None)
    ids = obj.pop("completion_ids", None)
    if "prompts" in obj or "self" in obj:
        obj.pop("prompts", None)
        obj.pop("self", None)
    columns = obj  # what is left: the row's columns (the parsed dict is ours to reuse)
    if group is _MISSING:
        return InputRow(line, row_id, [one], False, prompt, [ids] if isinstance(ids, list) else None, columns)
    if not isinstance(group, list):
        return LineError(line, f"'completions' must be a list (a group of completions), got {type(group).__name__}", row_id)
    if not group:
        return LineError(line, "'completions' is an empty list", row_id)
    if not (isinstance(ids, list) and len(ids) == len(group) and all(isinstance(i, list) for i in ids)):
        ids = None
    return InputRow(line, row_id, group, True, prompt, ids, columns)
