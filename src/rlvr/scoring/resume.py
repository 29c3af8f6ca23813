"""Where an interrupted ``rlvr score`` output stopped (``--resume``), after checking it.

The output is written in input order, a whole chunk per write. After a crash, a kill or a
full disk the file holds a prefix of the full output, possibly ending with:

* a *torn* last line (no trailing newline): cut away;
* an incomplete group (fewer rows for the last input line than its ``group_size``): cut away.

What remains is the output of every input line up to ``last_line``; the run continues with
the next input line, so nothing is rescored and no row is lost or duplicated.

Before anything is appended the file is **verified**; any other shape means it is not (or no
longer) the prefix of one ``rlvr score`` run, e.g. two runs wrote into it, or it was edited,
and resuming refuses with :class:`ResumeError` naming the first bad line:

* every line is a JSON object with an integer ``line`` >= 1 and a ``rewards`` object;
* input line numbers strictly increase from one input line to the next (no line twice);
* the rows of one input line are: one error row (``index`` null, an ``error``), or one row
  with ``index`` 0 and ``group_size`` null, or a group: ``index`` 0, 1, ... with the same
  ``group_size``; only the last group of the file may be incomplete;
* the ``id`` of the last kept row matches the input (checked by the reader: :attr:`ResumePoint.last_id`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvr.scoring.jsonl import loads

__all__ = ["ResumeError", "ResumePoint", "find_resume_point", "input_too_short", "resume_point_of"]


class ResumeError(ValueError):
    """The existing output cannot be resumed (usage error: exit code 2)."""


def input_too_short(lines: int, resumed_through: int) -> ResumeError:
    """The error for an input of ``lines`` lines resuming an output that holds rows up to input
    line ``resumed_through`` (every reader raises the same one)."""
    return ResumeError(f"the input has {lines} lines, but the output already holds rows up to input line "
                       f"{resumed_through}: resume with the input the output was scored from (and the same --limit)")


@dataclass
class ResumePoint:
    keep_bytes: int  #: truncate the output file to this size
    last_line: int  #: input lines up to this number are done (0: start from the beginning)
    records: list[dict[str, Any]] = field(default_factory=list)  #: the rows kept
    reward_names: list[str] | None = None  #: reward columns of the existing rows
    dropped_bytes: int = 0  #: bytes cut away (torn line / incomplete group)
    last_id: Any = None  #: the ``id`` of the last kept row (checked against input line ``last_line``)


def find_resume_point(path: str | Path) -> ResumePoint:
    """Read an existing output file, verify it and work out where to continue."""
    return resume_point_of(Path(path).read_bytes(), str(path))


def _bad(name: str, number: int, why: str) -> ResumeError:
    return ResumeError(f"{name}: output line {number} {why}; cannot resume (score into a new file, "
                       "or pass --overwrite to start again)")


def _check_order(name: str, number: int, rec: dict[str, Any], prev: dict[str, Any] | None) -> None:
    line, index, size = rec["line"], rec.get("index"), rec.get("group_size")
    if line < 1:
        raise _bad(name, number, f"has input line number {line}")
    if prev is not None and line == prev["line"]:
        p_index, p_size = prev.get("index"), prev.get("group_size")
        in_group = isinstance(p_size, int) and size == p_size and isinstance(p_index, int) and isinstance(index, int)
        if in_group and index == p_index + 1 and index < size:
            return
        if in_group and p_index + 1 < index < size:
            raise _bad(name, number, f"leaves the group of input line {line} incomplete (row {index} follows row "
                                     f"{p_index})")
        raise _bad(name, number, f"repeats input line {line} (a row for it is already on output line "
                                 f"{number - 1}; two runs wrote into this file?)")
    if prev is not None:
        if line < prev["line"]:
            raise _bad(name, number, f"is for input line {line}, after a row for input line {prev['line']}: "
                                     "rows are out of input order (two runs wrote into this file?)")
        p_index, p_size = prev.get("index"), prev.get("group_size")
        if isinstance(p_size, int) and p_index != p_size - 1:
            raise _bad(name, number - 1, f"leaves the group of input line {prev['line']} incomplete "
                                         f"(row {p_index} of {p_size}) in the middle of the file")
    if "error" in rec:
        if index is not None:
            raise _bad(name, number, "is an error row with an index")
    elif size is None:
        if index != 0:
            raise _bad(name, number, f"has index {index!r} for a single completion (expected 0)")
    elif not (isinstance(size, int) and size >= 1 and index == 0):
        raise _bad(name, number, f"starts the group of input line {line} with index {index!r} of "
                                 f"group_size {size!r}")


def resume_point_of(data: bytes, name: str = "the output") -> ResumePoint:
    """Verify the bytes of an existing output and work out where to continue (see the module doc)."""
    end = data.rfind(b"\n") + 1
    records: list[dict[str, Any]] = []
    offsets: list[int] = []  # byte offset where each record's line starts
    pos = 0
    prev: dict[str, Any] | None = None
    for number, raw in enumerate(data[:end].split(b"\n")[:-1] if end else [], 1):
        try:
            rec = loads(raw)
        except (ValueError, RecursionError):
            rec = None
        if (not isinstance(rec, dict) or type(rec.get("line")) is not int or not isinstance(rec.get("rewards"), dict)
                or (rec.get("index") is not None and type(rec.get("index")) is not int)):
            raise _bad(name, number, "is not an rlvr score row" if raw.strip() else "is blank")
        _check_order(name, number, rec, prev)
        records.append(rec)
        offsets.append(pos)
        prev = rec
        pos += len(raw) + 1
    keep = end
    if records:
        last = records[-1]
        size = last.get("group_size")
        if size and last.get("index") != size - 1:  # incomplete group: drop it and rescore that line
            tail = last["index"] + 1
            keep = offsets[len(records) - tail]
            del records[len(records) - tail:]
    last_line = records[-1]["line"] if records else 0
    last_id = records[-1].get("id") if records else None
    names = None
    for rec in records:
        if "error" not in rec:
            names = list(rec["rewards"])
            break
    return ResumePoint(keep, last_line, records, names, len(data) - keep, last_id)
