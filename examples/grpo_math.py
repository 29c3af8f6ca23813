#!/usr/bin/env python
"""GRPO on maths (GSM8K / OpenR1-Math layouts) from the cold-start adapter, rewards from an rlvr RewardStack.

Usage::

    python examples/grpo_math.py --profile t4
    python examples/grpo_math.py --smoke --init-from base

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('r1_math_pipeline.yaml', 'GRPO on maths (GSM8K / OpenR1-Math layouts) from the cold-start adapter, rewards from an rlvr RewardStack.', default_stages='grpo_math')
