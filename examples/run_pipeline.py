#!/usr/bin/env python
"""Run the stages of a pipeline config in order (cold-start SFT -> GRPO -> rejection sampling -> SFT).

Usage::

    python examples/run_pipeline.py --config examples/configs/r1_math_pipeline.yaml --profile t4
    python examples/run_pipeline.py --smoke --output-dir /tmp/rlvr_smoke

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('r1_math_pipeline.yaml', 'Run the stages of a pipeline config in order (cold-start SFT -> GRPO -> rejection sampling -> SFT).')
