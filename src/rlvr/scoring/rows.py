"""Reading one JSONL input line into an :class:`InputRow` (or a :class:`LineError`).

Accepted row shapes (any other keys are *columns*, handed to the rewards)::

    {"completion": "<think>..</think> 42", "prompt": "...", "solution": "42", "id": "q1"}
    {"completion": [{"role": "assistant", "content": "..."}], ...}        # chat messages
    {"completions": ["...", "...", "..."], "prompt": "...", "solution": "42"}  # a GRPO group
    {"generations": ["...", "..."], "problem": "...", "answer": "42"}      # OpenR1-Math: a group

Where the completion(s) are, without ``--completion-column``:

* ``completion``: one completion (a string, a message list, or a message dict).
* ``completions``: a non-empty list of completions sampled for one prompt (a GRPO group); the
  row's columns apply to every member. Optional ``completion_ids`` (a list of token-id lists,
  one per member; or one list for a ``completion`` row) is passed on for token-based lengths.
* ``generations`` (only when neither of the above is there; OpenR1-Math's column): read by shape,
  as a named column below.

With ``completion_column=NAME`` (``--completion-column``) that field is read by shape: a string,
a message dict, or a list of message dicts is one completion; any other non-empty list (of
strings, or of message lists) is a group. ``completion``/``completions`` keys are then dropped.

* ``prompt``: optional, a string or a message list.
* The id column (``id`` unless ``--id-column`` says otherwise) is copied to every output row.
* A ``null`` completion field counts as absent (Parquet and datasets write ``null`` for a
  missing value).

A line is *malformed* (one error record, the run goes on) when it is not valid UTF-8 JSON,
is nested more than 128 levels deep (``[[[...``), is not an object, has neither or both of
``completion``/``completions`` (or lacks the ``--completion-column``), has a ``completions``
value that is not a non-empty list, or an empty list as a group. Blank lines are skipped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlvr.scoring.jsonl import MAX_READ_DEPTH, fast_loads, loads, too_deep

__all__ = ["DEFAULT_GROUP_COLUMN", "RESERVED_KEYS", "InputRow", "LineError", "parse_line"]

#: Read (by shape) when a row has neither ``completion`` nor ``completions``: OpenR1-Math's list of generations.
DEFAULT_GROUP_COLUMN = "generations"

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


def _is_group(value: Any) -> bool:
    """A list that is not one chat conversation (a list of message dicts) is a group."""
    return isinstance(value, list) and not all(isinstance(item, dict) for item in value)


def _ids_for(ids: Any, n: int, group: bool) -> list[Any] | None:
    if not group:
        return [ids] if isinstance(ids, list) else None
    if isinstance(ids, list) and len(ids) == n and all(isinstance(i, list) for i in ids):
        return ids
    return None


def _fields(obj: dict[str, Any]) -> str:
    return ", ".join(sorted(map(str, obj))[:12]) or "none"


def parse_line(raw: bytes, line: int, id_column: str = "id",
               completion_column: str | None = None) -> InputRow | LineError | None:
    """Parse one raw line (without caring about the trailing newline). ``None`` for blank lines.

    ``completion_column``: the field holding the completion(s) (read by shape, see the module
    doc); ``None``: ``completion`` / ``completions`` / ``generations``."""
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
    named = _MISSING
    if completion_column is not None:
        named = obj.pop(completion_column, None)
        if named is None:
            return LineError(line, f"row has no {completion_column!r} field (--completion-column); its fields: "
                                   f"{_fields(obj)}", row_id)
    one = obj.pop("completion", None)
    group = obj.pop("completions", None)
    if named is _MISSING:
        if one is not None and group is not None:
            return LineError(line, "row has both 'completion' and 'completions'; keep one", row_id)
        if one is None and group is None:
            named = obj.pop(DEFAULT_GROUP_COLUMN, None)
            if named is None:
                return LineError(line, "row has no 'completion' (one completion), 'completions' (a group) or "
                                       f"'generations' field (or name it with --completion-column); its fields: "
                                       f"{_fields(obj)}", row_id)
    prompt = obj.pop("prompt", None)
    ids = obj.pop("completion_ids", None)
    if "prompts" in obj or "self" in obj:
        obj.pop("prompts", None)
        obj.pop("self", None)
    columns = obj  # what is left: the row's columns (the parsed dict is ours to reuse)
    if named is not _MISSING:
        if isinstance(named, list) and not named:
            name = completion_column or DEFAULT_GROUP_COLUMN
            return LineError(line, f"{name!r} is an empty list", row_id)
        if not _is_group(named):
            return InputRow(line, row_id, [named], False, prompt, _ids_for(ids, 1, False), columns)
        return InputRow(line, row_id, named, True, prompt, _ids_for(ids, len(named), True), columns)
    if group is None:
        return InputRow(line, row_id, [one], False, prompt, _ids_for(ids, 1, False), columns)
    if not isinstance(group, list):
        return LineError(line, f"'completions' must be a list (a group of completions), got {type(group).__name__}", row_id)
    if not group:
        return LineError(line, "'completions' is an empty list", row_id)
    return InputRow(line, row_id, group, True, prompt, _ids_for(ids, len(group), True), columns)
