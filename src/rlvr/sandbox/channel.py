"""Host side of the harness protocol: one running harness process and its framed channel.

A :class:`HarnessProcess` owns a child process (``docker run -i ...`` for the Docker backend,
``python -I -c <harness>`` for the local backend) whose stdin/stdout carry length-prefixed
JSON frames. Every request has a nonce and a deadline; a late, missing, oversized or
mismatched reply raises :class:`ChannelError` and the caller must retire the process
(recycle the container).
"""

from __future__ import annotations

import itertools
import json
import os
import select
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ChannelError", "ChannelTimeout", "HarnessProcess", "harness_source"]

MAX_REPLY = 256 * 1024 * 1024
_nonces = itertools.count(1)


class ChannelError(RuntimeError):
    """The harness did not answer correctly in time (dead, hung, or speaking garbage)."""


class ChannelTimeout(ChannelError):
    """The harness is alive but did not answer before the deadline (it may be busy with what
    a submission left behind); the caller decides whom to blame."""


_SOURCE: str | None = None


def harness_source() -> str:
    """The text of the trusted harness program (``rlvr/sandbox/harness.py``)."""
    global _SOURCE
    if _SOURCE is None:
        _SOURCE = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
    return _SOURCE


class HarnessProcess:
    """One harness and its channel. Not thread-safe: the pool hands it to one caller at a time."""

    def __init__(self, argv: Sequence[str], *, name: str, env: dict[str, str] | None = None,
                 preexec_fn: Callable[[], None] | None = None, on_destroy: Callable[[HarnessProcess], None] | None = None):
        self.name = name
        self.uses = 0
        self.info: dict[str, Any] = {}
        self._on_destroy = on_destroy
        self._stderr = tempfile.TemporaryFile()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, bufsize=0,
            env=env, preexec_fn=preexec_fn, close_fds=True, start_new_session=True)
        self._in = self.proc.stdin.fileno()  # type: ignore[union-attr]
        self._out = self.proc.stdout.fileno()  # type: ignore[union-attr]
        os.set_blocking(self._in, False)
        self._destroyed = False

    # ----------------------------------------------------------------- lifecycle
    def wait_ready(self, timeout: float) -> dict[str, Any]:
        reply = self._read_frame(time.monotonic() + timeout)
        if reply.get("op") != "ready":
            raise ChannelError(f"harness {self.name}: expected a ready frame, got {reply.get('op')!r}")
        self.info = reply
        return reply

    def alive(self) -> bool:
        return not self._destroyed and self.proc.poll() is None

    def stderr_text(self, limit: int = 2000) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-limit:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def destroy(self) -> None:
        """Kill the harness (and, through ``on_destroy``, its container). Idempotent."""
        if self._destroyed:
            return
        self._destroyed = True
        try:
            if self._on_destroy is not None:
                self._on_destroy(self)
        finally:
            try:
                self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for f in (self.proc.stdin, self.proc.stdout, self._stderr):
                try:
                    f.close()  # type: ignore[union-attr]
                except OSError:
                    pass

    # ----------------------------------------------------------------- requests
    def request(self, obj: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and return its reply; raises :class:`ChannelError` on any failure."""
        if not self.alive():
            raise ChannelError(f"harness {self.name} is not running ({self.stderr_text() or 'exited'})")
        nonce = next(_nonces)
        obj = dict(obj, nonce=nonce)
        deadline = time.monotonic() + timeout
        body = json.dumps(obj, separators=(",", ":")).encode()
        self._write(struct.pack(">I", len(body)) + body, deadline)
        reply = self._read_frame(deadline)
        if reply.get("nonce") != nonce:
            raise ChannelError(f"harness {self.name}: reply nonce mismatch")
        if reply.get("op") == "error":
            raise ChannelError(f"harness {self.name}: {reply.get('error')}")
        return reply

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout(f"harness {self.name}: write deadline passed")
            _, writable, _ = select.select([], [self._in], [], left)
            if not writable:
                continue
            try:
                view = view[os.write(self._in, view):]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise ChannelError(f"harness {self.name}: write failed ({exc}); {self.stderr_text()}") from None

    def _read_exact(self, n: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout(f"harness {self.name}: no reply before the deadline")
            readable, _, _ = select.select([self._out], [], [], left)
            if not readable:
                continue
            try:
                data = os.read(self._out, min(n, 1 << 20))
            except OSError as exc:
                raise ChannelError(f"harness {self.name}: read failed ({exc})") from None
            if not data:
                time.sleep(0.01)  # let the process exit so stderr is complete
                raise ChannelError(f"harness {self.name} closed its channel: {self.stderr_text() or 'no message'}")
            chunks.append(data)
            n -= len(data)
        return b"".join(chunks)

    def _read_frame(self, deadline: float) -> dict[str, Any]:
        (size,) = struct.unpack(">I", self._read_exact(4, deadline))
        if size > MAX_REPLY:
            raise ChannelError(f"harness {self.name}: oversized reply ({size} bytes)")
        try:
            reply = json.loads(self._read_exact(size, deadline))
        except ValueError:
            raise ChannelError(f"harness {self.name}: malformed reply") from None
        if not isinstance(reply, dict):
            raise ChannelError(f"harness {self.name}: malformed reply")
        return reply
