"""The ``rlvr`` command: ``rlvr list``, ``rlvr score``, ``rlvr sandbox`` (when installed), ``--version``.

This module only parses arguments and dispatches (``args.func(args) -> int``); the scoring
engine lives in :mod:`rlvr.scoring`. Exit codes: 0 ok, 1 some rows failed, 2 usage or
configuration error, 3 output in use by another run, 4 output write failed (disk full), 5 a
worker process died, 6 input unreadable part-way, 130 interrupted, 141 stdout closed by its reader.
See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["build_parser", "main"]

EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130


def _version() -> str:
    from rlvr import __version__

    return __version__


# ---------------------------------------------------------------------------- rlvr list
def _info_dict(info: Any) -> dict[str, Any]:
    return {"name": info.name, "kind": info.kind, "description": info.description,
            "params": info.params, "module": info.module}


def cmd_list(args: argparse.Namespace) -> int:
    from rlvr.rewards.registry import list_rewards

    if _import_plugins(args.plugin) != 0:
        return EXIT_USAGE
    infos = list_rewards()
    if args.pattern:
        infos = [i for i in infos if args.pattern.lower() in i.name.lower()]
    if args.json:
        from rlvr.scoring.jsonl import dumps

        sys.stdout.write(dumps([_info_dict(i) for i in infos]).decode("utf-8") + "\n")
        return 0
    if not infos:
        print("no rewards registered" + (f" matching {args.pattern!r}" if args.pattern else ""), file=sys.stderr)
        return 0
    width = max(len(i.name) for i in infos)
    for info in infos:
        kind = "" if info.kind == "reward" else f"[{info.kind}] "
        print(f"{info.name:<{width}}  {kind}{info.description}")
        if args.brief:
            continue
        for pname, p in info.params.items():
            if pname == "none_as":
                continue  # every reward has it; documented once in `rlvr list --help`
            typ = f": {p['type']}" if p.get("type") else ""
            desc = f"  {p['description']}" if p.get("description") else ""
            print(f"{'':<{width}}    {pname}{typ} = {p['default']!r}{desc}")
    return 0


def _import_plugins(modules: Sequence[str] | None) -> int:
    import importlib

    for module in modules or ():
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - reported as a usage error
            print(f"rlvr: --plugin {module}: cannot import it ({type(exc).__name__}: {exc})", file=sys.stderr)
            return 1
    return 0


# ---------------------------------------------------------------------------- rlvr score
def cmd_score(args: argparse.Namespace) -> int:
    from rlvr.scoring.plan import PlanError, build_plan
    from rlvr.scoring.runner import OutputLocked, ScoreOptions, UsageError, run_scoring

    _configure_logging(args.verbose)
    keep = [c.strip() for spec in (args.keep or ()) for c in spec.split(",") if c.strip()]
    try:
        plan = build_plan(
            args.reward or (),
            config=args.config,
            params=args.param or (),
            plugins=args.plugin or (),
            pass_metric=args.pass_reward,
            pass_threshold=args.pass_threshold,
            id_column=args.id_column,
            keep_columns=keep,
            details=args.details,
            completion_column=args.completion_column,
        )
        opts = ScoreOptions(
            input=args.input,
            plan=plan,
            output=args.output,
            workers=args.workers,
            resume=args.resume,
            overwrite=args.overwrite,
            summary_json=args.summary_json,
            progress=args.progress,
            chunk_lines=args.chunk_size,
            quiet=args.quiet,
            split=args.split,
            config_name=args.config_name,
            limit=args.limit,
            engine=args.engine,
            ray=_ray_options(args),
        )
        return run_scoring(opts)
    except (PlanError, UsageError) as exc:
        print(f"rlvr score: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OutputLocked as exc:
        print(f"rlvr score: error: {exc}", file=sys.stderr)
        return EXIT_LOCKED


def _ray_options(args: argparse.Namespace) -> Any:
    """``--engine ray`` knobs as :class:`rlvr.scoring.ray_engine.RayOptions` (None for the local engine)."""
    if args.engine != "ray":
        given = [flag for flag, value in (("--address", args.address), ("--ray-resources", args.ray_resources),
                                          ("--ray-runtime-env", args.ray_runtime_env)) if value is not None]
        if given:
            from rlvr.scoring.runner import UsageError

            raise UsageError(f"{', '.join(given)} only apply with --engine ray")
        return None
    from rlvr.scoring.ray_engine import RayOptions

    return RayOptions(
        address=args.address,
        actor_cpus=args.ray_actor_cpus,
        resources=args.ray_resources or {},
        max_task_retries=args.ray_max_retries,
        runtime_env=args.ray_runtime_env,
    )


def _json_object(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _resources(text: str) -> dict[str, float]:
    value = _json_object(text)
    try:
        out = {str(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected {{\"NAME\": AMOUNT, ...}} with numbers, got {text!r}") from None
    if any(v < 0 for v in out.values()):
        raise argparse.ArgumentTypeError("resource amounts must be >= 0")
    return out


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return x


def _configure_logging(verbose: bool) -> None:
    """Reward warnings (with tracebacks) go to stderr only with --verbose: every problem is
    already recorded in its output row and counted in the summary."""
    import logging

    logger = logging.getLogger("rlvr")
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("rlvr: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:
        logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.ERROR)
    logger.propagate = False


def _workers(text: str) -> int:
    if text == "auto":
        return 0
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0 (0 or 'auto': chosen from the input size)")
    return n


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return n


SCORE_EPILOG = """\
input rows (JSON objects, one per line):
  {"id": "q1", "prompt": "...", "completion": "<think>..</think> \\\\boxed{42}", "solution": "42"}
  {"id": "q2", "completion": [{"role": "assistant", "content": "..."}], "solution": "7"}
  {"id": "q3", "prompt": "...", "completions": ["...", "...", "..."], "solution": "3"}   (a GRPO group)
  Every other field is a column handed to the rewards (e.g. solution, answer, tests).

