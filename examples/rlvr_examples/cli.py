"""The command line shared by ``run_pipeline.py`` and every stage script.

::

    python examples/run_pipeline.py --config examples/configs/r1_math_pipeline.yaml --profile t4
    python examples/grpo_countdown.py --smoke --output-dir /tmp/cd
    python examples/grpo_math.py --profile a100 --set stages.grpo_math.train.max_steps=50 --report-to wandb

Exit status: 0 on success, 2 on a configuration error (message on stderr), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("rlvr_examples")

CODE_REWARDS = {"code_tests"}


def build_parser(description: str, default_config: Path) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=default_config, help=f"pipeline YAML (default: {default_config})")
    p.add_argument("--profile", help="hardware profile: t4, l4, a100, h100 or a YAML path (default: the config's)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny local model, bundled samples, 1-2 steps per stage on CPU (minutes)")
    p.add_argument("--backend", choices=["auto", "unsloth", "trl"], help="default: the config's (auto)")
    p.add_argument("--output-dir", help="where stages write (default: the config's output_dir)")
    p.add_argument("--stages", help="comma-separated stage names to run (default: all, in order)")
    p.add_argument("--init-from", help="adapter to start from (stage name, path, or 'base'); single-stage runs only")
    p.add_argument("--report-to", help="none | tensorboard | wandb | swanlab (comma-separated)")
    p.add_argument("--sandbox-backend", choices=["auto", "docker", "local"],
                   help="code_tests reward: where programs run (auto: docker when reachable)")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. stages.grpo_math.train.max_steps=10 (repeatable)")
    p.add_argument("--force", action="store_true", help="re-run stages that already finished (resuming from their last checkpoint unless --no-resume)")
    p.add_argument("--no-resume", action="store_true", help="do not resume from the last Trainer checkpoint")
    p.add_argument("--isolate", choices=["auto", "yes", "no"], help="run each stage in its own process")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: Sequence[str] | None = None, *, description: str = "rlvr example pipeline",
         default_config: Path | None = None, default_stages: str | None = None) -> int:
    from rlvr_examples.config import CONFIG_DIR, ConfigError, load_pipeline_config
    from rlvr_examples.rewards_setup import set_reward_param

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(description, default_config or CONFIG_DIR / "r1_math_pipeline.yaml").parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.smoke:
        from rlvr.testing import offline_mode

        offline_mode()
    extra: dict = {}
    if args.output_dir:
        extra["output_dir"] = args.output_dir
    if args.backend:
        extra["backend"] = args.backend
    if args.report_to:
        extra["report_to"] = args.report_to
    if args.no_resume:
        extra["resume"] = False
    if args.isolate:
        extra["isolate_stages"] = args.isolate
    try:
        cfg = load_pipeline_config(args.config, profile=args.profile, assignments=args.assignments,
                                   smoke=args.smoke, extra=extra)
        stages_arg = args.stages or default_stages
        only = [s.strip() for s in stages_arg.split(",") if s.strip()] if stages_arg else None
        selected = [cfg.stage(n) for n in only] if only else cfg.stages
        if args.init_from:
            if len(selected) != 1:
                raise ConfigError("--init-from applies to one stage; add --stages NAME")
            selected[0].init_from = args.init_from
        if args.sandbox_backend:
            for stage in cfg.stages:
                if stage.rewards is not None:
                    stage.rewards = set_reward_param(stage.rewards, CODE_REWARDS, "backend", args.sandbox_backend,
                                                     preset_key="backend")
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps({"stages_to_run": [s.name for s in selected], "config": cfg.model_dump()}, indent=2, default=str))
        return 0
    from rlvr import RewardConfigError, UnknownRewardError
    from rlvr_examples.backend import BackendError
    from rlvr_examples.converters import LayoutError
    from rlvr_examples.datasets_io import DatasetLoadError
    from rlvr_examples.stages import StageError, run_pipeline
    from rlvr_examples.trl_compat import UnknownTrainingKey

    user_errors = (BackendError, StageError, ConfigError, DatasetLoadError, LayoutError, UnknownTrainingKey,
                   RewardConfigError, UnknownRewardError)
    try:
        summary = run_pipeline(cfg, only=only, smoke=args.smoke, force=args.force, argv=argv)
    except user_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2, default=str))
    return 0


def script_main(default_config_name: str, description: str, default_stages: str | None = None) -> None:
    """Entry point of the thin ``examples/*.py`` scripts (``default_stages``: the stage of the
    config this script runs when ``--stages`` is not given)."""
    from rlvr_examples.config import CONFIG_DIR

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main(description=description, default_config=CONFIG_DIR / default_config_name,
                  default_stages=default_stages))
