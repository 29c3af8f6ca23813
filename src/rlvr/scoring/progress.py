"""A one-line progress display on stderr (only when stderr is a terminal; no tqdm needed)."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``\\r``-redrawn status line: percent (when the input size is known), lines, rows/s, problems."""

    def __init__(self, stream: TextIO, total_bytes: int | None, enabled: bool, interval: float = 0.2):
        self.stream = stream
        self.total = total_bytes or None
        self.enabled = enabled
        self.interval = interval
        self.start = time.perf_counter()
        self.last = 0.0
        self.width = 0

    def update(self, done_bytes: int, lines: int, rows: int, problems: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        parts = []
        if self.total:
            frac = min(done_bytes / self.total, 1.0)
            filled = int(frac * 20)
            parts.append(f"{frac:4.0%} [{'#' * filled}{'.' * (20 - filled)}]")
        parts.append(f"{lines:,} lines")
        parts.append(f"{rows / elapsed:,.0f} rows/s")
        if problems:
            parts.append(f"{problems:,} problems")
        text = "rlvr score " + " | ".join(parts)
        pad = max(self.width - len(text), 0)
        self.width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