output rows (one per completion, in input order):
  {"line": 3, "id": "q3", "index": 0, "group_size": 3, "total": 1.2,
   "rewards": {"math_accuracy": {"value": 1.0, "status": "correct", "reason": "..."}, ...}}
  a malformed line gives {"line": N, ..., "rewards": {}, "error": "what is wrong"}

exit codes:
  0    every row scored cleanly
  1    some rows failed (a malformed line, or a reward status error/invalid_input)
  2    usage or configuration error, or an output --resume refuses (nothing scored)
  3    the output file is being written by another rlvr score run (nothing touched)
  4    the output could not be written (disk full, quota, I/O error); continue with --resume
  5    a worker process died (e.g. out of memory), or a Ray chunk failed after its retries;
       continue with --resume
  6    the input could not be read to the end (truncated or corrupt gzip/zstd/Parquet);
       the rows before are written; repair the input, then continue with --resume
  130  interrupted (Ctrl-C); continue with --resume
  141  stdout was closed by its reader (e.g. | head); nothing printed

examples:
  rlvr score completions.jsonl --reward open_r1_math -o scored.jsonl
  rlvr score data.jsonl --reward math_accuracy=1 --reward format=0.2 --param math_accuracy.solution_column=answer
  cat data.jsonl | rlvr score - --config stack.toml > scored.jsonl
  rlvr score data.parquet -r format -o scored.parquet --limit 1000      # Parquet in and out, first 1000 rows
  rlvr score open-r1/OpenR1-Math-220k --split train -r math_accuracy -p math_accuracy.solution_column=answer \\
      -o scored.jsonl --summary-json -                                  # a Hub dataset (generations = groups)
  rlvr score big.jsonl --reward format -o out.jsonl --resume       # continue an interrupted run
  rlvr score big.jsonl -r math_accuracy -o out.jsonl --engine ray --address HEAD:6379   # on a Ray cluster
