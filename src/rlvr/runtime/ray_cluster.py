"""Reaching a Ray cluster: fail in seconds, with one clear line, where ``ray.init`` would retry for
a minute or more. Used by ``rlvr score --engine ray`` and by :mod:`rlvr.adapters.ray`.

Written by hand (no library offers it): Ray's own client waits out its reconnect schedule before it
reports an address nobody answers at. Ray is imported only for the last step of
:func:`check_reachable` (a GCS call with a deadline).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["DEFAULT_GCS_PORT", "ClusterUnreachable", "check_reachable", "split_address", "stderr_to_file"]

DEFAULT_GCS_PORT = 6379
#: seconds each step of :func:`check_reachable` may take
CONNECT_TIMEOUT_S = 3.0


class ClusterUnreachable(ValueError):
    """No Ray cluster answers at the address (the message says what to do)."""


def split_address(address: str) -> tuple[str, int]:
    """``"[ray://]HOST[:PORT][/...]"`` -> ``(host, port)`` (port 6379 when absent).

    Raises :class:`ClusterUnreachable` for a port that is not a number."""
    text = address.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    host, sep, port = text.rpartition(":")
    if not sep:
        return text, DEFAULT_GCS_PORT
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise ClusterUnreachable(f"address {address!r}: expected HOST:PORT (e.g. 10.0.0.5:6379)") from None


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`ClusterUnreachable` unless a Ray cluster answers at ``address``, within about
    ``3 x timeout`` seconds: a TCP connect, a gRPC (HTTP/2) handshake, and, for a GCS address
    (not ``ray://``, Ray Client's port), Ray's own ``GetClusterId`` call with a deadline.
    ``"auto"`` is not checked (Ray finds the local cluster itself)."""
    if address in ("auto", "local"):
        return
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            speaks_grpc = _answers_http2(sock)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, (TimeoutError, socket.timeout)):
            reason = f"no answer within {timeout:g} s"
        raise ClusterUnreachable(
            f"cannot reach the Ray cluster at {address} ({reason}); start it with `ray start --head` "
            "or pass the address `ray start` printed (HOST:PORT)"
        ) from None
    if not speaks_grpc:
        raise ClusterUnreachable(f"{address} does not answer as a Ray cluster (no gRPC server there); pass the GCS "
                                 "address `ray start --head` printed (HOST:PORT, port 6379 by default)")
    if not address.startswith("ray://"):
        _check_gcs(f"{host}:{port}" if ":" not in host else f"[{host}]:{port}", address, timeout)


def _answers_http2(sock: socket.socket) -> bool:
    """Whether the server answers an HTTP/2 connection preface with a SETTINGS frame (every gRPC server,
    the GCS included, does at once; a silent or other server does not)."""
    try:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        header = b""
        while len(header) < 9:
            part = sock.recv(9 - len(header))
            if not part:
                return False
            header += part
    except OSError:
        return False
    return header[3] == 0x04  # frame type SETTINGS


def _check_gcs(target: str, address: str, timeout: float) -> None:
    """Ask the GCS for its cluster id with a deadline (Ray's own client call, as ``ray.init`` makes it;
    a private Ray API: when it is missing, the TCP + gRPC checks above stand alone)."""
    try:
        from ray._raylet import InnerGcsClient
    except ImportError:
        return
    try:
        with stderr_to_file():  # its C++ retry warnings
            InnerGcsClient.standalone(target, None, int(timeout * 1000))
    except Exception as exc:  # noqa: BLE001 - Ray raises its own RpcError/ConnectionError types
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ClusterUnreachable(
            f"{address} does not answer as a Ray cluster ({reason}); pass the GCS address "
            "`ray start --head` printed (HOST:PORT, port 6379 by default)"
        ) from None


class CapturedStderr:
    """Set :attr:`keep` to copy what was captured back to stderr when the block ends."""

    keep = False


@contextlib.contextmanager
def stderr_to_file() -> Iterator[CapturedStderr]:
    """Send fd 2 to a temporary file (Ray's C++ start-up lines); copied back to stderr only when the
    caller sets ``keep`` (a failure)."""
    captured = CapturedStderr()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if captured.keep:
                tmp.seek(0)
                text = tmp.read()[-4000:].decode("utf-8", "replace")
                if text.strip():
                    sys.stderr.write(text)
