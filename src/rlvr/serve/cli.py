"""``rlvr serve``: argument parsing and start-up checks (the stack is built here first, so an
unknown reward or a bad stack file exits with status 2 before any worker starts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["cmd_serve", "register"]

EXIT_USAGE = 2

SERVE_EPILOG = """\
endpoints:
  POST /score       {"completions": [...], "prompts": [...], "<column>": [...]}  (TRL's keywords as JSON)
                    -> {"n", "names", "weights", "rewards": {name: {"values", "statuses"}}, "total", "statuses"}
  POST /get_reward  OpenRLHF: {"query": [...], "prompts": [...], "labels": [...]}
                    -> {"rewards": [...], "scores": [...], "extra_logs": {...}}
  GET  /health      200 when every worker has built the stack and warmed its sandbox pool, else 503
  GET  /metrics     Prometheus text: requests, rows, latency quantiles, statuses

examples:
  rlvr serve -r math_accuracy -r format=0.2 --port 8000
  rlvr serve --config stack.toml --host 0.0.0.0 --port 8000 --workers 8
"""


def register(sub: Any) -> None:
    """Add the ``serve`` subcommand to ``rlvr``'s subparsers."""
    from rlvr.cli import _positive  # rlvr.cli is loaded: it is what calls register()
    from rlvr.serve.settings import default_workers

    p = sub.add_parser("serve", help="serve a reward stack over HTTP (TRL /score, OpenRLHF /get_reward)",
                       description="Serve a reward stack over HTTP (Starlette on uvicorn); scoring runs in worker "
                                   "processes. Stops gracefully on SIGTERM/SIGINT (in-flight requests finish).",
                       epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-r", "--reward", action="append", metavar="NAME[=WEIGHT]",
                   help="a reward or preset from `rlvr list`, or package.module:function (repeatable)")
    p.add_argument("-c", "--config", metavar="STACK_FILE", help="a reward stack file (.json, .toml, .yaml)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("-j", "--workers", type=_positive, default=default_workers(), metavar="N",
                   help="scoring processes, each holding the stack (default: one per CPU, at most 8)")
    p.add_argument("--max-body-mb", type=float, default=32.0, metavar="MB",
                   help="larger request bodies are answered 413 (default 32)")
    p.add_argument("--label-column", default="solution", metavar="NAME",
                   help="the column OpenRLHF's `labels` become on /get_reward (default: solution)")
    p.add_argument("--none-as", type=float, default=0.0, metavar="X",
                   help="value /get_reward sends for a sample no reward could judge (default 0.0; /score sends null)")
    p.add_argument("--graceful-timeout", type=float, default=120.0, metavar="S",
                   help="seconds in-flight requests get to finish after SIGTERM (default 120)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from rlvr.rewards.base import RewardConfigError
    from rlvr.rewards.build import build_stack
    from rlvr.rewards.registry import UnknownRewardError
    from rlvr.serve.settings import ServeSettings
    from rlvr.serve.stack_pool import describe_stack

    if bool(args.reward) == bool(args.config):
        print("rlvr serve: error: give the rewards with -r NAME[=WEIGHT] (repeatable) or a stack file with "
              "--config, not both and not neither", file=sys.stderr)
        return EXIT_USAGE
    spec: Any = list(args.reward) if args.reward else args.config
    try:
        stack = build_stack(spec)
    except UnknownRewardError as exc:
        print(f"rlvr serve: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return EXIT_USAGE
    except (RewardConfigError, ImportError, OSError, ValueError, TypeError) as exc:
        print(f"rlvr serve: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        print(f"rlvr serve: error: {exc}; install the server extra: pip install 'rlvr[serve]'", file=sys.stderr)
        return EXIT_USAGE
    from rlvr.serve.server import serve

    settings = ServeSettings(spec=spec, workers=args.workers, max_body_bytes=int(args.max_body_mb * 1024 * 1024),
                             label_column=args.label_column, none_as=args.none_as)
    info = describe_stack(stack)
    print(f"rlvr serve: {info['name']}: " + ", ".join(f"{n}×{w:g}" for n, w in zip(info["names"], info["weights"]))
          + f"; {args.workers} worker(s) on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    serve(settings, host=args.host, port=args.port, graceful_timeout=args.graceful_timeout,
          log_level=args.log_level, stack_info=info)
    return 0