"""


def _add_score(sub: Any) -> None:
    p = sub.add_parser(
        "score",
        help="score a file or dataset of completions",
        description="Score every completion of a JSONL file (or .jsonl.gz, .jsonl.zst, Parquet, a Hugging Face "
                    "dataset) with registered rewards; one output row per completion.",
        epilog=SCORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="input: a JSONL file (- for stdin), .jsonl.gz/.json.gz, .jsonl.zst, .parquet, a "
                                 "folder saved with datasets' save_to_disk, or a load_dataset name or data folder")
    p.add_argument("-r", "--reward", action="append", metavar="NAME[=WEIGHT]",
                   help="a reward or preset from `rlvr list`, or an importable package.module:function (a plain "
                        "TRL reward function) (repeatable; weight 1 by default; presets expand into their "
                        "component rewards, one column each)")
    p.add_argument("-c", "--config", metavar="STACK_FILE",
                   help="a reward stack file (.json, .toml, .yaml) as read by rlvr.rewards.build.build_stack")
    p.add_argument("-p", "--param", action="append", metavar="REWARD.KEY=VALUE",
                   help="a parameter for a --reward (repeatable); VALUE is JSON when it parses, else a string")
    p.add_argument("-o", "--output", default="-", metavar="OUT.jsonl",
                   help="output JSONL file (default: stdout); OUT.parquet writes Parquet once every row is scored "
                        "(rows go to OUT.parquet.partial.jsonl until then)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run: verify the rows already in -o, keep the complete ones, "
                        "score the rest")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument("-j", "--workers", type=_workers, default=0, metavar="N|auto",
                   help="worker processes (default auto: 1 below 32 MiB of input, else one per CPU up to 8); "
                        "with --engine ray: scoring actors (default: as many as the cluster's CPUs allow)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: worker processes on this machine (default); ray: Ray actors on a Ray cluster "
                        "or a local Ray instance (pip install 'rlvr[ray]'; see docs/scale.md)")
    p.add_argument("--address", metavar="HOST:PORT",
                   help="--engine ray: the cluster's GCS address (`ray start --head` prints it) or 'auto' "
                        "(default: $RAY_ADDRESS if set, else a local Ray instance sized to --workers)")
    p.add_argument("--ray-actor-cpus", type=_positive_float, default=1.0, metavar="N",
                   help="--engine ray: CPUs each scoring actor reserves (default 1)")
    p.add_argument("--ray-resources", type=_resources, metavar="JSON",
                   help="--engine ray: custom resources each actor needs, e.g. '{\"docker\": 1}' so code_tests "
                        "actors run on nodes started with `ray start --resources '{\"docker\": 8}'`")
    p.add_argument("--ray-max-retries", type=int, default=3, metavar="N",
                   help="--engine ray: how often a chunk whose actor died is retried (default 3); then exit 5")
    p.add_argument("--ray-runtime-env", type=_json_object, metavar="JSON",
                   help="--engine ray: Ray runtime_env for the actors, e.g. '{\"py_modules\": [\"./my_rewards\"]}' "
                        "to ship a --plugin module to the cluster's nodes")
    p.add_argument("--chunk-size", type=_positive, metavar="LINES",
                   help="lines per chunk (default: adaptive, about 0.25 s of work; output is flushed per chunk)")
    p.add_argument("--summary-json", metavar="PATH",
                   help="also write the summary as JSON to PATH (- for stdout, when the rows go to a file)")
    p.add_argument("--completion-column", metavar="NAME",
                   help="the input field holding the completion(s): a string, message list or message dict is "
                        "one completion, a list of them a group (default: completion, completions, then "
                        "generations)")
    p.add_argument("--limit", type=_positive, metavar="N",
                   help="score only the first N input lines (rows); --resume with the same --limit finishes them")
    p.add_argument("--split", metavar="NAME",
                   help="dataset split of a Hugging Face input (load_dataset default: train; a saved DatasetDict "
                        "needs it unless it has one split)")
    p.add_argument("--config-name", metavar="NAME", help="load_dataset configuration (subset) name")
    p.add_argument("--pass-reward", metavar="NAME",
                   help="what 'pass' means for pass@k over groups: a reward name or 'total' (default: the "
                        "stack's correctness rewards, e.g. math_accuracy, countdown, code_tests; several: all must "
                        "pass; none: no pass@k)")
    p.add_argument("--pass-threshold", type=float, default=None, metavar="X",
                   help="a completion passes when the pass reward is >= X (default: the reward's correct value, "
                        "e.g. 2.0 for gsm8k_xml's correctness; 1.0 for total)")
    p.add_argument("--id-column", default="id", metavar="NAME", help="input field copied to each row's id (default: id)")
    p.add_argument("--keep", action="append", metavar="COL[,COL]",
                   help="copy input fields into each row's 'columns' (also 'prompt', 'completion')")
    p.add_argument("--details", action="store_true", help="include each reward's details dict in the rows")
    p.add_argument("--plugin", action="append", metavar="MODULE",
                   help="import MODULE first (it registers extra rewards); repeatable")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress line on stderr (default: when stderr is a terminal)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary or progress on stderr")
    p.add_argument("-v", "--verbose", action="store_true", help="show reward warnings (with tracebacks) on stderr")
    p.set_defaults(func=cmd_score)


def _add_list(sub: Any) -> None:
    p = sub.add_parser(
        "list",
        help="list registered rewards and presets",
        description="List every registered reward and preset with its description and parameters. Every reward "
                    "also takes none_as (the value trainers get instead of None).",
    )
    p.add_argument("pattern", nargs="?", help="only names containing this text")
    p.add_argument("--json", action="store_true", help="machine-readable JSON list")
    p.add_argument("--brief", action="store_true", help="names and descriptions only")
    p.add_argument("--plugin", action="append", metavar="MODULE", help="import MODULE first (extra rewards)")
    p.set_defaults(func=cmd_list)


# ---------------------------------------------------------------------------- rlvr serve
def _add_serve(sub: Any) -> None:
    """Register ``rlvr serve`` (the server lives in :mod:`rlvr.serve`; Starlette/uvicorn load only when it runs)."""
    from rlvr.serve.cli import register

    register(sub)


# ---------------------------------------------------------------------------- rlvr sandbox
def _add_sandbox(sub: Any) -> None:
    """Register ``rlvr sandbox`` from :mod:`rlvr.sandbox.cli` (optional: another part of rlvr)."""
    try:
        from rlvr.sandbox.cli import register
    except ImportError as exc:
        reason = str(exc)
        p = sub.add_parser("sandbox", help="code-execution sandbox (not available in this installation)")

        def unavailable(args: argparse.Namespace) -> int:
            print(f"rlvr sandbox is not available: {reason}", file=sys.stderr)
            return EXIT_USAGE

        p.set_defaults(func=unavailable)
        return
    register(sub)


def _wants_sandbox(argv: Sequence[str]) -> bool:
    """Import the sandbox CLI only when it can matter (keeps `rlvr list`/`score` start-up fast)."""
    positionals = [a for a in argv if not a.startswith("-")]
    if positionals:
        return positionals[0] == "sandbox"
    return any(a in ("-h", "--help") for a in argv) or not argv


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlvr",
        description="Verifiable reward functions for GRPO-style RL: list rewards, score JSONL files of completions.",
    )
    parser.add_argument("--version", action="version", version=f"rlvr {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_list(sub)
    _add_score(sub)
    _add_serve(sub)
    if _wants_sandbox(argv):
        _add_sandbox(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rlvr`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from rlvr.scoring.interrupts import InterruptGuard

    # first Ctrl-C: KeyboardInterrupt (rlvr score handles its own inside the run); later ones are
    # ignored, and stay ignored after an interrupt, so the exit is always clean
    with InterruptGuard(ignore_after=True) as guard:
        try:
            code = int(func(args) or 0)
        except KeyboardInterrupt:  # outside a scoring run: loading rewards, printing the summary
            print("rlvr: interrupted", file=sys.stderr)
            code = EXIT_INTERRUPTED
        if code == EXIT_INTERRUPTED:
            guard.count = max(guard.count, 1)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
