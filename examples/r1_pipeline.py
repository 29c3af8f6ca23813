#!/usr/bin/env python
"""The DeepSeek-R1 recipe end to end on one GPU, by running the stage scripts one after another:

    cold-start SFT  ->  GRPO on maths  ->  rejection sampling  ->  second SFT
    sft_cold_start.py   grpo_math.py       rejection_sampling.py --second-sft

    python examples/r1_pipeline.py --profile t4              # OUTPUT = runs/r1
    python examples/r1_pipeline.py --smoke --output-dir /tmp/r1   # CPU, tiny model, a couple of minutes

Each stage is a separate process, so the GPU memory a stage holds (vLLM's reservation included) is
freed before the next one starts, and each stage is exactly the command you would run by hand:
the printed commands are the recipe. A stage whose output already exists is skipped, so a re-run
after an interruption continues where it stopped (delete a stage's directory to redo it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def stages(out: Path) -> list[tuple[str, list[str], Path]]:
    """(script, its arguments, the file that proves the stage finished) for each stage."""
    cold, grpo, rs = out / "cold_start", out / "grpo_math", out / "rejection_sampling"
    return [
        # 1. Long chain-of-thought SFT: the model learns to write <think>...</think><answer>...</answer>.
        ("sft_cold_start.py", ["--output-dir", str(cold)], cold / "adapter" / "adapter_config.json"),
        # 2. GRPO from the cold-start adapter, rewarded by rlvr (accuracy + format + tag count).
        ("grpo_math.py", ["--init-from", str(cold / "adapter"), "--output-dir", str(grpo)],
         grpo / "adapter" / "adapter_config.json"),
        # 3. + 4. Sample from the GRPO policy, keep what rlvr verifies, retrain from the base model on it.
        ("rejection_sampling.py", ["--init-from", str(grpo / "adapter"), "--second-sft", "--output-dir", str(rs)],
         rs / "second_sft" / "adapter" / "adapter_config.json"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["t4", "a100"], default="t4")
    parser.add_argument("--smoke", action="store_true", help="every stage on CPU with the tiny local model")
    parser.add_argument("--backend", choices=["auto", "unsloth", "trl"], default="auto")
    parser.add_argument("--output-dir", default="runs/r1")
    args = parser.parse_args(argv)
    common = ["--smoke"] if args.smoke else ["--profile", args.profile, "--backend", args.backend]
    for script, stage_args, done in stages(Path(args.output_dir)):
        if done.exists():
            print(f"== {script}: done already ({done}), skipped", flush=True)
            continue
        cmd = [sys.executable, str(HERE / script), *common, *stage_args]
        print(f"== {' '.join(cmd)}", flush=True)
        started = time.monotonic()
        subprocess.run(cmd, check=True)
        print(f"== {script}: {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
