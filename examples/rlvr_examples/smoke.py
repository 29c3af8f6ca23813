"""``--smoke``: the same pipeline code on a tiny local model, bundled samples, 1-2 steps on CPU.

What changes (everything else, including the reward stacks, runs as configured):

* the model is ``rlvr.testing``'s tiny character-level Qwen2, written with ``save_pretrained``
  into ``<output_dir>/smoke_model`` and then loaded *by path*, like a real hub model;
* every dataset reads the bundled sample of its layout (``examples/data/``); ``@stage``
  sources (rejection-sampling output) stay;
* the backend is plain TRL + peft on CPU (fp32), reporting off, and the per-kind overrides of
  ``configs/profiles/smoke.yaml`` (``smoke_overrides``) win over the pipeline file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlvr_examples.config import DATA_DIR, PROFILE_DIR, _read_yaml, deep_merge
from rlvr_examples.converters import get_layout

__all__ = ["TINY_MODEL", "apply_smoke", "materialize_tiny_model"]

#: ``model.name`` placeholder replaced by the saved tiny model's directory at run time.
TINY_MODEL = "@tiny"


def apply_smoke(merged: dict[str, Any]) -> dict[str, Any]:
    """Smoke overrides over an already profile-merged pipeline dict."""
    prof = _read_yaml(PROFILE_DIR / "smoke.yaml")
    out = dict(merged)
    for key in ("backend", "report_to", "isolate_stages"):
        if key in prof:
            out[key] = prof[key]
    out["model"] = deep_merge(merged.get("model") or {}, prof.get("model") or {})
    out["profile"] = "smoke"
    per_kind = prof.get("smoke_overrides") or {}
    stages = []
    for stage in merged.get("stages") or []:
        stage = deep_merge(stage, per_kind.get(stage.get("kind"), {}))
        datasets = []
        for ds in stage.get("datasets") or []:
            source = str(ds.get("source", ""))
            if source.startswith("rlvr:"):  # generators are cheap: keep them, a few rows
                ds = {**ds, "generate": {**(ds.get("generate") or {}), "n": 6}, "limit": None}
            elif not source.startswith("@"):
                sample = ds.get("sample") or get_layout(ds["layout"]).sample_file
                ds = {**ds, "source": str(DATA_DIR / sample), "config_name": None, "split": "train", "limit": None}
            datasets.append(ds)
        stage["datasets"] = datasets
        stages.append(stage)
    out["stages"] = stages
    return out


def materialize_tiny_model(directory: Path) -> str:
    """Save the tiny tokenizer + model under ``directory`` (once) and return its path."""
    directory = Path(directory)
    if (directory / "config.json").exists() and (directory / "tokenizer_config.json").exists():
        return str(directory)
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer

    tokenizer = build_tiny_tokenizer()
    model = build_tiny_model(tokenizer)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    return str(directory)
