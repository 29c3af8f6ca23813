"""Where an interrupted ``rlvr score`` output stopped (``--resume``).

The output is written in input order, a whole chunk per write, flushed after each chunk. After
a crash or a kill the file holds a prefix of the full output, possibly ending with:

* a *torn* last line (no trailing newline): cut away;
* an incomplete group (fewer rows for the last input line than its ``group_size``): cut away.

What remains is the output of every input line up to ``last_line``; the run continues with
the next input line, so nothing is rescored and no row is lost or duplicated. A line in the
middle of the file that is not a JSON row means the file is not an ``rlvr score`` output:
resuming refuses rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlvr.scoring.jsonl import loads

__all__ = ["ResumeError", "ResumePoint", "find_resume_point"]


class ResumeError(ValueError):
    """The existing output cannot be resumed (usage error: exit code 2)."""


@dataclass
class ResumePoint:
    keep_bytes: int  #: truncate the output file to this size
    last_line: int  #: input lines up to this number are done (0: start from the beginning)
    records: list[dict[str, Any]] = field(default_factory=list)  #: the rows kept
    reward_names: list[str] | None = None  #: reward columns of the existing rows
    dropped_bytes: int = 0  #: bytes cut away (torn line / incomplete group)


def find_resume_point(path: str | Path) -> ResumePoint:
    """Read an existing output file and work out where to continue."""
    data = Path(path).read_bytes()
    end = data.rfind(b"\n") + 1
    records: list[dict[str, Any]] = []
    offsets: list[int] = []  # byte offset where each record's line starts
    pos = 0
    for number, raw in enumerate(data[:end].split(b"\n")[:-1] if end else [], 1):
        if raw.strip():
            try:
                rec = loads(raw)
            except ValueError:
                rec = None
            if not isinstance(rec, dict) or not isinstance(rec.get("line"), int) or "rewards" not in rec:
                raise ResumeError(f"{path}: output line {number} is not an rlvr score row; cannot resume "
                                  "(score into a new file, or pass --overwrite)")
            records.append(rec)
            offsets.append(pos)
        pos += len(raw) + 1
    keep = end
    if records:
        last = records[-1]
        size = last.get("group_size")
        if size:
            tail = 0
            for rec in reversed(records):
                if rec["line"] != last["line"]:
                    break
                tail += 1
            if tail < size:  # incomplete group: drop it and rescore that line
                keep = offsets[len(records) - tail]
                del records[len(records) - tail:]
                last_line = last["line"] - 1
            else:
                last_line = last["line"]
        else:
            last_line = last["line"]
    else:
        last_line = 0
    names = None
    for rec in records:
        if "error" not in rec:
            names = list(rec["rewards"])
            break
    return ResumePoint(keep, last_line, records, names, len(data) - keep)
