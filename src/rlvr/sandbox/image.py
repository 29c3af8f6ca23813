"""Building the sandbox image.

Two ways:

* ``build_with_dockerfile()``: ``docker build`` of ``rlvr/sandbox/image/Dockerfile`` (needs a
  reachable container registry for its base image);
* ``build_offline()`` (``rlvr sandbox build --offline``): no container registry at all. It
  makes a minimal Debian/Ubuntu root filesystem with ``debootstrap`` from the apt mirror this
  machine is already configured to use (read from ``/etc/apt/sources.list`` and
  ``/etc/apt/sources.list.d/*`` at run time), installs ``python3`` into it, trims caches and
  docs, and imports it with ``docker import``. Needs root, ``debootstrap`` and network access
  to that apt mirror (or a local one).

The image only has to provide ``python3``: the harness program is passed in at container
start, so the image never goes stale when rlvr is upgraded.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rlvr.sandbox.docker_backend import DEFAULT_IMAGE

__all__ = ["DOCKERFILE_DIR", "AptSource", "ImageBuildError", "apt_sources", "build_offline", "build_with_dockerfile"]

DOCKERFILE_DIR = Path(__file__).with_name("image")


class ImageBuildError(RuntimeError):
    """The image could not be built; the message says which step failed and what to do."""


@dataclass(frozen=True)
class AptSource:
    uri: str
    suite: str
    components: tuple[str, ...]


def _parse_deb822(text: str) -> list[AptSource]:
    out: list[AptSource] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        comps = tuple(fields.get("components", "main").split())
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                out.append(AptSource(uri, suite, comps))
    return out


def _parse_one_line(text: str) -> list[AptSource]:
    out: list[AptSource] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line[4:])  # drop [arch=... signed-by=...]
        parts = line.split()
        if len(parts) >= 2:
            out.append(AptSource(parts[0], parts[1], tuple(parts[2:]) or ("main",)))
    return out


def apt_sources(root: str = "/etc/apt") -> list[AptSource]:
    """The binary package sources apt is configured with on this machine, in file order."""
    sources: list[AptSource] = []
    files = [os.path.join(root, "sources.list")] + sorted(glob.glob(os.path.join(root, "sources.list.d", "*")))
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.endswith(".sources"):
            sources += _parse_deb822(text)
        elif path.endswith((".list", "sources.list")):
            sources += _parse_one_line(text)
    return sources


def base_source(sources: list[AptSource]) -> AptSource:
    """The main archive entry (not -security/-updates/-backports) to debootstrap from."""
    for src in sources:
        if not re.search(r"-(security|updates|backports|proposed)$", src.suite) and "/" not in src.suite:
            return src
    raise ImageBuildError(
        "no usable apt source found in /etc/apt/sources.list or /etc/apt/sources.list.d/*; "
        "pass mirror= and suite= explicitly (e.g. `rlvr sandbox build --offline --mirror URL --suite NAME`)")


def _run(argv: list[str], log: Callable[[str], None], *, step: str, stdin=None, timeout: float = 1800) -> None:
    log(f"[rlvr sandbox build] {step}: {' '.join(argv[:6])}{' ...' if len(argv) > 6 else ''}")
    try:
        cp = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise ImageBuildError(f"{step}: {argv[0]!r} is not installed") from None
    except subprocess.TimeoutExpired:
        raise ImageBuildError(f"{step}: timed out after {timeout:.0f}s") from None
    if cp.returncode != 0:
        tail = "\n".join((cp.stderr or cp.stdout).strip().splitlines()[-15:])
        raise ImageBuildError(f"{step} failed (exit {cp.returncode}):\n{tail}")


_TRIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info",
         "usr/share/locale", "var/log", "var/cache/debconf")


def build_offline(tag: str = DEFAULT_IMAGE, *, mirror: str | None = None, suite: str | None = None,
                  packages: tuple[str, ...] = ("python3",), docker: str = "docker", workdir: str | None = None,
                  log: Callable[[str], None] = print) -> float:
    """Build ``tag`` from a debootstrapped root filesystem (see the module docstring).
    Returns the build time in seconds."""
    t0 = time.monotonic()
    if os.geteuid() != 0:
        raise ImageBuildError("the offline build runs debootstrap and needs root (run it with sudo)")
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed: `apt-get install -y debootstrap`")
    if mirror is None or suite is None:
        src = base_source(apt_sources())
        mirror = mirror or src.uri
        suite = suite or src.suite
    tmp = tempfile.mkdtemp(prefix="rlvr-rootfs-", dir=workdir)
    rootfs = os.path.join(tmp, "rootfs")
    try:
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", suite, rootfs, mirror], log,
             step=f"debootstrap {suite} from the configured apt mirror")
        for rel in _TRIM:
            path = os.path.join(rootfs, rel)
            if os.path.isdir(path):
                for entry in os.listdir(path):
                    p = os.path.join(path, entry)
                    if os.path.isdir(p) and not os.path.islink(p):
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        try:
                            os.unlink(p)
                        except OSError:
                            pass
        if not os.path.exists(os.path.join(rootfs, "usr", "bin", "python3")):
            raise ImageBuildError("the root filesystem has no /usr/bin/python3 (is 'python3' in packages?)")
        log(f"[rlvr sandbox build] docker import -> {tag}")
        tar = subprocess.Popen(["tar", "-C", rootfs, "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
        try:
            _run([docker, "import", "--change", 'CMD ["python3"]', "--change", "LABEL rlvr.sandbox=1",
                  "-", tag], log, step="docker import", stdin=tar.stdout)
        finally:
            if tar.stdout is not None:
                tar.stdout.close()
            tar.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    verify_image(tag, docker=docker, log=log)
    return time.monotonic() - t0


def build_with_dockerfile(tag: str = DEFAULT_IMAGE, *, docker: str = "docker",
                          log: Callable[[str], None] = print) -> float:
    """``docker build`` of the bundled Dockerfile (pulls its base image). Returns seconds."""
    t0 = time.monotonic()
    _run([docker, "build", "-t", tag, str(DOCKERFILE_DIR)], log, step="docker build")
    verify_image(tag, docker=docker, log=log)
    return time.monotonic() - t0


def verify_image(tag: str, *, docker: str = "docker", log: Callable[[str], None] = print) -> None:
    """Check that the image runs ``python3`` without a network."""
    _run([docker, "run", "--rm", "--network", "none", "--log-driver", "none", tag, "python3", "-c",
          "import json, ctypes, resource; print('ok')"], log, step="verify image", timeout=120)
