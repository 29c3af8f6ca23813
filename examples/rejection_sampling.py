#!/usr/bin/env python
"""Rejection sampling (R1 stage 3): k samples per prompt, keep the verified ones, write SFT JSONL.

Usage::

    python examples/rejection_sampling.py --profile t4 --init-from runs/r1_math/grpo_math/adapter
    python examples/rejection_sampling.py --smoke

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('r1_math_pipeline.yaml', 'Rejection sampling (R1 stage 3): k samples per prompt, keep the verified ones, write SFT JSONL.', default_stages='rejection_sampling')
