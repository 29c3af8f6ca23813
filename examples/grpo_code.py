#!/usr/bin/env python
"""GRPO on code (verifiable-coding-problems layout) with the sandboxed code_tests reward.

Usage::

    python examples/grpo_code.py --profile a100
    python examples/grpo_code.py --smoke --sandbox-backend local

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('grpo_code.yaml', 'GRPO on code (verifiable-coding-problems layout) with the sandboxed code_tests reward.')
