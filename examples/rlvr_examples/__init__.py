"""Shared code of rlvr's end-to-end example pipelines (``examples/*.py``).

Modules, one job each:

* :mod:`~rlvr_examples.prompts` - the system prompts and user-prompt templates (``<think>``/``<answer>``).
* :mod:`~rlvr_examples.converters` - dataset layouts (GSM8K, OpenR1-Math, MATH, Bespoke-Stratos,
  Countdown, verifiable-coding-problems, our own SFT JSONL) -> rows the trainers take.
* :mod:`~rlvr_examples.datasets_io` - load a layout from the Hub or a local JSONL/parquet file.
* :mod:`~rlvr_examples.config` - the pipeline config (YAML), hardware profiles, ``--smoke`` overrides.
* :mod:`~rlvr_examples.backend` - Unsloth or plain TRL + peft: load, LoRA, save; precision.
* :mod:`~rlvr_examples.trl_compat` - keyword filtering for TRL configs across versions.
* :mod:`~rlvr_examples.rewards_setup` - a stage's ``rewards:`` entry -> an rlvr RewardStack.
* :mod:`~rlvr_examples.rejection` - rejection sampling: generate k samples, keep the verified.
* :mod:`~rlvr_examples.smoke` - ``--smoke``: tiny local model, bundled samples, CPU overrides.
* :mod:`~rlvr_examples.stages` - the SFT, GRPO and rejection-sampling stages; the runner.
* :mod:`~rlvr_examples.cli` - the command line shared by every example script.

Nothing here is imported by ``rlvr`` itself; heavy packages (torch, transformers, trl, peft,
datasets, unsloth) are imported inside functions, after the backend is chosen (Unsloth must be
imported before transformers/trl).
"""

from __future__ import annotations

__all__: list[str] = []
