"""``rlvr sandbox build`` and ``rlvr sandbox doctor``.

The main ``rlvr`` CLI calls :func:`register` with its argparse subparsers; every parser here
sets ``func`` (``args.func(args) -> int`` exit code).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sandbox`` command (``build``, ``doctor``) to the ``rlvr`` CLI."""
    parser = subparsers.add_parser("sandbox", help="build and check the code-execution sandbox",
                                   description="Build and check the code-execution sandbox (see docs/sandbox.md).")
    sub = parser.add_subparsers(dest="sandbox_command", metavar="{build,doctor}")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    build = sub.add_parser("build", help="build the sandbox image",
                           description="Build the sandbox Docker image. --offline needs no container registry: "
                                       "debootstrap from this machine's configured apt mirror + docker import.")
    build.add_argument("--offline", action="store_true",
                       help="no registry: debootstrap a Debian/Ubuntu rootfs from the configured apt mirror")
    build.add_argument("--tag", default=None, help="image tag (default: $RLVR_SANDBOX_IMAGE or rlvr-sandbox:latest)")
    build.add_argument("--force", action="store_true", help="rebuild even if the image already exists")
    build.add_argument("--mirror", default=None, help="apt mirror URL (default: read from /etc/apt at run time)")
    build.add_argument("--suite", default=None, help="distribution suite (default: read from /etc/apt)")
    build.add_argument("--packages", default="python3",
                       help="comma-separated packages to install (default: python3; e.g. python3,python3-numpy)")
    build.set_defaults(func=_build)

    doctor = sub.add_parser("doctor", help="report engine, image, limits and round-trip latency",
                            description="Report the Docker engine, the sandbox image, the limits in force and a "
                                        "measured round-trip latency (falls back to the local backend).")
    doctor.add_argument("--image", default=None, help="image to check (default: rlvr-sandbox:latest)")
    doctor.add_argument("--backend", choices=("auto", "docker", "local"), default="auto")
    doctor.add_argument("--rounds", type=int, default=10, help="warm round trips to time (default 10)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.set_defaults(func=_doctor)
    return parser


def _build(args: argparse.Namespace) -> int:
    from rlvr.sandbox.docker_backend import DEFAULT_IMAGE, engine_status, image_present
    from rlvr.sandbox.image import ImageBuildError, build_offline, build_with_dockerfile

    tag = args.tag or DEFAULT_IMAGE
    ok, why = engine_status()
    if not ok:
        print(f"error: the Docker engine is not reachable ({why}). Start it (e.g. `sudo dockerd &`) "
              "or run scripts/docker_setup.sh.", file=sys.stderr)
        return 1
    if image_present(tag) and not args.force:
        print(f"image {tag} already exists (use --force to rebuild)")
        return 0
    try:
        if args.offline:
            seconds = build_offline(tag, mirror=args.mirror, suite=args.suite,
                                    packages=tuple(p for p in args.packages.split(",") if p))
        else:
            seconds = build_with_dockerfile(tag)
    except ImageBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if not args.offline:
            print("hint: without access to a container registry use `rlvr sandbox build --offline`", file=sys.stderr)
        return 1
    print(f"built {tag} in {seconds:.1f}s")
    return 0


def doctor_report(image: str | None = None, backend: str = "auto", rounds: int = 10) -> dict[str, Any]:
    """Everything ``rlvr sandbox doctor`` prints, as a dict."""
    from rlvr.sandbox.docker_backend import (
        DEFAULT_IMAGE,
        DockerBackend,
        DockerConfig,
        engine_status,
        image_present,
    )
    from rlvr.sandbox.limits import Limits
    from rlvr.sandbox.local_backend import LocalBackend

    image = image or DEFAULT_IMAGE
    report: dict[str, Any] = {"image": image}
    ok, info = engine_status()
    report["engine"] = {"reachable": ok, "detail": info}
    report["image_present"] = bool(ok and image_present(image))
    use = backend
    if backend == "auto":
        use = "docker" if report["image_present"] else "local"
    report["backend"] = use
    report["limits"] = Limits().to_wire()
    if use == "docker" and not report["image_present"]:
        report["error"] = f"image {image} missing: run `rlvr sandbox build --offline`" if ok else f"engine: {info}"
        return report
    t0 = time.monotonic()
    b = DockerBackend(DockerConfig(image=image, size=1, spares=0)) if use == "docker" else LocalBackend(size=1)
    try:
        if not b.pool.wait_full(120):
            report["error"] = f"no worker started: {b.pool.last_error}"
            return report
        report["cold_start_ms"] = round((time.monotonic() - t0) * 1000, 1)
        report["pool"] = b.describe()
        echo = [{"stdin": "7\n"}]
        first = b.run("print(input())", echo)
        run = first.runs[0] if first.runs else None
        report["harness"] = {"ok": first.sandbox_error is None and run is not None and run.stdout == b"7\n",
                             "sandbox_error": first.sandbox_error, "status": run.status if run else None}
        times = []
        for _ in range(max(1, rounds)):
            t = time.monotonic()
            b.run("print(input())", echo)
            times.append((time.monotonic() - t) * 1000)
        times.sort()
        report["round_trip_ms"] = {"median": round(times[len(times) // 2], 2), "min": round(times[0], 2),
                                   "max": round(times[-1], 2), "rounds": len(times)}
    finally:
        b.close()
    return report


def _doctor(args: argparse.Namespace) -> int:
    report = doctor_report(args.image, args.backend, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        eng = report["engine"]
        print(f"engine        : {'reachable, Docker ' + eng['detail'] if eng['reachable'] else 'NOT reachable (' + eng['detail'] + ')'}")
        print(f"image         : {report['image']} ({'present' if report['image_present'] else 'MISSING'})")
        print(f"backend       : {report['backend']}" + ("  (local: NOT a security boundary)" if report["backend"] == "local" else ""))
        lim = report["limits"]
        print(f"limits/test   : cpu {lim['cpu_s']}s, wall {lim['wall_s']}s, memory {lim['memory_mb']} MB, "
              f"file {lim['fsize_mb']} MB, {lim['nofile']} fds, stdout {lim['stdout_bytes'] >> 20} MiB")
        if "pool" in report:
            p = report["pool"]
            if report["backend"] == "docker":
                print(f"container     : cpus {p['cpus']}, memory {p['memory_mb']} MB, pids {p['pids_limit']}, "
                      f"tmpfs {p['tmpfs_mb']} MB, shm {p['shm_mb']} MB, runtime {p['runtime']}")
            print(f"cold start    : {report['cold_start_ms']} ms")
            h = report["harness"]
            print(f"harness       : {'ok' if h['ok'] else 'FAILED: ' + str(h['sandbox_error'] or h['status'])}")
            rt = report["round_trip_ms"]
            print(f"round trip    : median {rt['median']} ms (min {rt['min']}, max {rt['max']}, {rt['rounds']} rounds)")
        if "error" in report:
            print(f"error         : {report['error']}")
    healthy = "error" not in report and report.get("harness", {}).get("ok", False)
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m rlvr.sandbox.cli build --offline``) for when the ``rlvr`` CLI is absent."""
    parser = argparse.ArgumentParser(prog="rlvr")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sandbox", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
