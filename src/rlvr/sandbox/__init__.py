"""Running untrusted model-written code: a pooled, hardened Docker backend and a local backend.

    from rlvr.sandbox import get_backend, Limits

    backend = get_backend("auto")          # docker; an error when Docker is not usable
    run = backend.run("print(int(input()) * 2)", [{"stdin": "21\\n"}], limits=Limits(cpu_s=2))
    run.runs[0].status, run.runs[0].stdout     # ("completed", b"42\\n")

The sandbox reports raw results only (how each run ended, stdout bytes or the JSON text of a
returned value, resource use; see :mod:`rlvr.sandbox.results`). It imports nothing from
``rlvr.verifiers`` or ``rlvr.rewards``: expected outputs never reach it, and comparing and
scoring are done by the caller (``code_tests`` uses :func:`rlvr.rewards.code.run_tests`).

Backends are process-wide singletons (one warm pool per configuration, shared by every
thread and event loop) and are closed at interpreter exit. See ``docs/sandbox.md``.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from rlvr.sandbox.limits import Limits
from rlvr.sandbox.results import RunResult, SubmissionRun

if TYPE_CHECKING:
    from rlvr.sandbox.backend import SandboxBackend

__all__ = ["ALLOW_LOCAL_ENV", "Limits", "RunResult", "SandboxUnavailableError", "SubmissionRun", "close_all",
           "docker_usable", "get_backend"]

log = logging.getLogger("rlvr.sandbox")

_backends: dict[tuple, SandboxBackend] = {}
_lock = threading.Lock()
_owner_pid = os.getpid()
_docker_checked: dict[str, tuple[bool, str, float]] = {}
_NEGATIVE_TTL_S = 30.0  # a missing engine/image is re-checked after this long


def docker_usable(image: str | None = None) -> tuple[bool, str]:
    """(True, version) when the Docker engine answers and the sandbox image exists; else (False, why)."""
    from rlvr.sandbox.docker_backend import DEFAULT_IMAGE, engine_status, image_present

    image = image or DEFAULT_IMAGE
    cached = _docker_checked.get(image)
    if cached is not None and (cached[0] or time.monotonic() - cached[2] < _NEGATIVE_TTL_S):
        return cached[0], cached[1]
    ok, info = engine_status()
    if ok and not image_present(image):
        ok, info = False, f"image {image!r} not found: build it with `rlvr sandbox build --offline`"
    _docker_checked[image] = (ok, info, time.monotonic())
    return ok, info


#: Environment variable that opts in to ``auto`` falling back to the local backend.
ALLOW_LOCAL_ENV = "RLVR_SANDBOX_ALLOW_LOCAL_FALLBACK"


class SandboxUnavailableError(RuntimeError):
    """The requested sandbox backend cannot be used here (the message says why and what to do)."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def get_backend(kind: str = "auto", *, allow_local_fallback: bool | None = None, **config: Any) -> SandboxBackend:
    """The shared backend of this kind and configuration.

    ``kind``: ``"docker"`` (raises :class:`SandboxUnavailableError` when the engine or image is
    missing), ``"local"`` (not a security boundary), or ``"auto"``: docker when usable; when it
    is not, **an error** (:class:`SandboxUnavailableError`) unless the fallback to the local
    backend was opted in with ``allow_local_fallback=True`` or the environment variable
    ``RLVR_SANDBOX_ALLOW_LOCAL_FALLBACK=1``, in which case every fallback is logged at WARNING
    level. ``config``: for docker, :class:`~rlvr.sandbox.docker_backend.DockerConfig` fields
    (``image``, ``size``, ``cpus``, ``memory_mb``, ...); for local, ``size``.
    """
    global _owner_pid
    if kind not in ("auto", "docker", "local"):
        raise ValueError(f"unknown sandbox backend {kind!r}; choose 'auto', 'docker' or 'local'")
    if allow_local_fallback is None:
        allow_local_fallback = _truthy(os.environ.get(ALLOW_LOCAL_ENV))
    with _lock:
        if os.getpid() != _owner_pid:  # forked: the parent's pipes and threads are not ours
            _backends.clear()
            _docker_checked.clear()
            _owner_pid = os.getpid()
        if kind == "auto":
            ok, why = docker_usable(config.get("image"))
            if ok:
                kind = "docker"
            else:
                if not allow_local_fallback:
                    raise SandboxUnavailableError(
                        f"sandbox backend 'auto': Docker is not usable ({why}). Start the engine and build the image "
                        f"(scripts/docker_setup.sh), or choose backend='local' explicitly, or opt in to the unsafe "
                        f"fallback with allow_local_fallback=True / {ALLOW_LOCAL_ENV}=1 (the local backend is NOT a "
                        f"security boundary; see docs/sandbox.md)")
                log.warning("rlvr sandbox: Docker is not usable (%s); FALLING BACK to the LOCAL backend as opted in "
                            "(allow_local_fallback / %s). Model-written code now runs on this host as your user: "
                            "it is NOT a security boundary (see docs/sandbox.md)", why, ALLOW_LOCAL_ENV)
                kind = "local"
                config = {k: v for k, v in config.items() if k == "size"}
        key = (kind, tuple(sorted(config.items())))
        backend = _backends.get(key)
        if backend is None:
            if kind == "docker":
                from rlvr.sandbox.docker_backend import DockerBackend, DockerConfig

                ok, why = docker_usable(config.get("image"))
                if not ok:
                    raise SandboxUnavailableError(f"the docker sandbox backend is not usable: {why}")
                backend = DockerBackend(DockerConfig(**config))
            else:
                from rlvr.sandbox.local_backend import LocalBackend

                backend = LocalBackend(**config)
            _backends[key] = backend
        return backend


def close_all() -> None:
    """Close every shared backend (removes containers). Runs at interpreter exit."""
    with _lock:
        backends = list(_backends.values()) if os.getpid() == _owner_pid else []
        _backends.clear()
        _docker_checked.clear()
    for b in backends:
        try:
            b.close()
        except Exception:  # pragma: no cover - best effort at exit
            pass


atexit.register(close_all)
