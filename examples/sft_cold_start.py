#!/usr/bin/env python
"""Cold-start SFT: long chain-of-thought data (Bespoke-Stratos layout -> <think>/<answer>), LoRA/QLoRA, saves an adapter.

Usage::

    python examples/sft_cold_start.py --profile t4
    python examples/sft_cold_start.py --smoke

See docs/examples.md for the walkthrough (memory budget, expected reward curves, failure modes).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rlvr_examples package lives next to this script

from rlvr_examples.cli import script_main

if __name__ == "__main__":
    script_main('r1_math_pipeline.yaml', 'Cold-start SFT: long chain-of-thought data (Bespoke-Stratos layout -> <think>/<answer>), LoRA/QLoRA, saves an adapter.', default_stages='cold_start')
