#!/usr/bin/env python
"""GRPO on countdown (Countdown-Tasks-3to4 layout): the R1-Zero countdown experiment.

Usage::

    python examples/grpo_countdown.py --profile t4
    python examples/grpo_countdown.py --smoke

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('grpo_countdown.yaml', 'GRPO on countdown (Countdown-Tasks-3to4 layout): the R1-Zero countdown experiment.')
